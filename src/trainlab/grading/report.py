"""Say what happened to every submission of a round, and summarise the class.

``describe_outcome`` turns what the check, the confined grader, the kernel's guard and
its audit log left in a submission's private folder into one line, e.g.::

    mallory      2/6  graded; cell 'answer_loss' stopped at the 5 s cell time limit; failed tests: test_loss
    trent        0/6  not graded (0 recorded): corrupt notebook: not valid JSON (...)

``write_summary`` saves the lines, a score histogram (``scores.png``) and a table of the
tests most students failed (``report.txt``), and every outcome for other programs
(``outcomes.json``).
"""
import collections
import dataclasses
import glob
import json
import os
import re

import nbformat

from .cells import grade_id, is_test_cell, nbgrader_meta

MAX_LISTED = 3


@dataclasses.dataclass
class Outcome:
    """One submission's result as the report shows it."""

    student: str
    score: float
    max_score: float
    status: str
    details: list
    cell_scores: dict = dataclasses.field(default_factory=dict)

    def line(self):
        """Return the report line for this submission."""
        text = "%-16s %5g/%g  %s" % (self.student, self.score, self.max_score, self.status)
        return text + ("; " + "; ".join(self.details) if self.details else "")


def read_jsonl(path):
    """Return the records of a JSON-lines file, skipping lines that do not parse."""
    if not os.path.exists(path):
        return []
    records = []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def cell_name(cell, index):
    """Name a cell by its nbgrader id, else by its position."""
    return grade_id(cell) or "#%d" % index


def describe_cells(notebook_paths, limits):
    """Return the report's notes on errors in the graded notebooks, and failed tests."""
    notes, failed, unanswered = [], [], []
    for path in notebook_paths:
        for index, cell in enumerate(nbformat.read(path, 4).cells):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if not errors:
                continue
            name, error = cell_name(cell, index), errors[-1]
            if is_test_cell(cell):
                failed.append(name)
            elif error.ename == "NotImplementedError":
                unanswered.append(name)
            elif error.ename == "CellTimeoutError":
                notes.append("cell '%s' stopped at the %d s cell time limit"
                             % (name, limits.cell_timeout))
            elif error.ename == "MemoryError":
                notes.append("cell '%s' ran out of memory (limit %d MB): MemoryError"
                             % (name, limits.memory_bytes >> 20))
            elif error.ename != "KernelDied":
                notes.append("cell '%s' raised %s: %s"
                             % (name, error.ename, str(error.get("evalue", ""))[:80]))
    if len(notes) > MAX_LISTED:
        notes = notes[:MAX_LISTED] + ["%d more cells raised errors" % (len(notes) - MAX_LISTED)]
    if unanswered:
        notes.append("unanswered: " + ", ".join(unanswered))
    if failed:
        notes.append("failed tests: " + ", ".join(failed))
    return notes


def describe_guard(events):
    """Return notes on what the kernel's guard saw: patched helpers, floods, deaths."""
    notes = []
    for event in events:
        if event.get("kernel_died"):
            notes.append("the kernel died in cell '%s' (crash or memory limit); later cells "
                         "scored 0" % event["cell"])
        elif event.get("dropped_bytes"):
            notes.append("cell '%s' printed too much: %d bytes of output dropped"
                         % (event["cell"], event["dropped_bytes"]))
        elif event.get("restored"):
            notes.append("before test '%s' the notebook had patched %s: restored"
                         % (event["cell"], ", ".join(event["restored"])[:160]))
    return notes


def describe_audit(records):
    """Return notes on attempts to leave the working copy, use the network, etc."""
    by_kind = collections.defaultdict(list)
    for record in records:
        event = record.get("event", "")
        if event == "write" or event.startswith(("os.", "shutil.")) and "path" in record:
            by_kind["tried to write or delete outside its working copy (refused)"].append(
                record.get("path", ""))
        elif event.startswith("socket."):
            by_kind["tried to use the network (there is none while grading)"].append(
                record.get("detail", ""))
    return ["%s: %s%s" % (kind, ", ".join(sorted(set(items))[:2]),
                          "" if len(set(items)) <= 2 else " and %d more" % (len(set(items)) - 2))
            for kind, items in by_kind.items()]


def summarise_failure(text):
    """Pick the most telling line of a traceback or log: its last real exception."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Exit)\b.*", line)
              and "NbGraderException" not in line]
    return ((errors or lines or ["no output"])[-1])[:200]


def describe_outcome(private, result, scores, template, limits):
    """Build the Outcome of one submission from its JobResult and its private folder."""
    score = sum(s or 0 for s, _ in scores.values())
    details = list(private.findings)
    if private.fatal:
        return Outcome(private.student, score, template.max_score,
                       "not graded (0 recorded)", details, scores)
    autograded = glob.glob(os.path.join(private.folder, "course", "autograded", "*", "*",
                                        "*.ipynb"))
    details += describe_guard(read_jsonl(os.path.join(private.folder, "events.jsonl")))
    details += describe_audit(read_jsonl(os.path.join(private.folder, "audit.jsonl")))
    if result.timed_out:
        status = "%s (0 recorded)" % result.stopped
    elif not result.autograde_ok:
        reason = result.stopped or result.error or "no result from the grader"
        status = "grading failed (0 recorded): %s" % summarise_failure(reason)
    else:
        status = "graded" + (" after repairs" if private.findings else "")
        details += describe_cells(autograded, limits)
        if not result.feedback_ok:
            details.append("feedback could not be generated")
    if result.stopped and not result.timed_out:
        details.append("the sandbox " + result.stopped)
    return Outcome(private.student, score, template.max_score, status, details, scores)


def failed_tests_table(outcomes, template):
    """Return [(test id, number of students who did not get full marks)], most failed first."""
    tests = [(name, c.metadata.nbgrader.grade_id) for name, nb in template.notebooks.items()
             for c in nb.cells if is_test_cell(c)]
    counts = []
    for key in tests:
        scores = [o.cell_scores.get(key) for o in outcomes]
        counts.append((key[1], sum(1 for s in scores if s is None or (s[0] or 0) < s[1])))
    return sorted(counts, key=lambda item: -item[1])


def plot_scores(outcomes, max_score, path):
    """Save a histogram of total scores."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # One bar per whole point while that stays readable; 20 bars otherwise.
    bins = [b - 0.5 for b in range(int(max_score) + 2)] if max_score <= 40 else 20
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([o.score for o in outcomes], bins=bins, color="#4477aa", edgecolor="white")
    ax.set_xlabel("score (of %g)" % max_score)
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution (%d submissions)" % len(outcomes))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_summary(outcomes, template, report_dir, banner=""):
    """Write report.txt and scores.png into ``report_dir``; return the summary text."""
    os.makedirs(report_dir, exist_ok=True)
    counts = collections.Counter(o.status.split(" (")[0].split(":")[0] for o in outcomes)
    lines = [o.line() for o in sorted(outcomes, key=lambda o: o.student)]
    if banner:
        lines = ["!!! %s !!!" % banner, ""] + lines
    lines += ["", "%d submissions: %s" % (len(outcomes), ", ".join(
        "%s %d" % (k, v) for k, v in sorted(counts.items())))]
    lines += ["", "tests most students failed:", "%-28s %s" % ("test", "failed")]
    lines += ["%-28s %d/%d" % (name, n, len(outcomes))
              for name, n in failed_tests_table(outcomes, template)[:10]]
    plot = plot_scores(outcomes, template.max_score, os.path.join(report_dir, "scores.png"))
    lines += ["", "score distribution: " + plot]
    by_hand = sum(nbgrader_meta(c).get("points", 0) for nb in template.notebooks.values()
                  for c in nb.cells if c.cell_type == "markdown" and nbgrader_meta(c).get("grade"))
    if by_hand:
        lines.append("scores are automatic marks; %g point(s) of free-text answers are graded "
                     "by hand in the formgrader" % by_hand)
    text = "\n".join(lines)
    with open(os.path.join(report_dir, "report.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(report_dir, "outcomes.json"), "w") as f:
        json.dump([{"student": o.student, "score": o.score, "max_score": o.max_score,
                    "status": o.status, "details": o.details, "line": o.line()}
                   for o in sorted(outcomes, key=lambda o: o.student)], f, indent=1)
    return text
