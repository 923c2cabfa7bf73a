"""The course a round grades: its settings, its release template, and its gradebook.

Reads the course's own ``nbgrader_config.py`` (course id, gradebook URL, cell time limit).
:func:`generate_in_scratch` is the one way this project runs ``generate_assignment``: on a
copy of ``source/`` in a scratch folder, so the course's own folders are never written. It
builds the *template* of an assignment (the released notebook every submission is checked
against, and a SQLite gradebook that seeds each submission's private copy) and the editions
that ``./course generate`` commits (:mod:`trainlab.lesson.editions`). This module also makes
sure the course's real gradebook (SQLite or any SQLAlchemy URL, e.g. PostgreSQL) knows the
assignment and that its graded cells match the source.

Example:
    course = load_course("/work/main")
    template = build_template(course, "lesson02", workdir)
    ensure_gradebook(course, template)
"""
import contextlib
import dataclasses
import glob
import io
import os
import shutil
import sys

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


@dataclasses.dataclass
class Course:
    """The settings of a course directory that grading needs."""

    root: str
    course_id: str
    db_url: str
    cell_timeout: int
    source: str = "source"
    submitted: str = "submitted"
    autograded: str = "autograded"
    feedback: str = "feedback"


@dataclasses.dataclass
class Template:
    """An assignment as released: its notebooks and a seed gradebook."""

    assignment: str
    folder: str
    gradebook_path: str
    notebooks: dict
    max_score: float


def put_python_on_path():
    """Put this Python's bin folder first on PATH: nbgrader runs its ``alembic`` script
    by name when it creates a gradebook, which fails from an unactivated virtualenv."""
    bin_dir = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def read_config(root):
    """The settings of ``root/nbgrader_config.py`` (empty when the course has none)."""
    if os.path.exists(os.path.join(root, "nbgrader_config.py")):
        return PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    return Config()


def load_course(root, db_url=None):
    """Read ``root/nbgrader_config.py``; ``db_url`` overrides the gradebook it names."""
    root = os.path.abspath(root)
    config = read_config(root)
    cd = config.get("CourseDirectory", Config())
    course = Course(
        root=root,
        course_id=cd.get("course_id", "course"),
        db_url=db_url or cd.get("db_url", "sqlite:///" + os.path.join(root, "gradebook.db")),
        cell_timeout=int(config.get("Execute", Config()).get("timeout", 120)),
    )
    for name in ("source", "submitted", "autograded", "feedback"):
        setattr(course, name, cd.get(name + "_directory", name))
    return course


def run_nbgrader(course_root, course_id, db_url, method, *args, settings=None):
    """Run one NbGraderAPI call on a course folder; raise with nbgrader's log if it fails.

    ``settings`` (a traitlets ``Config``, e.g. the course's own) apply beneath the folder,
    course id and gradebook given here.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    put_python_on_path()
    config = Config(settings or {})
    config.merge(Config({"CourseDirectory": {"root": course_root, "course_id": course_id,
                                             "db_url": db_url}}))
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    with contextlib.redirect_stdout(io.StringIO()):
        result = getattr(api, method)(*args)
    if not result.get("success"):
        raise RuntimeError("nbgrader %s failed:\n%s\n%s"
                           % (method, result.get("log", ""), result.get("error", "")))
    return result


def generate_in_scratch(course, assignment, folder, db_url=None, source=None):
    """Run ``generate_assignment`` on a copy of the assignment's source made in ``folder``.

    ``folder`` becomes a scratch course: ``source/<assignment>`` copied from ``source``
    (default: the course's), ``release/<assignment>`` written by nbgrader with the course's
    own settings (its ``nbgrader_config.py``), and a SQLite gradebook ``folder/gradebook.db``
    unless ``db_url`` names another (the real one, to register the assignment there).
    Returns the release folder.
    """
    src = source or os.path.join(course.root, course.source, assignment)
    if not glob.glob(os.path.join(src, "*.ipynb")):
        raise FileNotFoundError("no notebook in %s: nothing to grade against" % src)
    shutil.copytree(src, os.path.join(folder, "source", assignment))
    run_nbgrader(folder, course.course_id, db_url or "sqlite:///" + os.path.join(folder, "gradebook.db"),
                 "generate_assignment", assignment, settings=read_config(course.root))
    return os.path.join(folder, "release", assignment)


def build_template(course, assignment, workdir):
    """Generate the assignment from ``source/`` into ``workdir`` and load the result."""
    folder = os.path.join(workdir, "template")
    # The template holds the solutions: root only, even inside the round's folder.
    os.makedirs(folder, mode=0o700)
    generate_in_scratch(course, assignment, folder)
    gradebook = os.path.join(folder, "gradebook.db")
    notebooks = {}
    for path in sorted(glob.glob(os.path.join(folder, "release", assignment, "*.ipynb"))):
        notebooks[os.path.splitext(os.path.basename(path))[0]] = nbformat.read(path, 4)
    with Gradebook("sqlite:///" + gradebook) as gb:
        max_score = gb.find_assignment(assignment).max_score
    return Template(assignment, folder, gradebook, notebooks, max_score)


def graded_cells(db_url, assignment):
    """Return {(notebook, cell): max points} for an assignment in a gradebook."""
    with Gradebook(db_url) as gb:
        found = gb.find_assignment(assignment)
        return {(nb.name, cell.name): cell.max_score
                for nb in found.notebooks for cell in nb.grade_cells}


def ensure_gradebook(course, template):
    """Add the assignment to the real gradebook if it lacks it; refuse a mismatch."""
    expected = graded_cells("sqlite:///" + template.gradebook_path, template.assignment)
    try:
        actual = graded_cells(course.db_url, template.assignment)
    except MissingEntry:
        actual = {}
    if not actual:
        scratch = os.path.join(os.path.dirname(template.folder), "into-gradebook")
        os.makedirs(scratch, mode=0o700)
        generate_in_scratch(course, template.assignment, scratch, db_url=course.db_url,
                            source=os.path.join(template.folder, "source", template.assignment))
        return
    if actual != expected:
        differ = sorted(set(actual.items()) ^ set(expected.items()))
        raise RuntimeError(
            "the gradebook's %s does not match source/ (cells differ: %s); regenerate it "
            "with `nbgrader generate_assignment %s --force` before grading"
            % (template.assignment, differ, template.assignment))
