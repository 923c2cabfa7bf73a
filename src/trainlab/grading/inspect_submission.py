"""Check a submitted notebook against the released one, before any of it runs.

nbgrader restores an edited locked cell but not a deleted one: a deleted test cell goes
silently to manual grading, a changed ``grade_id`` makes the grader lose the cell, and a
corrupt file makes autograde fail. ``inspect_submission`` finds each of these, repairs what
can be repaired (deleted or edited test cells are put back from the release, changed
points and ids are restored, an unknown kernel is replaced by the course's), and says what
it did, one finding per line, for the report. What cannot be graded at all (missing,
corrupt, not a notebook, too large) is a *fatal* finding: the round records 0 for it.

Example:
    found = inspect_submission("submitted/alice/lesson02/lesson02.ipynb", release_nb,
                               "/private/lesson02.ipynb")
    found.fatal     # None, or e.g. "corrupt notebook: not valid JSON (line 3 column 1)"
    found.findings  # e.g. ["test cell 'test_loss' deleted: restored from the release"]
"""
import copy
import dataclasses
import json
import os

import nbformat

from .cells import grade_id, is_test_cell, nbgrader_meta

MAX_NOTEBOOK_BYTES = 50_000_000
META_KEYS = ("grade", "solution", "locked", "points", "task")


@dataclasses.dataclass
class Inspection:
    """What the check found; ``fatal`` set means there is nothing to grade."""

    fatal: str | None = None
    findings: list = dataclasses.field(default_factory=list)


def describe(cell):
    """Name a release cell the way the report speaks of it."""
    if is_test_cell(cell):
        return "test cell"
    return "answer cell" if nbgrader_meta(cell).get("solution") else "locked cell"


def read_submission(path):
    """Load a notebook, or return why it cannot be graded."""
    if not os.path.exists(path):
        return None, "missing notebook: %s is not in the submission" % os.path.basename(path)
    size = os.path.getsize(path)
    if size > MAX_NOTEBOOK_BYTES:
        return None, "notebook too large (%d MB): not graded" % (size // 1_000_000)
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, "corrupt notebook: not valid JSON (%s)" % error
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, "corrupt notebook: valid JSON but not a Jupyter notebook"
    try:
        nb = nbformat.from_dict(raw)
        nb = nbformat.convert(nb, 4)
        for cell in nb.cells:
            cell.setdefault("metadata", {})
            cell["source"] = "".join(cell.source) if isinstance(cell.source, list) else cell.source
    except Exception as error:
        return None, "corrupt notebook: %s" % error
    return nb, None


def repair_cell(cell, release_cell, findings):
    """Put back the release's metadata (and, for locked cells, source)."""
    gid, what = grade_id(release_cell), describe(release_cell)
    release_meta, meta = release_cell.metadata.nbgrader, cell.metadata.nbgrader
    changed = ["%s %r -> %r" % (k, meta.get(k), release_meta.get(k))
               for k in META_KEYS if meta.get(k) != release_meta.get(k)]
    if changed:
        findings.append("%s '%s' metadata changed (%s): restored"
                        % (what, gid, "; ".join(changed)))
    cell.metadata["nbgrader"] = copy.deepcopy(release_meta)
    if release_meta.get("locked") and not release_meta.get("solution"):
        if cell.source != release_cell.source or cell.cell_type != release_cell.cell_type:
            findings.append("%s '%s' edited: restored from the release" % (what, gid))
            cell.source, cell.cell_type = release_cell.source, release_cell.cell_type


def clear_outputs(nb):
    """Drop submitted outputs: the grader runs everything afresh, and outputs can be huge."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


def inspect_submission(path, release_nb, out_path):
    """Check the notebook at ``path``; write the repaired copy to ``out_path``."""
    nb, fatal = read_submission(path)
    if fatal:
        return Inspection(fatal=fatal)
    found = Inspection()
    clear_outputs(nb)
    release_kernel = release_nb.metadata.get("kernelspec", {})
    kernel = nb.metadata.get("kernelspec", {}) or {}
    if kernel.get("name") != release_kernel.get("name"):
        found.findings.append("kernel %r replaced by the course's %r"
                              % (kernel.get("name"), release_kernel.get("name")))
        nb.metadata["kernelspec"] = copy.deepcopy(release_kernel)
    release_cells = [c for c in release_nb.cells if grade_id(c)]
    release_ids = {grade_id(c) for c in release_cells}
    matched, unknown = {}, []
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in release_ids and gid not in matched:
            matched[gid] = cell
        elif gid is not None:
            unknown.append(cell)
    cells = list(nb.cells)
    anchor = None
    for release_cell in release_cells:
        gid = grade_id(release_cell)
        cell = matched.get(gid)
        if cell is None and release_cell.metadata.nbgrader.get("solution"):
            cell = take_renamed_answer(cells, unknown, anchor, matched)
            if cell is not None:
                found.findings.append("answer cell id changed from '%s': restored to '%s'"
                                      % (grade_id(cell), gid))
        if cell is None:
            cell = copy.deepcopy(release_cell)
            cells.insert(0 if anchor is None else index_of(cells, anchor) + 1, cell)
            found.findings.append("%s '%s' deleted: restored from the release%s" % (
                describe(release_cell), gid,
                "" if not release_cell.metadata.nbgrader.get("solution") else " (unanswered)"))
        else:
            repair_cell(cell, release_cell, found.findings)
        anchor = cell
    for cell in unknown:
        if grade_id(cell) in release_ids:
            found.findings.append("duplicate cell id '%s': the copy is treated as an "
                                  "ordinary cell" % grade_id(cell))
        else:
            found.findings.append("unknown graded cell '%s': treated as an ordinary cell"
                                  % grade_id(cell))
        del cell.metadata["nbgrader"]
    nb.cells = cells
    nbformat.write(nb, out_path)
    return found


def take_renamed_answer(cells, unknown, anchor, matched):
    """Find an answer cell with an unknown id right after ``anchor``: it was renamed."""
    start = 0 if anchor is None else index_of(cells, anchor) + 1
    later_matched = [index_of(cells, c) for c in matched.values()]
    stop = min([i for i in later_matched if i >= start], default=len(cells))
    for cell in list(unknown):
        i = index_of(cells, cell)
        if start <= i < stop and cell.metadata.nbgrader.get("solution"):
            unknown.remove(cell)
            return cell
    return None


def index_of(cells, cell):
    """Return the position of this very cell object in ``cells``, or None."""
    return next((i for i, c in enumerate(cells) if c is cell), None)
