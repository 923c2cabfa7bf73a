"""The lesson's mode: one object, decided once in the first cell, that every gated cell asks.

Three situations run the same notebook, and each wants a different amount of work:

* ``full``: a student with a few minutes. The tiny models train here, live; every demo runs;
  the real model (SmolLM2-135M-Instruct) is loaded and probed.
* ``fast``: ``TRAINLAB_FAST=1``, a student short of time. The tiny models are loaded from
  the shipped checkpoints (:mod:`trainlab.stages.checkpoints`) and the data experiments run
  fewer steps; every demo still runs, the real model too.
* ``grading``: nbgrader is executing the notebook (it sets ``NBGRADER_EXECUTION`` while it
  autogrades or validates). Checkpoints, no slow demos and no real model: no exercise
  depends on them, and every submission would pay for them.

``TRAINLAB_FAST=0`` trains even under nbgrader. This module is the only reader of
those two variables; the notebook asks ``mode.trains``, ``mode.demos`` and
``mode.real_model`` instead of reading the environment itself.

Example:
    >>> mode = lesson_mode({"NBGRADER_EXECUTION": "autograde"})
    >>> mode.name, mode.trains, mode.demos, mode.real_model
    ('grading', False, False, False)
    >>> lesson_mode({}).trains
    True
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LessonMode:
    """What runs now: each field answers one question a gated cell asks."""

    name: str  # "full", "fast" or "grading"
    trains: bool  # train the tiny models here (else load the shipped checkpoints)
    demos: bool  # run the demos no exercise depends on (data experiments, comparisons)
    real_model: bool  # load and probe SmolLM2-135M-Instruct

    def explain(self) -> str:
        """One line that tells the student what this mode runs, and how to change it."""
        tiny = ("the tiny models train here, live" if self.trains
                else "the tiny models are loaded from shipped checkpoints")
        demos = "every demo runs" if self.demos else "the slow demos are skipped"
        real = "the real model (SmolLM2-135M) is loaded" if self.real_model else "no real model"
        how = {"full": "set TRAINLAB_FAST=1 before starting Jupyter for fast mode",
               "fast": "unset TRAINLAB_FAST for the full lesson",
               "grading": "nbgrader is running this notebook"}[self.name]
        return f"{self.name.capitalize()} mode: {tiny}; {demos}; {real} ({how})."


def lesson_mode(environ: Mapping[str, str] | None = None) -> LessonMode:
    """Decide the mode from ``NBGRADER_EXECUTION`` and ``TRAINLAB_FAST`` (default: ``os.environ``)."""
    environ = os.environ if environ is None else environ
    grading = bool(environ.get("NBGRADER_EXECUTION"))
    fast = environ.get("TRAINLAB_FAST")
    trains = fast != "1" if fast is not None else not grading
    if grading:
        return LessonMode("grading", trains=trains, demos=False, real_model=False)
    return LessonMode("full" if trains else "fast", trains=trains, demos=True, real_model=True)
