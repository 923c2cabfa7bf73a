"""Shared fixtures: the project root, a scratch copy of the course, nbgrader run as instructors do.

``trainlab`` is imported before anything else: importing it sets the environment defaults
(``OMP_WAIT_POLICY=PASSIVE`` above all) before any test module imports torch, so that torch's
threads sleep rather than spin while they wait; on a busy machine spinning threads made every
test several times slower. Test modules therefore need no import-order care of their own.
"""
from __future__ import annotations

import trainlab  # noqa: F401  (first: the package sets OMP_WAIT_POLICY before torch loads)

# isort: split
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def make_course_copy(dest: Path) -> Path:
    """A course root with the source notebook and config, and its own empty gradebook."""
    shutil.copytree(ROOT / "source", dest / "source")
    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


def nbgrader(args: list[str], root: Path) -> None:
    """Run an ``nbgrader`` command in the course at ``root`` as an instructor types it; raise
    with its output if it fails."""
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"]
    # nbgrader shells out to `alembic`, which lives beside this interpreter.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def pytest_collection_modifyitems(items):
    """Everything that needs the real model, a browser or PostgreSQL is outside the quick tier."""
    for item in items:
        if any(item.get_closest_marker(name) for name in ("model", "browser", "postgres")):
            item.add_marker(pytest.mark.slow)
