"""The lesson's first cell: check the environment, seed everything, print what runs where.

``start_lesson()`` is the notebook's setup call. It reports the versions that matter (so a
result can be compared with a classmate's), seeds Python, NumPy and torch, picks a thread count
from the CPU quota the machine really grants, and tells the student in one sentence what to do
when a required package is missing, instead of failing later with a deep traceback.

Example:
    >>> info = start_lesson(seed=0, quiet=True)
    >>> info["seed"]
    0
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import random

REQUIRED = ["torch", "transformers", "numpy", "pandas", "matplotlib", "ipywidgets"]
INSTALL_HINT = "run `./course install` in the project folder (or `pip install -r requirements.txt`)"


def grading() -> bool:
    """True while nbgrader executes the notebook (autograde, validate): use fast paths then."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def cpu_quota() -> int:
    """Cores this process may really use: the cgroup quota, the affinity mask, whichever is less.

    Binder and containers often show every core of the host while granting one or two; torch
    sized to the visible count then waits on threads that never get a core.
    """
    visible = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = visible or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            limit, period = f.read().split()[:2]
        if limit != "max":
            quota = max(1, int(int(limit) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, min(visible or 1, quota))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators so a re-run draws the same numbers."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def check_packages(names=REQUIRED) -> list[str]:
    """Return the required packages that cannot be imported."""
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a broken install fails with more than ImportError
            missing.append(name)
    return missing


def start_lesson(seed: int = 0, quiet: bool = False) -> dict:
    """Check packages, seed everything, set torch's threads; print and return a summary."""
    missing = check_packages()
    if missing:
        raise RuntimeError(f"Missing packages: {', '.join(missing)}. To fix it, {INSTALL_HINT}.")
    import torch

    threads = cpu_quota()
    torch.set_num_threads(threads)
    seed_everything(seed)
    info = {"python": platform.python_version(), "seed": seed, "threads": threads,
            "grading": grading()}
    for name in ["torch", "transformers", "nbgrader", "numpy", "pandas", "matplotlib"]:
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "not installed"
    if not quiet:
        print("  ".join(f"{k}={v}" for k, v in info.items()))
    return info
