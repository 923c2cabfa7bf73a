"""What nbgrader's cell metadata says: a cell's id, and whether it is a test.

nbgrader marks cells in ``metadata.nbgrader``: an *answer* cell has ``solution``, a *test*
cell has ``grade`` (and points) and no ``solution``, a free-text answer graded by hand is a
markdown cell with both. Every part of the project that asks "is this a test cell?" (the
feedback filters, the report, the checks before grading, the tests) asks it here.

Example:
    >>> cell = {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "t1"}}}
    >>> is_test_cell(cell), grade_id(cell)
    (True, 't1')
"""


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata (empty for an ordinary cell)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    """The nbgrader id of a cell, or None for an ordinary cell."""
    return nbgrader_meta(cell).get("grade_id")


def is_test_cell(cell) -> bool:
    """An autograded test: a code cell with points (``grade``) that is not an answer cell."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")
