"""The committed notebooks: clean in git, generated editions fresh, the solution runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT
from trainlab.build import build

NOTEBOOKS = sorted(p for p in ROOT.glob("*/**/*.ipynb")
                   if ".venv" not in p.parts and ".ipynb_checkpoints" not in p.parts
                   and "autograded" not in p.parts)


def test_the_three_editions_exist():
    names = {p.relative_to(ROOT).as_posix() for p in NOTEBOOKS}
    assert {"source/lesson02/lesson02.ipynb", "release/lesson02/lesson02.ipynb",
            "notebooks/lesson02.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_committed_without_outputs(path: Path):
    nb = json.loads(path.read_text())
    dirty = [c.get("id") for c in nb["cells"] if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path}: cells with outputs {dirty}; clear outputs before committing"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_source_keeps_nbgrader_metadata():
    nb = nbformat.read(ROOT / "source/lesson02/lesson02.ipynb", as_version=4)
    nbformat.validate(nb)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    ids = [c.metadata.nbgrader.grade_id for c in nb.cells if "nbgrader" in c.metadata]
    assert len(graded) >= 10 and len(ids) == len(set(ids))


def test_generated_editions_are_fresh(tmp_path: Path):
    """release/ and notebooks/ equal what `./course generate` makes from source/ now."""
    build(ROOT, tmp_path)
    for rel in ["release/lesson02/lesson02.ipynb", "notebooks/lesson02.ipynb"]:
        fresh, committed = (tmp_path / rel).read_text(), (ROOT / rel).read_text()
        assert fresh == committed, f"{rel} is stale: run ./course generate and commit the result"


@pytest.mark.slow
def test_solution_notebook_runs_top_to_bottom(tmp_path: Path):
    """Every cell of the instructor notebook, demos and tests included, runs without error."""
    nb = nbformat.read(ROOT / "source/lesson02/lesson02.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [(c.id, o.get("ename"), o.get("evalue")) for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
