"""Feedback that tells students what failed without showing the hidden tests.

nbgrader's ``ClearHiddenTests`` removes the hidden test code from the feedback, but a failing
hidden test leaves an IPython traceback in the cell's output, and the traceback quotes the test
source line by line, answer keys included (nbgrader issue #917). ``ShortenTestTracebacks``
replaces the traceback of every graded test cell with its last line, the exception and its
message, which the tests write so that it names the mistake and not the answer.

Used from ``nbgrader_config.py``::

    c.GenerateFeedback.preprocessors = [..., "nbgrader.preprocessors.ClearHiddenTests",
                                        "trainlab.feedback.ShortenTestTracebacks", ...]
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

NOTE = "(the test code is not shown in feedback)"


def is_test_cell(cell) -> bool:
    """A graded code cell: an nbgrader test cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade"))


def shorten_error(output: dict) -> dict:
    """An error output whose traceback is reduced to ``Name: message``."""
    short = dict(output)
    line = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
    short["traceback"] = [line, NOTE]
    return short


class ShortenTestTracebacks(Preprocessor):
    """Reduce the tracebacks of graded test cells to their final line."""

    # nbconvert registers preprocessors disabled unless they say otherwise.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            cell["outputs"] = [shorten_error(o) if o.get("output_type") == "error" else o
                               for o in cell.get("outputs", [])]
        return cell, resources
