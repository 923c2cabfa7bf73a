"""The committed notebooks: clean in git, generated editions fresh, the solution runs."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from trainlab import cli
from trainlab.grading.cells import is_test_cell, nbgrader_meta

from conftest import ROOT

# The output-stripping hook of .pre-commit-config.yaml, as it runs on a commit.
STRIP = [sys.executable, "-m", "nbstripout", "--keep-id"]

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
    points = sum(nbgrader_meta(c).get("points", 0) for c in nb.cells if nbgrader_meta(c).get("grade"))
    answers = [c for c in nb.cells if nbgrader_meta(c).get("solution")]
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    # The README promises thirteen exercises worth 39 points.
    assert (len(answers), points) == (13, 39)
    assert len(ids) == len(set(ids)) and any(is_test_cell(c) for c in nb.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_commit_hook_would_change_nothing(path: Path):
    """The committed notebooks are what the output-stripping hook leaves: nothing to strip."""
    stripped = subprocess.run([*STRIP, "--textconv", str(path)], capture_output=True, text=True, check=True)
    assert json.loads(stripped.stdout) == json.loads(path.read_text())


def test_the_commit_hook_strips_outputs_and_keeps_nbgrader_metadata(tmp_path: Path):
    nb = json.loads((ROOT / "source/lesson02/lesson02.ipynb").read_text())
    clean = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = 7
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
            cell["metadata"]["collapsed"] = True
    ran = tmp_path / "ran.ipynb"
    ran.write_text(json.dumps(nb))
    subprocess.run([*STRIP, str(ran)], check=True)
    assert json.loads(ran.read_text()) == clean


def test_the_commit_hooks_are_the_pinned_tools():
    """.pre-commit-config.yaml runs the versions of nbstripout and ruff the tests install."""
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    pins = dict(line.split("==") for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert re.search(rf"kynan/nbstripout\n\s+rev: {re.escape(pins['nbstripout'])}\n", config)
    assert re.search(rf"astral-sh/ruff-pre-commit\n\s+rev: v{re.escape(pins['ruff'])}\n", config)
    assert "--keep-id" in config


def test_generated_editions_are_fresh(tmp_path: Path):
    """release/ and notebooks/ equal what `trainlab generate` (./course generate) makes from source/ now."""
    assert cli.main(["generate", "--out", str(tmp_path)]) == 0
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


def test_the_time_map_names_every_section_in_order():
    """The time map at the top lists the lesson's sections as they come, with minutes for each."""
    nb = nbformat.read(ROOT / "source/lesson02/lesson02.ipynb", as_version=4)
    rows = re.findall(r"^\| ([^|]+?) \| (\d+) \|", nb.cells[0].source, flags=re.M)
    headings = [m for c in nb.cells if c.cell_type == "markdown"
                for m in re.findall(r"^## (.+)$", c.source, flags=re.M)]
    listed = [name for name, _ in rows]
    assert listed[:-1] == [h for h in headings if not h.startswith(("Recap", "Frequently"))]
    assert listed[-1] == "Recap and FAQ" and all(int(minutes) >= 1 for _, minutes in rows)
