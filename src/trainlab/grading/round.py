"""One grading round: every submission in ``submitted/`` graded, in parallel, in a sandbox.

``grade_round`` plans and drives the round. It builds the assignment's template from
``source/``, makes sure the real gradebook knows it, starts a pool of long-lived workers
(``worker_client``, for ``worker``: nbgrader loaded once each) and the kernel zygote
(``zygote_client``, for ``zygote``), and hands the workers the submissions one at a time.
For each, the round checks the submission and lays out its private course
(``inspect_submission``, ``workspace``) and gives a worker its ``Job``; the worker
autogrades it with the notebook's kernel in a sandbox of its own (``sandbox``,
``kernel_entry``) and watched from outside (``watch``). The round, as each submission
finishes and in whatever order, records it (``merge``, the single writer of the real
gradebook, which also copies the autograded notebook and the feedback into the course) and
writes the report line (``report``). Nothing a submission does can stop the round: every
failure becomes a line in the report and an explicit 0 in the gradebook.

Example:
    result = grade_round("/work/main", "lesson02", workers=2)
    print(result.summary)
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import queue
import shutil
import tempfile
import time

from . import course as course_mod
from .feedback import FEEDBACK_PREPROCESSORS
from .merge import export_grades, record_submission
from .report import Outcome, write_summary
from .sandbox import check_sandbox, describe
from .spec import Job, JobResult, Limits
from .worker_client import Worker
from .workspace import prepare_private_course, watched_modules
from .zygote_client import start_zygote

UNCONFINED_WARNING = ("UNCONFINED GRADING: student code runs with your own rights, "
                      "unsandboxed (no file system, network or process isolation)")


@dataclasses.dataclass
class RoundResult:
    """What a round produced."""

    outcomes: list
    summary: str
    csv_path: str
    report_dir: str
    seconds: float
    workers: int
    timings: dict = dataclasses.field(default_factory=dict)


def list_students(course):
    """Return every folder in submitted/: each one is reported, gradable or not."""
    folder = os.path.join(course.root, course.submitted)
    if not os.path.isdir(folder):
        return []
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))
                  and not d.startswith("."))


def make_job(course, template, private, limits, watch, keep_out, confined, zygote):
    """The worker's instructions for one private course."""
    return Job(student=private.student, assignment=template.assignment, folder=private.folder,
               course_id=course.course_id, limits=limits, watch_modules=watch,
               feedback_preprocessors=list(FEEDBACK_PREPROCESSORS), keep_out=keep_out,
               confined=confined, zygote_socket=zygote.socket if zygote else "",
               also_readable=[zygote.shared] if zygote else [])


def grade_round(root, assignment, *, workers=None, db_url=None, limits=None,
                report_dir=None, csv_path=None, students=None, workspace=None,
                keep_workspace=False, unconfined=False, log=print):
    """Grade every submission of ``assignment`` under ``root``; return a RoundResult."""
    start = time.monotonic()
    bwrap = None
    if unconfined:
        log("warning: " + UNCONFINED_WARNING)
    else:
        bwrap = check_sandbox()
        log("sandbox: %s, each kernel on its own" % describe(bwrap))
    course_mod.put_python_on_path()
    course = course_mod.load_course(root, db_url)
    limits = limits or Limits(cell_timeout=course.cell_timeout)
    workers = max(1, workers or os.cpu_count() or 1)
    if workspace:
        os.makedirs(workspace, mode=0o700, exist_ok=True)
    round_dir = tempfile.mkdtemp(prefix="trainlab-grading-", dir=workspace)
    keep_out = sorted({course.root, os.path.realpath(round_dir)})
    # What takes a while to start starts first: the workers load nbgrader and the zygote
    # imports the assignment's libraries while the template is built.
    watch = watched_modules(os.path.join(course.root, course.source, assignment))
    pool = [Worker(os.path.join(round_dir, "worker-%d.log" % i)) for i in range(workers)]
    zygote = None
    try:
        for worker in pool:
            worker.launch()
        zygote = None if unconfined else start_zygote(round_dir, watch, log)
        template = course_mod.build_template(course, assignment, round_dir)
        course_mod.ensure_gradebook(course, template)
        if zygote is not None:
            trouble = zygote.ready(bwrap)
            if trouble:
                log("warning: kernels start without preloaded libraries (slower): the kernel "
                    "zygote cannot start them here (%s)" % trouble)
                zygote.stop()
                zygote = None
        students = students or list_students(course)
        idle = queue.Queue()
        for worker in pool:
            idle.put(worker)

        def grade_one(student):
            worker = idle.get()
            try:
                private = prepare_private_course(course, template, student,
                                                 workspace=round_dir)
                if private.fatal:
                    return private, JobResult(student=student)
                job = make_job(course, template, private, limits, watch, keep_out,
                               not unconfined, zygote)
                return private, worker.run(job)
            finally:
                idle.put(worker)

        outcomes, timings = [], {}
        with concurrent.futures.ThreadPoolExecutor(workers) as threads:
            futures = {threads.submit(grade_one, s): s for s in students}
            for future in concurrent.futures.as_completed(futures):
                student = futures[future]
                try:
                    private, result = future.result()
                    timings[student] = dict(result.timings, total=result.seconds)
                    outcome = record_submission(course, template, student, private, result,
                                                limits)
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
        summary = write_summary(outcomes, template, report_dir,
                                banner=UNCONFINED_WARNING if unconfined else "")
    finally:
        for worker in pool:
            worker.stop()
        if zygote is not None:
            zygote.stop()
        if not keep_workspace:
            shutil.rmtree(round_dir, ignore_errors=True)
    return RoundResult(outcomes, summary, csv_path, report_dir, time.monotonic() - start,
                       workers, timings)
