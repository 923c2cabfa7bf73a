"""Build the private course copy in which one submission is graded.

Each submission gets a folder of its own under the round's workspace::

    <private>/course/                  root only: the private nbgrader course
        gradebook.db                   a copy of the template's (never the real one)
        source/<assignment>/           the assignment's data files (no notebooks)
        submitted/<student>/<assignment>/   the checked and repaired submission
    <private>/kernel/                  the student's uid only: the kernel's working copy,
                                       HOME and caches
    <private>/spec.json                what ``confine`` and ``kernel_launcher`` need
    <private>/result.json, events.jsonl, audit.jsonl, log.txt   what happened

Example:
    private = prepare_private_course(course, template, "alice", limits, slot=0, workspace=ws)
    private.fatal     # None, or why nothing can be graded
"""
import ast
import dataclasses
import glob
import json
import os
import shutil
import sys
import tempfile

import nbformat

from .feedback import FEEDBACK_PREPROCESSORS
from .inspect_submission import inspect_submission

UID_BASE = 61000
MAX_EXTRA_FILE_BYTES = 100_000_000


@dataclasses.dataclass
class Limits:
    """What one submission may use."""

    wall_seconds: int = 900
    cell_timeout: int = 120
    memory_bytes: int = 4 << 30
    nproc: int = 256
    fsize_bytes: int = 256 << 20
    max_output_bytes: int = 200_000


@dataclasses.dataclass
class PrivateCourse:
    """A submission's private folder and what the check before grading found."""

    student: str
    folder: str
    spec_path: str
    findings: list
    fatal: str | None


def watched_modules(template):
    """Return the modules the assignment's source imports (tests and helpers among them)."""
    names = set()
    for path in glob.glob(os.path.join(template.folder, "source", template.assignment, "*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
    return sorted(names)


def copy_extras(src, dest, findings, uid=None):
    """Copy every file but notebooks from ``src`` into ``dest``; skip oversized files."""
    for path in glob.glob(os.path.join(src, "**", "*"), recursive=True):
        rel = os.path.relpath(path, src)
        if os.path.islink(path) or not os.path.isfile(path) or path.endswith(".ipynb"):
            continue
        if os.path.getsize(path) > MAX_EXTRA_FILE_BYTES:
            findings.append("file %s too large: left out" % rel)
            continue
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(path, target)
        if uid is not None:
            os.chown(target, uid, uid)


def own_tree(path, uid):
    """Give a folder and everything in it to ``uid``."""
    for root, _, files in os.walk(path):
        os.chown(root, uid, uid)
        for name in files:
            os.chown(os.path.join(root, name), uid, uid)


def prepare_private_course(course, template, student, limits, *, slot, workspace, watch):
    """Check the student's submission and lay out its private course; return it."""
    assignment = template.assignment
    folder = tempfile.mkdtemp(prefix="sub-", dir=workspace)
    os.chmod(folder, 0o711)
    private_root = os.path.join(folder, "course")
    submitted = os.path.join(private_root, "submitted", student, assignment)
    os.makedirs(submitted)
    os.chmod(private_root, 0o700)
    shutil.copyfile(template.gradebook_path, os.path.join(private_root, "gradebook.db"))
    copy_extras(os.path.join(template.folder, "source", assignment),
                os.path.join(private_root, "source", assignment), [])
    os.makedirs(os.path.join(private_root, "source", assignment), exist_ok=True)

    findings, fatals = [], []
    origin = os.path.join(course.root, course.submitted, student, assignment)
    if not os.path.isdir(origin):
        fatals.append("missing submission: no %s folder for this student" % assignment)
    else:
        copy_extras(origin, submitted, findings)
        for name, release_nb in template.notebooks.items():
            found = inspect_submission(os.path.join(origin, name + ".ipynb"), release_nb,
                                       os.path.join(submitted, name + ".ipynb"))
            findings.extend(found.findings)
            if found.fatal:
                fatals.append(found.fatal)
    uid = UID_BASE + slot
    kernel_dir = os.path.join(folder, "kernel")
    os.makedirs(kernel_dir)
    copy_extras(os.path.join(private_root, "source", assignment), kernel_dir, [])
    copy_extras(submitted, kernel_dir, [])
    own_tree(kernel_dir, uid)
    os.chmod(kernel_dir, 0o700)
    nothing_left = len(fatals) >= len(template.notebooks) or not os.path.isdir(origin)
    spec_path = os.path.join(folder, "spec.json")
    write_spec(spec_path, course, template, student, limits, folder, uid, watch)
    return PrivateCourse(student, folder, spec_path, findings + fatals,
                         "; ".join(fatals) if nothing_left else None)


def expose_paths():
    """Return the installed code the kernel must read: Python, the venv, trainlab."""
    import trainlab

    return [sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(trainlab.__file__))]


def write_spec(spec_path, course, template, student, limits, folder, uid, watch):
    """Write what the confined grader and the kernel launcher need to know."""
    private_root = os.path.join(folder, "course")
    hide = [os.path.join(course.root, d) for d in
            (course.source, course.submitted, course.autograded, course.feedback)]
    hide += [os.path.join(course.root, ".exchange"), template.folder,
             os.path.join(os.path.dirname(template.folder), "into-gradebook")]
    if course.db_url.startswith("sqlite:///"):
        hide.append(course.db_url[len("sqlite:///"):])
    config = {
        "CourseDirectory": {"root": private_root, "course_id": course.course_id,
                            "db_url": "sqlite:///" + os.path.join(private_root, "gradebook.db")},
        "GuardedExecute": {"timeout": limits.cell_timeout, "interrupt_on_timeout": True,
                           "max_output_bytes": limits.max_output_bytes,
                           "watch_modules": watch,
                           "trusted_paths": [os.path.realpath(p) for p in expose_paths()],
                           "events_path": os.path.join(folder, "events.jsonl")},
        "Autograde": {"autograde_preprocessors": [
            "trainlab.grading.guarded_execute.GuardedExecute",
            "nbgrader.preprocessors.IgnorePattern",
            "nbconvert.preprocessors.ClearMetadataPreprocessor",
            "nbgrader.preprocessors.LimitOutput",
            "nbgrader.preprocessors.SaveAutoGrades",
            "nbgrader.preprocessors.AssignLatePenalties",
            "nbgrader.preprocessors.CheckCellMetadata",
        ]},
        "GenerateFeedback": {"preprocessors": FEEDBACK_PREPROCESSORS},
    }
    spec = {
        "assignment": template.assignment, "student": student, "private_root": folder,
        "expose": expose_paths(),
        "result_path": os.path.join(folder, "result.json"), "hide": hide, "config": config,
        "kernel": {"uid": uid, "gid": uid, "workdir": os.path.join(folder, "kernel"),
                   "memory_bytes": limits.memory_bytes, "nproc": limits.nproc,
                   "fsize_bytes": limits.fsize_bytes,
                   "audit_log": os.path.join(folder, "audit.jsonl")},
    }
    with open(spec_path, "w") as f:
        json.dump(spec, f, indent=1)
