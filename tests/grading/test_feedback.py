"""Feedback keeps hidden tests out, and nbgrader and ``./course grade`` use the same filters."""
import copy
import json
import types

import nbformat

from trainlab.grading.cells import grade_id
from trainlab.grading.course import load_course, read_config
from trainlab.grading.feedback import (
    FEEDBACK_PREPROCESSORS,
    HIDDEN_NOTE,
    SHORTENED_NOTE,
    HideHiddenTestErrors,
    ShortenTestTracebacks,
    hidden_lines,
)
from trainlab.grading.round import make_job
from trainlab.grading.spec import Limits
from trainlab.grading.worker import nbgrader_config

from conftest import ROOT

SOURCE = nbformat.read(ROOT / "source/lesson02/lesson02.ipynb", as_version=4)


def lesson_cell(name):
    return copy.deepcopy(next(c for c in SOURCE.cells if grade_id(c) == name))


def error(evalue, *traceback):
    return nbformat.v4.new_output("error", ename="AssertionError", evalue=evalue, traceback=list(traceback))


def feedback(cell):
    """The cell as both filters leave it, in the order the feedback list runs them."""
    for step in (HideHiddenTestErrors(), ShortenTestTracebacks()):
        cell, _ = step.preprocess_cell(cell, {}, 0)
    return cell


def test_nbgrader_and_the_grading_command_run_the_same_feedback_steps(tmp_path):
    assert read_config(ROOT).GenerateFeedback.preprocessors == FEEDBACK_PREPROCESSORS
    course = load_course(ROOT)
    template = types.SimpleNamespace(assignment="lesson02")
    private = types.SimpleNamespace(student="ada", folder=str(tmp_path))
    job = make_job(course, template, private, Limits(), [], [], True, None)
    config = nbgrader_config(job, str(tmp_path), [])
    assert list(config.GenerateFeedback.preprocessors) == FEEDBACK_PREPROCESSORS
    steps = [name.rsplit(".", 1)[1] for name in FEEDBACK_PREPROCESSORS]
    # Errors are judged against the hidden code before it is cleared; the rest is cut after.
    assert steps.index("HideHiddenTestErrors") < steps.index("ClearHiddenTests") < steps.index("ShortenTestTracebacks")


def test_an_error_that_quotes_a_hidden_test_is_replaced_message_and_all():
    cell = lesson_cell("ex02_loss_hidden")
    hidden = hidden_lines(cell.source)[-1]
    cell.outputs = [error("perplexity is not exp(loss)", "\x1b[0;32m----> 24\x1b[0m " + hidden)]
    text = json.dumps(feedback(cell).outputs)
    assert hidden not in text and "exp(loss)" not in text and HIDDEN_NOTE in text


def test_a_visible_test_keeps_its_message_and_loses_its_traceback():
    cell = lesson_cell("ex02_loss_visible")
    quoted = "----> 4 expect_close(\"loss of a uniform guess over 10 tokens\", next_token_loss(uniform, ids), ...)"
    cell.outputs = [error("loss of a uniform guess: you have 4.6, expected about 2.3", quoted),
                    nbformat.v4.new_output("stream", name="stdout", text="printed before the error\n")]
    out = feedback(cell).outputs
    assert out[0].traceback == ["AssertionError: loss of a uniform guess: you have 4.6, expected about 2.3",
                                SHORTENED_NOTE]
    assert out[1].text == "printed before the error\n"


def test_cells_that_are_not_tests_keep_their_tracebacks():
    cell = next(c for c in copy.deepcopy(SOURCE.cells) if c.cell_type == "code" and not grade_id(c))
    cell.outputs = [error("boom", "line 1", "line 2")]
    assert feedback(cell).outputs[0].traceback == ["line 1", "line 2"]
