"""The lesson's first cell: check the environment, seed everything, decide and say what runs.

``start_lesson()`` is the notebook's setup call. It reports the versions that matter (so a
result can be compared with a classmate's), seeds Python, NumPy and torch, picks a thread count
from the CPU quota the machine really grants, and tells the student in one sentence what to do
when a required package is missing, instead of failing later with a deep traceback. It
returns the lesson's mode (:mod:`.mode`), after printing the one line that explains it.

Example:
    >>> mode = start_lesson(seed=0, quiet=True)
    >>> mode.name in ("full", "fast", "grading")
    True
"""
from __future__ import annotations

import importlib
import importlib.metadata
import platform

from trainlab.lesson.mode import LessonMode, lesson_mode

REQUIRED = ["torch", "transformers", "numpy", "pandas", "matplotlib", "ipywidgets"]
VERSIONS = ["torch", "transformers", "nbgrader", "numpy", "pandas", "matplotlib"]
INSTALL_HINT = "run `./course install` in the project folder (or `pip install -r requirements.txt`)"


def check_packages(names=REQUIRED) -> list[str]:
    """Return the required packages that cannot be imported."""
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a broken install fails with more than ImportError
            missing.append(name)
    return missing


def versions() -> dict:
    """Python's version and the installed versions of the packages a result depends on."""
    found = {"python": platform.python_version()}
    for name in VERSIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def start_lesson(seed: int = 0, quiet: bool = False) -> LessonMode:
    """Check packages, seed everything, set torch's threads; print the set-up and the mode.

    Returns the lesson's mode, which every gated cell of the notebook asks.
    """
    missing = check_packages()
    if missing:
        raise RuntimeError(f"Missing packages: {', '.join(missing)}. To fix it, {INSTALL_HINT}.")
    from trainlab.cpu import set_threads
    from trainlab.seed import set_seed

    threads = set_threads()
    set_seed(seed)
    mode = lesson_mode()
    if not quiet:
        print("  ".join(f"{k}={v}" for k, v in {**versions(), "seed": seed, "threads": threads}.items()))
        print(mode.explain())
    return mode
