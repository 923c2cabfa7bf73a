"""The editions: students get no solutions and no hidden tests; self-learners get every test."""
import json

import nbformat
from nbgrader.utils import compute_checksum

from trainlab.grading.cells import grade_id, is_test_cell, nbgrader_meta
from trainlab.lesson.editions import HIDDEN_MARKERS, SELF_LEARNER_NOTE

from conftest import ROOT

SOURCE = json.loads((ROOT / "source/lesson02/lesson02.ipynb").read_text())
RELEASE = json.loads((ROOT / "release/lesson02/lesson02.ipynb").read_text())
SELF_LEARNER = json.loads((ROOT / "notebooks/lesson02.ipynb").read_text())


def text(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def by_grade_id(nb) -> dict:
    return {grade_id(c): c for c in nb["cells"] if is_test_cell(c)}


def test_the_release_holds_stubs_and_no_hidden_test():
    hidden = [grade_id(c) for c in RELEASE["cells"] if "HIDDEN TESTS" in text(c)]
    assert not hidden
    for cell in RELEASE["cells"]:
        if nbgrader_meta(cell).get("solution") and cell["cell_type"] == "code":
            assert "YOUR CODE HERE" in text(cell) and "BEGIN SOLUTION" not in text(cell), grade_id(cell)


def test_the_self_learner_edition_carries_every_test_hidden_ones_included():
    source, edition = by_grade_id(SOURCE), by_grade_id(SELF_LEARNER)
    assert sorted(edition) == sorted(source)
    hidden = [g for g, c in source.items() if HIDDEN_MARKERS[0] in text(c)]
    assert len(hidden) >= 10
    for gid, cell in source.items():
        want = "\n".join(line for line in text(cell).split("\n") if line.strip() not in HIDDEN_MARKERS)
        assert text(edition[gid]) == want, gid


def test_the_self_learner_edition_validates_as_unchanged():
    """nbgrader's Validate compares each locked cell with its checksum: none may look edited."""
    for cell in nbformat.reads(json.dumps(SELF_LEARNER), as_version=4).cells:
        meta = nbgrader_meta(cell)
        if meta.get("checksum"):
            assert compute_checksum(cell) == meta["checksum"], grade_id(cell)


def test_the_self_learner_edition_says_how_to_work_alone():
    note = SELF_LEARNER["cells"][1]
    assert text(note) == SELF_LEARNER_NOTE
    assert "every test" in text(note) and "Run All" in text(note)
    # Apart from the note and the tests, it is the release.
    rest = [c for c in SELF_LEARNER["cells"] if c.get("id") != note.get("id")]
    assert [c["id"] for c in rest] == [c["id"] for c in RELEASE["cells"]]
    for mine, theirs in zip(rest, RELEASE["cells"], strict=True):
        if not is_test_cell(mine):
            assert text(mine) == text(theirs), mine["id"]
