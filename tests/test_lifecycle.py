"""The nbgrader lifecycle end to end, in a scratch copy of the course with its own gradebook.

generate_assignment -> autograde (solution, blank release, partly right) -> generate_feedback
-> export, plus ``validate --invert`` on the release. nbgrader's exit codes are not trusted
(``validate`` exits 0 when tests fail): every outcome is read from the gradebook or the files.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from trainlab.grading.cells import grade_id, nbgrader_meta
from trainlab.lesson.editions import ASSIGNMENT, NOTEBOOK

from conftest import make_course_copy, nbgrader

pytestmark = pytest.mark.slow


def graded_points(nb: dict, *, auto_only: bool) -> float:
    """Sum the points of the graded cells (code test cells only when ``auto_only``)."""
    total = 0.0
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and (cell["cell_type"] == "code" or not auto_only):
            total += meta.get("points", 0)
    return total


def replace_answer(nb: dict, answer_id: str, code: str) -> None:
    """Put ``code`` into the answer cell ``answer_id`` (as a student would)."""
    for cell in nb["cells"]:
        if grade_id(cell) == answer_id:
            cell["source"] = code
            return
    raise KeyError(answer_id)


PARTIAL_ANSWERS = {
    # right (the table's order; "training data" first is right too): full marks for exercise 1
    "ex01_pipeline_answer": 'pipeline = ["pretraining", "training data", "instruction tuning", "preference tuning"]',
    # right on small logits, overflows on large ones: visible tests pass, hidden ones fail
    "ex02_loss_answer": """
def next_token_loss(logits, token_ids):
    probs = torch.exp(logits[:, :-1]) / torch.exp(logits[:, :-1]).sum(-1, keepdim=True)
    return -torch.log(probs.gather(-1, token_ids[:, 1:].unsqueeze(-1))).mean()

def perplexity(loss):
    return math.exp(float(loss))
""",
    # ignores the penalty: passes the visible right/wrong cases, fails the hidden ones
    "ex09_guess_answer": """
def expected_score(p_correct, wrong_penalty=0.0, abstain=False):
    return 0.0 if abstain else p_correct

def break_even_confidence(wrong_penalty):
    return wrong_penalty / (1 + wrong_penalty)
""",
}
PARTIAL_SCORE = 2 + 2 + 1  # exercise 1 both cells, exercise 2 visible cell, exercise 9 visible cell


@pytest.fixture(scope="module")
def course(tmp_path_factory, root: Path) -> Path:
    """A scratch course with three submissions, autograded and with feedback."""
    course = make_course_copy(tmp_path_factory.mktemp("course"))
    nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course)
    source = json.loads((course / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    release = json.loads((course / "release" / ASSIGNMENT / NOTEBOOK).read_text())
    partial = json.loads(json.dumps(release))
    for answer_id, code in PARTIAL_ANSWERS.items():
        replace_answer(partial, answer_id, code)
    for student, nb in [("solution", source), ("blank", release), ("partial", partial)]:
        dest = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
        dest.parent.mkdir(parents=True)
        dest.write_text(json.dumps(nb))
    nbgrader(["autograde", ASSIGNMENT, "--create", "--force"], course)
    nbgrader(["generate_feedback", ASSIGNMENT, "--force"], course)
    nbgrader(["export", "--to", str(course / "grades.csv")], course)
    return course


def scores(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}


def test_release_has_no_solutions_or_hidden_tests(course: Path):
    text = (course / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    for marker in ["BEGIN SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "_key =", "np.take_along_axis(guesses"]:
        assert marker not in text, marker


def test_solution_gets_full_automatic_marks(course: Path):
    source = json.loads((course / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    assert scores(course)["solution"] == pytest.approx(graded_points(source, auto_only=True))


def test_blank_release_gets_zero(course: Path):
    assert scores(course)["blank"] == 0


def test_partly_right_gets_partial_marks(course: Path):
    assert scores(course)["partial"] == pytest.approx(PARTIAL_SCORE)


def test_free_text_answer_waits_for_a_human(course: Path):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, "solution")
        manual = [g.name for g in sub.grades if g.needs_manual_grade]
    assert manual == ["ex07_cutoff_text"]


def test_feedback_hides_hidden_tests_and_keys(course: Path):
    for student in ["solution", "blank", "partial"]:
        html = (course / "feedback" / student / ASSIGNMENT / "lesson02.html").read_text()
        assert "Exercise 2" in html
        for secret in ["BEGIN HIDDEN TESTS", "_key =", "_ref =", "hashlib", "2678ddb7", "7fb2ead6"]:
            assert secret not in html, (student, secret)


def test_export_has_one_row_per_student(course: Path):
    with open(course / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student_id"] for r in rows) == ["blank", "partial", "solution"]
    by_student = {r["student_id"]: float(r["score"]) for r in rows}
    assert by_student["partial"] == pytest.approx(PARTIAL_SCORE)


def test_validate_invert_confirms_release_fails(course: Path, tmp_path: Path):
    """`validate --invert` complains about test cells that *pass*; the blank release has none."""
    import subprocess
    import sys

    nb = tmp_path / NOTEBOOK
    shutil.copy(course / "release" / ASSIGNMENT / NOTEBOOK, nb)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "validate", "--invert", str(nb)],
                          capture_output=True, text=True, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert "Success! The notebook does not pass any tests." in out, out
    # And the solution does pass every test: validate (not inverted) says so.
    shutil.copy(course / "source" / ASSIGNMENT / NOTEBOOK, nb)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(nb)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert "Success! Your notebook passes all the tests." in proc.stdout + proc.stderr, proc.stdout
