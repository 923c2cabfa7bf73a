"""One grading round: every submission in ``submitted/`` graded, in parallel, in confinement.

``grade_round`` builds the assignment's template from ``source/``, makes sure the real
gradebook knows it, then grades submissions on a pool of workers. Each worker checks a
submission (``inspect_submission``), lays out its private course (``workspace``) and runs
nbgrader on it inside namespaces with an unprivileged kernel (``sandbox``, ``confine``,
``kernel_launcher``). The parent, as each worker finishes and in whatever order, merges the
grades into the real gradebook (``merge``), copies the autograded notebook and the feedback
into the course, and writes the report line. Nothing a submission does can stop the round:
every failure becomes a line in the report and an explicit 0 in the gradebook.

Example:
    result = grade_round("/work/main", "lesson02", workers=2)
    print(result.summary)
"""
import concurrent.futures
import dataclasses
import json
import os
import queue
import shutil
import tempfile
import time

from . import course as course_mod
from .merge import export_grades, merge_submission, read_timestamp
from .report import Outcome, describe_outcome, write_summary
from .sandbox import ConfinedRun, check_confinement_available, run_confined
from .workspace import Limits, prepare_private_course, watched_modules

DEFAULT_WORKSPACE = "/var/lib/trainlab-grading"


@dataclasses.dataclass
class RoundResult:
    """What a round produced."""

    outcomes: list
    summary: str
    csv_path: str
    report_dir: str
    seconds: float
    workers: int


def list_students(course):
    """Return every folder in submitted/: each one is reported, gradable or not."""
    folder = os.path.join(course.root, course.submitted)
    if not os.path.isdir(folder):
        return []
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))
                  and not d.startswith("."))


def find_unreadable_package_files():
    """Return trainlab's files that the kernel's unprivileged user cannot read (e.g. a
    checkpoint saved with mode 0600): code that needs them would fail in every submission."""
    import trainlab

    package = os.path.dirname(trainlab.__file__)
    return sorted(os.path.join(d, f) for d, _, files in os.walk(package) for f in files
                  if not os.stat(os.path.join(d, f)).st_mode & 0o004)


def grade_one(course, template, student, limits, slots, workspace, watch):
    """Check and grade one submission in confinement (runs on a worker thread)."""
    slot = slots.get()
    try:
        private = prepare_private_course(course, template, student, limits, slot=slot,
                                         workspace=workspace, watch=watch)
        if private.fatal:
            return private, ConfinedRun(0, False, 0.0, "")
        run = run_confined(private.spec_path, wall_seconds=limits.wall_seconds,
                           log_path=os.path.join(private.folder, "log.txt"))
        return private, run
    finally:
        slots.put(slot)


def autograde_succeeded(private):
    """Say whether the confined grader reported a complete autograde."""
    path = os.path.join(private.folder, "result.json")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        return bool(json.load(f).get("autograde", {}).get("success"))


def publish_outputs(course, template, private):
    """Copy the private autograded notebook and feedback into the course."""
    for kind in ("autograded", "feedback"):
        src = os.path.join(private.folder, "course", kind, private.student, template.assignment)
        dest = os.path.join(course.root, getattr(course, kind), private.student,
                            template.assignment)
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        if os.path.isdir(src):
            shutil.copytree(src, dest)


def record(course, template, student, private, run, limits):
    """Merge one finished submission into the gradebook and describe it."""
    db = os.path.join(private.folder, "course", "gradebook.db")
    graded = not private.fatal and not run.timed_out and autograde_succeeded(private)
    submission_dir = os.path.join(course.root, course.submitted, student, template.assignment)
    scores = merge_submission(course, template.assignment, student,
                              "sqlite:///" + db if graded else None,
                              read_timestamp(submission_dir))
    publish_outputs(course, template, private)
    return describe_outcome(private, run, scores, template, limits)


def grade_round(root, assignment, *, workers=None, db_url=None, limits=None,
                report_dir=None, csv_path=None, students=None, workspace=None,
                keep_workspace=False, log=print):
    """Grade every submission of ``assignment`` under ``root``; return a RoundResult."""
    start = time.monotonic()
    check_confinement_available()
    course_mod.put_python_on_path()
    course = course_mod.load_course(root, db_url)
    unreadable = find_unreadable_package_files()
    if unreadable:
        log("warning: %d trainlab file(s) are not world-readable, so graded notebooks cannot "
            "read them (chmod a+r): %s" % (len(unreadable), ", ".join(unreadable[:3])))
    limits = limits or Limits(cell_timeout=course.cell_timeout)
    workers = workers or os.cpu_count() or 1
    workspace = os.path.abspath(workspace or DEFAULT_WORKSPACE)
    if workspace.startswith(("/tmp", "/var/tmp", "/dev/shm")):
        raise RuntimeError("the workspace %s would be hidden by each submission's private /tmp:"
                           " choose a folder elsewhere" % workspace)
    os.makedirs(workspace, mode=0o711, exist_ok=True)
    round_dir = tempfile.mkdtemp(prefix="round-", dir=workspace)
    os.chmod(round_dir, 0o711)
    try:
        template = course_mod.build_template(course, assignment, round_dir)
        course_mod.ensure_gradebook(course, template)
        watch = watched_modules(template)
        students = students or list_students(course)
        slots = queue.Queue()
        for slot in range(workers):
            slots.put(slot)
        outcomes = []
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = {pool.submit(grade_one, course, template, s, limits, slots, round_dir,
                                   watch): s for s in students}
            for future in concurrent.futures.as_completed(futures):
                student = futures[future]
                try:
                    private, run = future.result()
                    outcome = record(course, template, student, private, run, limits)
                    if not keep_workspace:
                        shutil.rmtree(private.folder, ignore_errors=True)
                except Exception as error:
                    outcome = Outcome(student, 0, template.max_score,
                                      "NOT RECORDED: grader error %s: %s"
                                      % (type(error).__name__, error), [])
                outcomes.append(outcome)
                log(outcome.line())
        report_dir = report_dir or os.path.join(course.root, "grading-report")
        csv_path = export_grades(course, csv_path or os.path.join(course.root, "grades.csv"))
        summary = write_summary(outcomes, template, report_dir)
    finally:
        if not keep_workspace:
            shutil.rmtree(round_dir, ignore_errors=True)
    return RoundResult(outcomes, summary, csv_path, report_dir, time.monotonic() - start,
                       workers)
