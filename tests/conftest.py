"""Shared fixtures: the project root and a scratch copy of the course for nbgrader runs."""
from __future__ import annotations

import os

# Before anything imports torch: its threads must sleep, not spin, while they wait (a busy
# core otherwise makes every test several times slower).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import shutil
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
