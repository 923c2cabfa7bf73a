"""A corpus of good and bad submissions, built at test time from a released notebook.

``make_demo_course`` writes a small course (three exercises, a test helper module, hidden
tests) for developing the grader without the lesson; ``build_corpus`` takes any course whose
assignment has been generated (the demo, or the real ``lesson02``) and writes into its
``submitted/`` one submission per kind of trouble the round must survive, each with the
outcome the report must give it. Built from the release, the corpus stays in step with
the lesson as exercises are added.
"""
import copy
import dataclasses
import os

import nbformat

from trainlab.grading.cells import is_test_cell, nbgrader_meta
from trainlab.grading.watch import gb

from .demo import make_demo_course  # noqa: F401  (re-exported for the tests)

ESCAPE_MARKER = "grading-corpus-escape-7f3a"


@dataclasses.dataclass
class Expect:
    """What the report and the gradebook must say of one corpus submission."""

    score: float
    status: str
    details: list


def solved(release_nb, source_nb):
    """Return the release notebook with every answer cell filled in from the source."""
    answers = {nbgrader_meta(c).get("grade_id"): c.source for c in source_nb.cells if nbgrader_meta(c).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            cell.source = "\n".join(line for line in answers[nbgrader_meta(cell)["grade_id"]].splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return nb


def code(source):
    """Return a new ordinary code cell."""
    return nbformat.v4.new_code_cell(source)


def index_where(nb, predicate):
    """Return the index of the first cell matching ``predicate``."""
    return next(i for i, c in enumerate(nb.cells) if predicate(c))


def test_points(nb, upto=None):
    """Sum the points of the test cells (before index ``upto`` if given)."""
    cells = nb.cells if upto is None else nb.cells[:upto]
    return float(sum(nbgrader_meta(c).get("points", 0) for c in cells if is_test_cell(c)))


def write(course_root, assignment, student, nb=None, raw=None, files=None):
    """Write one submission folder; ``raw`` writes text instead of a notebook."""
    folder = os.path.join(course_root, "submitted", student, assignment)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "timestamp.txt"), "w") as f:
        f.write("2026-11-20 10:00:00.000000 UTC")
    if nb is not None:
        nbformat.write(nb, os.path.join(folder, assignment + ".ipynb"))
    if raw is not None:
        with open(os.path.join(folder, assignment + ".ipynb"), "w") as f:
            f.write(raw)
    for name, text in (files or {}).items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


SWALLOW_ERRORS = '''ip = get_ipython()
_real_transform = ip.transform_cell
def _swallow(raw_cell):
    body = "\\n".join("    " + line for line in raw_cell.splitlines()) or "    pass"
    return _real_transform("try:\\n" + body + "\\nexcept BaseException:\\n    pass\\n")
ip.transform_cell = _swallow
'''

ESCAPE = '''import glob, os, socket, subprocess
course = {course!r}
attempts = {{}}
for path in glob.glob(course + "/*.db") + [course + "/gradebook.db", "../../../gradebook.db"]:
    try:
        os.remove(path); attempts[path] = "deleted"
    except OSError as e:
        attempts[path] = type(e).__name__
try:
    with open(course + "/{marker}.txt", "w") as f:
        f.write("escaped")
except OSError as e:
    attempts["write"] = type(e).__name__
secrets = (glob.glob(course + "/source/*/*.ipynb") + glob.glob(course + "/submitted/*/*/*.ipynb")
           + glob.glob("../../template/source/*/*.ipynb") + glob.glob("../../sub-*/kernel/*.py")
           + glob.glob("../../sub-*/course/gradebook.db"))
for secret in secrets:
    try:
        attempts["read " + secret] = open(secret, errors="replace").read()[:200]
    except OSError as e:
        attempts["refused " + secret] = type(e).__name__
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    attempts["network"] = "connected"
except OSError as e:
    attempts["network"] = type(e).__name__
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            attempts["environ %s" % pid] = open("/proc/%s/environ" % pid, "rb").read().decode(
                errors="replace")
        except OSError as e:
            attempts["environ %s" % pid] = type(e).__name__
attempts["world"] = sorted(os.listdir("/"))
subprocess.Popen(["sh", "-c", "sleep 600; echo {marker}"], start_new_session=True)
print(attempts)
'''


# Processes that pile up (not an exponential fork bomb: tests share the machine). Past the
# process limit the watcher stops the whole sandbox, whether or not RLIMIT_NPROC holds.
FORK_BOMB = '''import subprocess, time
pile = []
try:
    while True:
        pile.append(subprocess.Popen(["sleep", "120"]))
except OSError as error:
    print("stopped at", len(pile), type(error).__name__)
    time.sleep(60)  # still holding them all
'''

# Each process stays under the per-process address-space limit; together they do not.
MEMORY_IN_PROCESSES = '''import subprocess, sys, time
hogs = [subprocess.Popen([sys.executable, "-c",
                          "import time; block = bytearray(900 << 20); time.sleep(60)"])
        for _ in range(6)]
time.sleep(30)
'''


def build_corpus(course_root, assignment, release_nb, source_nb, limits):
    """Write the corpus into ``course_root/submitted``; return {student: Expect}."""
    good = solved(release_nb, source_nb)
    full = test_points(release_nb)
    first_answer = index_where(good, lambda c: nbgrader_meta(c).get("solution"))
    first_test = index_where(good, is_test_cell)
    expect = {}

    def add(student, nb, score, status="graded", details=(), **kw):
        write(course_root, assignment, student, nb, **kw)
        expect[student] = Expect(score, status, list(details))

    def variant(edit):
        nb = copy.deepcopy(good)
        edit(nb)
        return nb

    add("good_1", good, full)
    add("good_2", good, full)
    add("blank", release_nb, 0.0, details=["failed tests"])
    add("infinite_loop", variant(lambda nb: nb.cells.insert(first_answer + 1, code(
        "while True:\n    pass"))), full,
        details=["stopped at the %d s cell time limit" % limits.cell_timeout])
    add("import_crash", variant(lambda nb: nb.cells.insert(0, code(
        "import module_that_does_not_exist"))), full, details=["raised ModuleNotFoundError"])
    add("kernel_death", variant(lambda nb: nb.cells.insert(first_test + 1, code(
        "import os\nos._exit(1)"))), test_points(good, first_test + 1),
        details=["the kernel died"])
    add("memory_blowup", variant(lambda nb: nb.cells.insert(first_answer + 1, code(
        "blob = [bytearray(1 << 28) for _ in range(10_000)]"))), full,
        details=["ran out of memory"])
    add("huge_output", variant(lambda nb: nb.cells.insert(first_answer + 1, code(
        "print('x' * 30_000_000)"))), full, details=["printed too much"])
    add("corrupt_json", None, 0.0, "not graded", ["corrupt notebook: not valid JSON"],
        raw=nbformat.writes(good)[:-200])
    add("missing_notebook", None, 0.0, "not graded", ["missing notebook"],
        files={"notes.txt": "I forgot to attach it"})

    def wrong_kernel(nb):
        nb.metadata["kernelspec"] = {"name": "julia-1.9", "display_name": "Julia",
                                     "language": "julia"}
    add("wrong_kernel", variant(wrong_kernel), full, details=["kernel 'julia-1.9' replaced"])

    blank_no_tests = copy.deepcopy(release_nb)
    blank_no_tests.cells = [c for c in blank_no_tests.cells if not is_test_cell(c)]
    add("deleted_tests", blank_no_tests, 0.0, "graded after repairs",
        ["deleted: restored from the release", "failed tests"])

    def edit_tests(nb):
        for cell in nb.cells:
            if is_test_cell(cell):
                cell.source = "pass"
    edited = copy.deepcopy(release_nb)
    edit_tests(edited)
    add("edited_tests", edited, 0.0, "graded after repairs", ["edited: restored", "failed tests"])

    def inflate(nb):
        for cell in nb.cells:
            if is_test_cell(cell):
                cell.metadata.nbgrader["points"] = 100
    add("changed_points", variant(inflate), full, "graded after repairs",
        ["metadata changed (points 100 -> "])

    def rename(nb):
        nb.cells[first_answer].metadata.nbgrader["grade_id"] = "my_own_id"
    add("changed_id", variant(rename), full, "graded after repairs",
        ["answer cell id changed from 'my_own_id'"])
    add("escape", variant(lambda nb: nb.cells.insert(first_answer + 1, code(ESCAPE.format(
        course=course_root, marker=ESCAPE_MARKER)))), full,
        details=["tried to write or delete outside its working copy (refused)",
                 "tried to use the network"])
    add("fork_bomb", variant(lambda nb: nb.cells.insert(first_test + 1, code(FORK_BOMB))),
        test_points(good, first_test + 1),
        details=["the sandbox reached", "processes and threads (limit %d): stopped" % limits.nproc,
                 "the kernel died"])
    add("memory_in_processes", variant(lambda nb: nb.cells.insert(first_test + 1, code(
        MEMORY_IN_PROCESSES))), test_points(good, first_test + 1),
        details=["of memory in all its processes (limit %s): stopped" % gb(limits.memory_bytes),
                 "the kernel died"])
    swallow = copy.deepcopy(release_nb)
    swallow.cells.insert(0, code(SWALLOW_ERRORS))
    add("swallow_errors", swallow, 0.0,
        details=["had patched IPython shell.transform_cell: restored", "failed tests"])

    def sleepy(nb):
        for _ in range(limits.wall_seconds // (limits.cell_timeout - 1) + 1):
            nb.cells.insert(first_answer + 1, code("import time\ntime.sleep(%d)"
                                                   % (limits.cell_timeout - 1)))
    add("too_slow", variant(sleepy), 0.0, "stopped at the %d s wall-clock limit"
        % limits.wall_seconds)
    return expect
