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


def show_whole_answers() -> None:
    """Tables show every answer in full: the invented descriptions are the point of a demo."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 200)


def quiet_libraries() -> None:
    """Keep the libraries' own notices out of the lesson's outputs.

    transformers and TRL print deprecation notices and advice meant for their developers
    (``FutureWarning``, a TRL note about ``loss_type``); they say nothing about the lesson and
    carry full paths into the venv. Only their warnings are silenced; the student's code warns as
    usual.
    """
    import logging
    import warnings

    for module in ("transformers", "trl", "accelerate", "datasets", "torch"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
    warnings.filterwarnings("ignore", category=UserWarning, module="trl")
    for name in ("transformers", "trl", "accelerate", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
    except ImportError:  # checked by check_packages before this is called
        pass


def start_lesson(seed: int = 0, quiet: bool = False) -> LessonMode:
    """Check packages, seed everything, set torch's threads; print the set-up and the mode.

    Also shows tables' answers in full and keeps library notices out of the outputs.
    Returns the lesson's mode, which every gated cell of the notebook asks.
    """
    missing = check_packages()
    if missing:
        raise RuntimeError(f"Missing packages: {', '.join(missing)}. To fix it, {INSTALL_HINT}.")
    from trainlab.cpu import set_threads
    from trainlab.seed import set_seed

    threads = set_threads()
    set_seed(seed)
    show_whole_answers()
    quiet_libraries()
    mode = lesson_mode()
    if not quiet:
        print("  ".join(f"{k}={v}" for k, v in {**versions(), "seed": seed, "threads": threads}.items()))
        print(mode.explain())
    return mode
