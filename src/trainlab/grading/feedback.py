"""Keep hidden tests and their answer keys out of the feedback students get back.

nbgrader's ``ClearHiddenTests`` removes the hidden test code from a test cell, but the
cell's error output still carries the traceback, which quotes the failing line, e.g.
``assert round(perplexity, 2) == 7.39``. ``HideHiddenTestErrors`` runs before it and
replaces any error output that quotes a hidden line with the error's name and a note.
A visible test's message (which tells students how far off they are) is left alone.
"""
import re

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Shorter lines ("pass", "else:") say nothing about a test and appear everywhere.
MIN_LINE = 12
HIDDEN_NOTE = "a hidden test failed (hidden tests are not shown in feedback)"


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


class HideHiddenTestErrors(NbGraderPreprocessor):
    """Replace error outputs that would reveal hidden test code."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            return cell, resources
        lines = hidden_lines(cell.source)
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and quotes_any(output, lines):
                output = NotebookNode(output_type="error", ename=output.get("ename", "Error"),
                                      evalue=HIDDEN_NOTE,
                                      traceback=["%s: %s" % (output.get("ename", "Error"),
                                                             HIDDEN_NOTE)])
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources
