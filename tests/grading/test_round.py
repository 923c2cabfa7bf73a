"""A whole grading round over a corpus of good and bad submissions of the real lesson.

The corpus (tests/grading/grading_corpus) is built from the lesson's own release, so every kind of
trouble is tried on the notebook students really get. The round is graded twice, by root
and by an ordinary user, each time from a copy of the course and the package in a folder
only its owner can enter (mode 700, with a space in its name: where instructors' courses
really are), with ``python -m trainlab.grading`` as ``./course grade`` runs it. The tests
then check each submission's report line and score, the gradebook's integrity, that
nothing escaped the sandbox, and that feedback hides hidden tests.
"""
import html
import json
import os
import re
import sqlite3
import sys

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook

from trainlab.grading import course as course_mod
from trainlab.grading.cells import is_test_cell
from trainlab.grading.feedback import hidden_lines
from trainlab.grading.spec import Limits

from graders import GRADERS, course_clone, grade_as, grader_name, hand_over, new_home  # noqa: F401
from grading_corpus import ESCAPE_MARKER, build_corpus

ASSIGNMENT = "lesson02"
LIMITS = Limits(cell_timeout=30, wall_seconds=90)
SECRET = "grader-secret-5d1e"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=GRADERS)
def lesson_round(request, tmp_path_factory):
    """Grade the corpus as root or as an ordinary user; return what the tests need."""
    owner = grader_name(request.param)
    home = request.getfixturevalue("new_home")()
    root = course_clone(home, owner)
    course = course_mod.load_course(root, "sqlite:///" + os.path.join(root, "gradebook.db"))
    template = course_mod.build_template(course, ASSIGNMENT, str(tmp_path_factory.mktemp("t")))
    source_nb = nbformat.read(os.path.join(root, "source", ASSIGNMENT, ASSIGNMENT + ".ipynb"), 4)
    expect = build_corpus(root, ASSIGNMENT, template.notebooks[ASSIGNMENT], source_nb, LIMITS)
    hand_over(home, owner)
    os.environ["TRAINLAB_TEST_SECRET"] = SECRET
    try:
        done = grade_as(owner, root, "--workers", "2", "--cell-timeout",
                        str(LIMITS.cell_timeout), "--wall-seconds", str(LIMITS.wall_seconds))
    finally:
        del os.environ["TRAINLAB_TEST_SECRET"]
    assert done.returncode == 0, done.stdout + done.stderr
    with open(os.path.join(root, "grading-report", "outcomes.json")) as f:
        outcomes = {o["student"]: o for o in json.load(f)}
    return dict(root=root, course=course, expect=expect, outcomes=outcomes, source=source_nb,
                template=template, stdout=done.stdout, owner=owner)


def test_every_submission_gets_its_reported_outcome(lesson_round):
    outcomes = lesson_round["outcomes"]
    assert sorted(outcomes) == sorted(lesson_round["expect"])
    for student, want in lesson_round["expect"].items():
        got = outcomes[student]
        assert got["status"].startswith(want.status), got["line"]
        for detail in want.details:
            assert detail in got["line"], "%r not in %r" % (detail, got["line"])
        assert got["score"] == pytest.approx(want.score), got["line"]


def test_gradebook_is_intact_with_one_result_per_submission(lesson_round):
    course, expect = lesson_round["course"], lesson_round["expect"]
    with sqlite3.connect(course.db_url[len("sqlite:///"):]) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n_cells = db.execute("SELECT count(*) FROM grade_cells").fetchone()[0]
        assert db.execute("SELECT count(*) FROM grade").fetchone()[0] == n_cells * len(expect)
    with Gradebook(course.db_url, course.course_id) as gb:
        assert sorted(s.id for s in gb.students) == sorted(expect)
        assert len(gb.find_assignment(ASSIGNMENT).submissions) == len(expect)
        for student, want in expect.items():
            assert gb.find_submission(ASSIGNMENT, student).score == pytest.approx(want.score)


def test_nothing_escaped_the_sandbox(lesson_round):
    root = lesson_round["root"]
    assert not os.path.exists(os.path.join(root, ESCAPE_MARKER + ".txt"))
    assert os.path.exists(os.path.join(root, "gradebook.db"))
    lingering = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if ESCAPE_MARKER.encode() in f.read():
                    lingering.append(pid)
        except OSError:
            continue
    assert lingering == []
    nb = nbformat.read(os.path.join(root, "autograded", "escape", ASSIGNMENT,
                                    ASSIGNMENT + ".ipynb"), 4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "'network': '" in printed, printed
    assert "connected" not in printed and "deleted" not in printed and "'read " not in printed
    # Nothing of the grader's environment reaches the kernel, not even through /proc.
    assert "environ 1" in printed and SECRET not in printed
    # Its world: the system, and the top folders of what it may read (the interpreter, the
    # environment, the package; under /tmp when the course is).
    world = set(re.findall(r"'(\w+)'", re.search(r"'world': \[([^\]]*)\]", printed).group(1)))
    allowed = {"bin", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "proc", "sbin",
               "tmp", "usr"} | {p.split(os.sep)[1] for p in (sys.prefix, sys.base_prefix, root)}
    assert {"usr", "home", "tmp", "proc"} <= world <= allowed


def visible_hidden_lines(html_text, lines):
    """Return the hidden test lines that a reader of this HTML page can see."""
    text = re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", html_text)))
    return [line for line in lines if re.sub(r"\s+", "", line) in text]


def test_feedback_hides_hidden_tests_and_answer_keys(lesson_round):
    root = lesson_round["root"]
    lines = [line for c in lesson_round["source"].cells if c.cell_type == "code"
             for line in hidden_lines(c.source)]
    assert lines, "the lesson has hidden tests"
    pages = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(root, "feedback"))
             for f in files if f.endswith(".html")]
    graded = [s for s, o in lesson_round["outcomes"].items() if o["status"].startswith("graded")]
    assert len(pages) == len(graded)
    for page in pages:
        with open(page) as f:
            assert visible_hidden_lines(f.read(), lines) == [], page
    # The same check does see hidden tests in an unfiltered export of a failing submission.
    blank = nbformat.read(os.path.join(root, "autograded", "blank", ASSIGNMENT,
                                       ASSIGNMENT + ".ipynb"), 4)
    body, _ = HTMLExporter().from_notebook_node(blank)
    assert visible_hidden_lines(body, lines)


def test_csv_report_and_plot(lesson_round):
    root, expect = lesson_round["root"], lesson_round["expect"]
    with open(os.path.join(root, "grades.csv")) as f:
        rows = f.read().splitlines()
    assert len(rows) == 1 + len(expect)
    with open(os.path.join(root, "grading-report", "report.txt")) as f:
        report = f.read()
    # The table lists the ten tests most students failed, each with how many failed it: the
    # counts are checked against the gradebook, and no test left out failed more often.
    header = "%-28s %s" % ("test", "failed")
    table = report.split("tests most students failed:\n" + header + "\n")[1].split("\n\n")[0]
    listed = dict(line.split() for line in table.splitlines())
    tests = [c.metadata.nbgrader.grade_id for c in lesson_round["template"].notebooks[
        ASSIGNMENT].cells if is_test_cell(c)]
    course = lesson_round["course"]
    failed = dict.fromkeys(tests, 0)
    with Gradebook(course.db_url, course.course_id) as gb:
        for student in expect:
            for nb in gb.find_submission(ASSIGNMENT, student).notebooks:
                for grade in nb.grades:
                    if grade.name in failed and (grade.score or 0) < grade.max_score:
                        failed[grade.name] += 1
    assert len(listed) == min(10, len(tests))
    assert listed == {t: "%d/%d" % (failed[t], len(expect)) for t in listed}
    assert min(failed[t] for t in listed) >= max([failed[t] for t in tests if t not in listed],
                                                 default=0)
    assert os.path.getsize(os.path.join(root, "grading-report", "scores.png")) > 1000
