"""A small course shaped like the lesson, for testing the grader on its own.

Three autograded exercises (answer cell, visible test, hidden tests calling a helper module
shipped with the assignment), one free-text answer graded by hand.
"""
import os

import nbformat

CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "demo-course"
c.CourseDirectory.db_assignments = [dict(name={assignment!r})]
c.Execute.timeout = 120
'''

CHECKS = '''"""Test helpers the demo assignment's hidden tests call."""


def assert_close(got, want, tol=1e-9):
    """Fail with how far off the answer is."""
    assert abs(got - want) <= tol, "got %r, expected something else (off by %g)" % (got, abs(got - want))
'''


def cell_meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    """Return nbgrader metadata that validates (schema 3)."""
    meta = {"schema_version": 3, "grade_id": grade_id, "locked": locked,
            "solution": solution, "grade": grade, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def exercise(name, solution, visible, hidden, points=2):
    """Return the answer cell and test cell of one exercise."""
    answer = nbformat.v4.new_code_cell(
        "### BEGIN SOLUTION\n%s\n### END SOLUTION" % solution,
        metadata=cell_meta("ex_" + name, solution=True))
    test = nbformat.v4.new_code_cell(
        "from checks import assert_close\n%s\n### BEGIN HIDDEN TESTS\n%s\n### END HIDDEN TESTS"
        % (visible, hidden),
        metadata=cell_meta("test_" + name, grade=True, locked=True, points=points))
    return [answer, test]


def make_demo_course(root, assignment="lesson02"):
    """Write the demo course's config and source assignment under ``root``."""
    folder = os.path.join(root, "source", assignment)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(root, "nbgrader_config.py"), "w") as f:
        f.write(CONFIG.format(assignment=assignment))
    with open(os.path.join(folder, "checks.py"), "w") as f:
        f.write(CHECKS)
    cells = [nbformat.v4.new_markdown_cell("# Demo assignment"),
             nbformat.v4.new_code_cell("import math")]
    cells += exercise("add", "def add(a, b):\n    return a + b",
                      "assert add(1, 2) == 3, 'add(1, 2) should be 3'",
                      "assert_close(add(0.5, 0.25), 0.75)")
    cells += exercise("mean", "def mean(xs):\n    return sum(xs) / len(xs)",
                      "assert mean([2, 4]) == 3",
                      "assert_close(mean([1, 2, 3, 4]), 2.5)")
    cells += exercise("perplexity", "def perplexity(loss):\n    return math.exp(loss)",
                      "assert perplexity(0.0) == 1.0",
                      "assert_close(perplexity(2.0), 7.38905609893065)")
    cells.append(nbformat.v4.new_markdown_cell(
        "YOUR ANSWER HERE", metadata=cell_meta("why_hallucinate", solution=True, grade=True,
                                               points=1)))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.write(nb, os.path.join(folder, assignment + ".ipynb"))
    return os.path.join(folder, assignment + ".ipynb")
