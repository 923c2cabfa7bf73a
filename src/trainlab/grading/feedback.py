"""Keep hidden tests and their answer keys out of the feedback students get back.

nbgrader's ``ClearHiddenTests`` removes the hidden test code from a test cell, but the
cell's error output still carries the traceback, which quotes the failing line, e.g.
``assert round(perplexity, 2) == 7.39`` (nbgrader issue #917). Two filters close that gap:

- ``HideHiddenTestErrors`` runs before ``ClearHiddenTests`` and replaces any error output
  that quotes a hidden line (or its context lines) with the error's name and a note, message
  included, since an assertion helper's message can print the expected value.
- ``ShortenTestTracebacks`` then reduces every other traceback of a test cell to its last
  line, the exception and its message, which the visible tests write so that it names the
  mistake and not the answer; whatever else a traceback quotes stays out of the feedback.

``FEEDBACK_PREPROCESSORS`` is the one list of feedback steps: ``nbgrader_config.py`` gives it
to ``nbgrader generate_feedback`` and the grading round gives it to the confined grader, so
both produce the same feedback.
"""
import re

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from .cells import is_test_cell

FEEDBACK_PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",
    "trainlab.grading.feedback.HideHiddenTestErrors",
    "nbgrader.preprocessors.ClearHiddenTests",
    "trainlab.grading.feedback.ShortenTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Shorter lines ("pass", "else:") say nothing about a test and appear everywhere.
MIN_LINE = 12
HIDDEN_NOTE = "a hidden test failed (hidden tests are not shown in feedback)"
SHORTENED_NOTE = "(the test code is not shown in feedback)"


def hidden_lines(source):
    """Return the meaningful code lines between the hidden-test markers."""
    lines, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
        elif stripped == END:
            inside = False
        elif inside and len("".join(stripped.split())) >= MIN_LINE and not stripped.startswith("#"):
            lines.append(stripped)
    return lines


def quotes_any(output, lines):
    """Say whether an error output's text contains any of ``lines``."""
    text = ANSI.sub("", "\n".join(output.get("traceback", [])) + "\n" + output.get("evalue", ""))
    return any(line in text for line in lines)


def error_output(ename, evalue, *extra):
    """An nbformat error output whose traceback is one line, ``ename: evalue``, and ``extra``."""
    line = f"{ename}: {evalue}".rstrip(": ")
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[line, *extra])


class HideHiddenTestErrors(NbGraderPreprocessor):
    """Replace error outputs that would reveal hidden test code."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            return cell, resources
        lines = hidden_lines(cell.source)
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and quotes_any(output, lines):
                output = error_output(output.get("ename", "Error"), HIDDEN_NOTE)
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


class ShortenTestTracebacks(NbGraderPreprocessor):
    """Reduce the tracebacks of graded test cells to their final line."""

    def preprocess_cell(self, cell, resources, index):
        if is_test_cell(cell):
            cell.outputs = [self.shorten(o) for o in cell.get("outputs", [])]
        return cell, resources

    @staticmethod
    def shorten(output):
        """An error output reduced to ``Name: message``; other outputs as they are."""
        if output.get("output_type") != "error" or output.get("evalue") == HIDDEN_NOTE:
            return output
        return error_output(output.get("ename", "Error"), output.get("evalue", ""), SHORTENED_NOTE)
