"""The check that runs before grading: what it repairs, what it refuses, what it reports."""
import copy
import os

import nbformat
import pytest

from trainlab.grading import course as course_mod
from trainlab.grading.cells import nbgrader_meta
from trainlab.grading.inspect_submission import inspect_submission

from grading_corpus import make_demo_course, solved


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo course's release and solution notebooks."""
    root = str(tmp_path_factory.mktemp("demo"))
    source = make_demo_course(root)
    course = course_mod.load_course(root)
    template = course_mod.build_template(course, "lesson02", str(tmp_path_factory.mktemp("t")))
    release = template.notebooks["lesson02"]
    return release, solved(release, nbformat.read(source, 4)), nbformat.read(source, 4)


def check(tmp_path, nb, release, raw=None):
    path = str(tmp_path / "in.ipynb")
    if raw is not None:
        with open(path, "w") as f:
            f.write(raw)
    elif nb is not None:
        nbformat.write(nb, path)
    out = str(tmp_path / "out.ipynb")
    found = inspect_submission(path, release, out)
    return found, (nbformat.read(out, 4) if os.path.exists(out) else None)


def ids(nb):
    return [nbgrader_meta(c).get("grade_id") for c in nb.cells if nbgrader_meta(c)]


def test_a_clean_submission_has_no_findings(demo, tmp_path):
    release, good, _ = demo
    found, out = check(tmp_path, good, release)
    assert found.fatal is None and found.findings == []
    assert ids(out) == ids(release)


def test_deleted_test_cells_come_back_in_place(demo, tmp_path):
    release, good, _ = demo
    nb = copy.deepcopy(good)
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != "test_mean"]
    found, out = check(tmp_path, nb, release)
    assert found.findings == ["test cell 'test_mean' deleted: restored from the release"]
    assert ids(out) == ids(release)
    restored = next(c for c in out.cells if nbgrader_meta(c).get("grade_id") == "test_mean")
    assert restored.source == next(c for c in release.cells
                                   if nbgrader_meta(c).get("grade_id") == "test_mean").source


def test_changed_points_and_ids_are_restored(demo, tmp_path):
    release, good, _ = demo
    nb = copy.deepcopy(good)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == "test_add":
            cell.metadata.nbgrader["points"] = 50
        if nbgrader_meta(cell).get("grade_id") == "ex_mean":
            cell.metadata.nbgrader["grade_id"] = "mine"
    found, out = check(tmp_path, nb, release)
    assert "test cell 'test_add' metadata changed (points 50 -> 2): restored" in found.findings
    assert "answer cell id changed from 'mine': restored to 'ex_mean'" in found.findings
    assert ids(out) == ids(release)
    assert "def mean" in next(c for c in out.cells if nbgrader_meta(c).get("grade_id") == "ex_mean").source


def test_unknown_and_duplicate_graded_cells_become_ordinary(demo, tmp_path):
    release, good, _ = demo
    nb = copy.deepcopy(good)
    extra = copy.deepcopy(next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "test_add"))
    stranger = copy.deepcopy(extra)
    stranger.metadata.nbgrader["grade_id"] = "free_points"
    nb.cells += [extra, stranger]
    found, out = check(tmp_path, nb, release)
    assert "duplicate cell id 'test_add': the copy is treated as an ordinary cell" in found.findings
    assert "unknown graded cell 'free_points': treated as an ordinary cell" in found.findings
    assert ids(out) == ids(release)


def test_wrong_kernel_is_replaced(demo, tmp_path):
    release, good, _ = demo
    nb = copy.deepcopy(good)
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    found, out = check(tmp_path, nb, release)
    assert found.findings == ["kernel 'ir' replaced by the course's 'python3'"]
    assert out.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("raw, reason", [
    (None, "missing notebook"),
    ('{"cells": [', "corrupt notebook: not valid JSON"),
    ('{"hello": 1}', "corrupt notebook: valid JSON but not a Jupyter notebook"),
    ("\xff\xfe", "corrupt notebook: not valid JSON"),
])
def test_ungradable_files_are_fatal_with_a_reason(demo, tmp_path, raw, reason):
    release = demo[0]
    found, out = check(tmp_path, None, release, raw=raw)
    assert found.fatal.startswith(reason) and out is None

