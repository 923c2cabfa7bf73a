"""The exercises' tests are fair: correct answers pass however they are written, wrong ones fail
with a message that names the mistake.

The corpus is ``exercise_answers/<exNN_name>/``: ``right_*.py`` are correct answers written
unlike the reference (loops, NumPy, torch, float32, other valid readings of the statement);
``wrong_*.py`` are plausible mistakes, each with a ``# Message:`` line, a regular expression
that the first failing test's message must match. An answer replaces the whole answer cell, as
a student's would. It runs in an IPython shell, as in the notebook's kernel (functions belong to
``__main__``, ``inspect.getsource`` finds them), after the notebook's setup cell and the cells
that set the exercise up; then every test cell of the exercise runs, hidden tests included,
exactly as the source notebook holds them.

An exercise is what follows a ``### Exercise N · Title (P points)`` heading: the code cells
before its first nbgrader cell set it up; its nbgrader cells are its answer and test cells.
The same reading checks the grade ids (``exNN_...``), the points, the stubs a student starts
from and the ``raises-exception`` tags that let *Run All* carry on past an unanswered exercise.
"""
from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT

SOURCE = ROOT / "source" / "lesson02" / "lesson02.ipynb"
RELEASE = ROOT / "release" / "lesson02" / "lesson02.ipynb"
CORPUS = Path(__file__).with_name("exercise_answers")
TOTAL_POINTS = 39
MIN_RIGHT, MIN_WRONG = 3, 3
HEADING = re.compile(r"^#{2,4}\s*Exercise\s+(\d+)\s*·\s*(.+?)\s*\((\d+)\s+points?\b", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WARNING = re.compile(r"\b\w*Warning\b")


def source_of(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


@dataclass
class Exercise:
    number: int
    points: int  # as its heading states them
    setup: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    tests: list = field(default_factory=list)

    @property
    def graded(self) -> list:
        return [c for c in self.answers + self.tests if nbgrader_meta(c).get("grade")]

    @property
    def autograded(self) -> bool:
        return bool(self.answers) and all(c["cell_type"] == "code" for c in self.answers)


def read_exercises(nb: dict) -> dict[int, Exercise]:
    exercises: dict[int, Exercise] = {}
    current = None
    for cell in nb["cells"]:
        heading = HEADING.search(source_of(cell)) if cell["cell_type"] == "markdown" else None
        if heading:
            current = exercises[int(heading[1])] = Exercise(int(heading[1]), int(heading[3]))
        elif current is not None:
            meta = nbgrader_meta(cell)
            if meta.get("solution"):
                current.answers.append(cell)
            elif meta.get("grade"):
                current.tests.append(cell)
            elif cell["cell_type"] == "code" and not current.answers:
                current.setup.append(cell)
    return exercises


SOURCE_NB = json.loads(SOURCE.read_text())
EXERCISES = read_exercises(SOURCE_NB)
CORPUS_DIRS = {int(d.name[2:4]): d for d in sorted(CORPUS.glob("ex[0-9][0-9]_*")) if d.is_dir()}


def corpus(kind: str) -> list:
    return [pytest.param(n, f, id=f"{d.name}/{f.stem}") for n, d in CORPUS_DIRS.items()
            for f in sorted(d.glob(f"{kind}_*.py"))]


# --------------------------------------------------------------------------- running answers

@dataclass
class Outcome:
    grade_id: str
    points: float
    hidden: bool
    error: BaseException | None
    output: str

    def __str__(self) -> str:
        where = "hidden" if self.hidden else "visible"
        result = "passed" if self.error is None else f"{type(self.error).__name__}: {self.error}"
        return f"{self.grade_id} ({where}): {result}"


class Kernel:
    """An in-process IPython shell, reset before each answer."""

    def __init__(self):
        from IPython.core.interactiveshell import InteractiveShell

        self.shell = InteractiveShell.instance()
        self.prelude = source_of(next(c for c in SOURCE_NB["cells"] if c["cell_type"] == "code"))

    def run(self, source: str) -> tuple[BaseException | None, str]:
        """Run one cell; return its error (or None) and what it printed, warnings included."""
        from IPython.utils.capture import capture_output

        with capture_output() as out, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self.shell.run_cell(source, store_history=True)
        printed = out.stdout + out.stderr + "".join(
            warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)
        return result.error_in_exec or result.error_before_exec, ANSI.sub("", printed)

    def answer(self, exercise: Exercise, answer: str) -> list[Outcome]:
        """Outcomes of the answer cell (when it raises) and of every test cell, in order."""
        self.shell.reset(new_session=False)
        for source in [self.prelude] + [source_of(c) for c in exercise.setup]:
            error, out = self.run(source)
            assert error is None, f"setting up exercise {exercise.number} failed: {error!r}\n{out}"
        outcomes = []
        error, out = self.run(answer)
        if error is not None:
            outcomes.append(Outcome("answer cell", 0, False, error, out))
        for cell in exercise.tests:
            error, out = self.run(source_of(cell))
            meta = nbgrader_meta(cell)
            outcomes.append(Outcome(meta["grade_id"], meta.get("points", 0),
                                    "BEGIN HIDDEN TESTS" in source_of(cell), error, out))
        return outcomes


@pytest.fixture(scope="module")
def kernel() -> Kernel:
    return Kernel()


def report(outcomes: list[Outcome]) -> str:
    return "\n".join(f"  {o}" for o in outcomes)


@pytest.mark.slow
@pytest.mark.parametrize("number, path", corpus("right"))
def test_a_correct_answer_gets_full_marks(kernel: Kernel, number: int, path: Path):
    outcomes = kernel.answer(EXERCISES[number], path.read_text())
    failed = [o for o in outcomes if o.error is not None]
    assert not failed, f"{path.name} is correct, yet:\n{report(outcomes)}"
    noisy = [f"{o.grade_id}: {o.output[-500:]}" for o in outcomes if WARNING.search(o.output)]
    assert not noisy, "a test cell printed a warning:\n" + "\n".join(noisy)


@pytest.mark.slow
@pytest.mark.parametrize("number, path", corpus("wrong"))
def test_a_wrong_answer_fails_with_a_message_that_names_the_mistake(kernel: Kernel, number: int,
                                                                      path: Path):
    expected = re.search(r"^# Message: (.+)$", path.read_text(), re.M)
    assert expected, f"{path.name} has no '# Message:' line"
    outcomes = kernel.answer(EXERCISES[number], path.read_text())
    failed = [o for o in outcomes if o.error is not None]
    assert failed, f"{path.name} is wrong, yet it gets full marks:\n{report(outcomes)}"
    first = failed[0]
    assert isinstance(first.error, AssertionError), (
        f"{path.name}: the first failure is a crash, not a message:\n{report(outcomes)}")
    assert re.search(expected[1], str(first.error), re.I | re.S), (
        f"{path.name}: the message does not name the mistake ({expected[1]!r}):\n{report(outcomes)}")
    assert any(o.hidden for o in failed), (
        f"{path.name} is wrong, yet it passes the hidden tests:\n{report(outcomes)}")


@pytest.mark.parametrize("number", [n for n, e in EXERCISES.items() if e.autograded])
def test_every_autograded_exercise_has_a_corpus(number: int):
    folder = CORPUS_DIRS.get(number)
    assert folder, f"exercise {number} has no folder exercise_answers/ex{number:02d}_*"
    assert len(list(folder.glob("right_*.py"))) >= MIN_RIGHT
    assert len(list(folder.glob("wrong_*.py"))) >= MIN_WRONG
    assert set(CORPUS_DIRS) <= set(EXERCISES)


def stubs() -> dict[str, str]:
    """The answer cells as the release gives them to students."""
    release = json.loads(RELEASE.read_text())
    return {nbgrader_meta(c)["grade_id"]: source_of(c) for c in release["cells"]
            if nbgrader_meta(c).get("solution") and c["cell_type"] == "code"}


@pytest.mark.slow
@pytest.mark.parametrize("number", [n for n, e in EXERCISES.items() if e.autograded])
def test_an_unanswered_exercise_scores_nothing_and_says_what_to_do(kernel: Kernel, number: int):
    exercise = EXERCISES[number]
    stub = "\n".join(stubs()[nbgrader_meta(c)["grade_id"]] for c in exercise.answers)
    assert "YOUR CODE HERE" in stub and "raise NotImplementedError" in stub, stub
    outcomes = kernel.answer(exercise, stub)
    tests = [o for o in outcomes if o.grade_id != "answer cell"]
    assert all(o.error is not None for o in tests), report(outcomes)
    for o in tests:
        assert type(o.error).__name__ == "NotAnsweredError", report(outcomes)
        assert "YOUR CODE HERE" in str(o.error), report(outcomes)


# --------------------------------------------------------------------------- the notebook's shape

def test_grade_ids_carry_their_exercise_number():
    seen = []
    for number, exercise in EXERCISES.items():
        for cell in exercise.answers + exercise.tests:
            grade_id = nbgrader_meta(cell)["grade_id"]
            assert grade_id.startswith(f"ex{number:02d}_"), (
                f"{grade_id} belongs to Exercise {number}: call it ex{number:02d}_...")
            seen.append(grade_id)
    everywhere = [nbgrader_meta(c)["grade_id"] for c in SOURCE_NB["cells"] if nbgrader_meta(c)]
    assert sorted(seen) == sorted(everywhere), "an nbgrader cell sits outside every exercise"
    assert len(set(everywhere)) == len(everywhere), "grade ids repeat"
    assert sorted(EXERCISES) == list(range(1, len(EXERCISES) + 1)), "exercises are numbered 1, 2, ..."


def test_points_add_up_to_the_total():
    for number, exercise in EXERCISES.items():
        cells = sum(nbgrader_meta(c).get("points", 0) for c in exercise.graded)
        assert cells == exercise.points, (
            f"Exercise {number}: its heading says {exercise.points} points, its cells give {cells}")
    assert sum(e.points for e in EXERCISES.values()) == TOTAL_POINTS


def test_only_exercise_code_cells_let_run_all_carry_on():
    for cell in SOURCE_NB["cells"]:
        tagged = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        exercise_code = cell["cell_type"] == "code" and bool(nbgrader_meta(cell))
        assert tagged == exercise_code, (cell["id"], "tagged" if tagged else "not tagged")
