"""The lesson's mode: decided from the environment once, in the first cell; explained in one line."""
import pytest

from trainlab.lesson.mode import lesson_mode
from trainlab.lesson.setup import start_lesson


@pytest.mark.parametrize("environ, name, trains, demos, real_model", [
    ({}, "full", True, True, True),
    ({"TRAINLAB_FAST": "1"}, "fast", False, True, True),
    ({"TRAINLAB_FAST": "0"}, "full", True, True, True),
    ({"NBGRADER_EXECUTION": "autograde"}, "grading", False, False, False),
    ({"NBGRADER_EXECUTION": "validate", "TRAINLAB_FAST": "1"}, "grading", False, False, False),
    ({"NBGRADER_EXECUTION": "autograde", "TRAINLAB_FAST": "0"}, "grading", True, False, False),
])
def test_mode_follows_nbgrader_and_the_override(environ, name, trains, demos, real_model):
    mode = lesson_mode(environ)
    assert (mode.name, mode.trains, mode.demos, mode.real_model) == (name, trains, demos, real_model)


def test_each_mode_explains_itself_in_one_line():
    lines = {lesson_mode(env).explain() for env in ({}, {"TRAINLAB_FAST": "1"}, {"NBGRADER_EXECUTION": "1"})}
    assert len(lines) == 3 and all("\n" not in line for line in lines)
    assert "checkpoints" in lesson_mode({"TRAINLAB_FAST": "1"}).explain()
    assert "no real model" in lesson_mode({"NBGRADER_EXECUTION": "1"}).explain()


def test_start_lesson_returns_the_mode_and_prints_versions_and_mode(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.delenv("TRAINLAB_FAST", raising=False)
    mode = start_lesson(seed=0)
    out = capsys.readouterr().out.splitlines()
    assert mode == lesson_mode()
    assert out[0].startswith("python=") and "torch=" in out[0] and "seed=0" in out[0]
    assert out[1] == mode.explain()


def test_start_lesson_shows_whole_answers_and_keeps_library_notices_out(monkeypatch, capsys):
    import warnings

    import pandas as pd

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    start_lesson(seed=0, quiet=True)
    assert pd.get_option("display.max_colwidth") is None  # a long invented answer is shown whole
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("old API", FutureWarning, "x.py", 1, module="transformers.utils")
        warnings.warn_explicit("your code", UserWarning, "x.py", 1, module="__main__")
    assert [str(w.message) for w in caught] == ["your code"]
