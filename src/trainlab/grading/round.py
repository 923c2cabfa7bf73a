"""One grading round: every submission in ``submitted/`` graded, in parallel, in a sandbox.

``grade_round`` builds the assignment's template from ``source/``, makes sure the real
gradebook knows it, starts a pool of long-lived workers (``worker``: nbgrader loaded once
each), and hands them the submissions one at a time. For each, the round checks the
submission and lays out its private course (``inspect_submission``, ``workspace``); a worker
autogrades it with the notebook's kernel in a sandbox of its own (``sandbox``,
``kernel_entry``) and watched from outside (``watch``). The round, as each submission
finishes and in whatever order, merges the grades into the real gradebook (``merge``, the
single writer), copies the autograded notebook and the feedback into the course, and writes
the report line. Nothing a submission does can stop the round: every failure becomes a line
in the report and an explicit 0 in the gradebook.

Example:
    result = grade_round("/work/main", "lesson02", workers=2)
    print(result.summary)
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import queue
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import course as course_mod
from .feedback import FEEDBACK_PREPROCESSORS
from .merge import export_grades, merge_submission, read_timestamp
from .report import Outcome, describe_outcome, write_summary
from .sandbox import check_sandbox, describe
from .spec import Job, JobResult, Limits, dump, load
from .workspace import prepare_private_course, watched_modules

WORKER_START_SECONDS = 120
# Past the wall-clock limit, the worker itself stops the kernel; this much more and the
# round stops the worker (nbgrader itself stuck) and starts another.
WORKER_GRACE_SECONDS = 120
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


# All of the grader's environment a worker gets: the sandbox's outer process inherits the
# worker's, and a kernel can read it there (/proc/1/environ). Tokens and passwords stay out.
WORKER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TRAINLAB_GRADING_ZYGOTE")


def worker_env():
    """The environment a worker starts with."""
    return {k: os.environ[k] for k in WORKER_ENV if k in os.environ}


class Worker:
    """One long-lived ``trainlab.grading.worker`` process, restarted when it fails."""

    def __init__(self, log_path):
        self.log_path = log_path
        self.proc = None

    def launch(self):
        """Start the process (it loads nbgrader meanwhile)."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "trainlab.grading.worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                env=worker_env(), start_new_session=True)
        self.ready = False

    def start(self):
        """Start the process if needed and wait until it has loaded nbgrader."""
        if self.proc is None or self.proc.poll() is not None:
            self.launch()
        if not self.ready:
            line = self._read_line(WORKER_START_SECONDS)
            if line != "READY":
                self.stop()
                raise RuntimeError("a grading worker did not start (see %s)" % self.log_path)
            self.ready = True

    def _read_line(self, timeout):
        """Read one line of the worker's answers, or None after ``timeout`` or at its end."""
        deadline = time.monotonic() + timeout
        buffer = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not buffer.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    return None
                buffer += chunk
        return buffer.decode().strip()

    def run(self, job):
        """Grade one job; return its JobResult (a failed worker is stopped and restarted)."""
        self.start()
        self.proc.stdin.write((dump(job) + "\n").encode())
        self.proc.stdin.flush()
        line = self._read_line(job.limits.wall_seconds + WORKER_GRACE_SECONDS)
        if line is None:
            self.stop()
            return JobResult(student=job.student, error="the grading worker stopped "
                             "answering (stopped and replaced; see %s)" % self.log_path)
        return load(JobResult, line)

    def stop(self):
        """End the worker process and everything it started."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None


def list_students(course):
    """Return every folder in submitted/: each one is reported, gradable or not."""
    folder = os.path.join(course.root, course.submitted)
    if not os.path.isdir(folder):
        return []
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))
                  and not d.startswith("."))


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


def record(course, template, student, private, result, limits):
    """Merge one finished submission into the gradebook and describe it."""
    db = os.path.join(private.folder, "course", "gradebook.db")
    graded = not private.fatal and result.autograde_ok
    submission_dir = os.path.join(course.root, course.submitted, student, template.assignment)
    scores = merge_submission(course, template.assignment, student,
                              "sqlite:///" + db if graded else None,
                              read_timestamp(submission_dir))
    publish_outputs(course, template, private)
    return describe_outcome(private, result, scores, template, limits)


def make_job(course, template, private, limits, watch, keep_out, confined, zygote):
    """The worker's instructions for one private course."""
    return Job(student=private.student, assignment=template.assignment, folder=private.folder,
               course_id=course.course_id, limits=limits, watch_modules=watch,
               feedback_preprocessors=list(FEEDBACK_PREPROCESSORS), keep_out=keep_out,
               confined=confined, zygote_socket=zygote.socket if zygote else "",
               also_readable=[zygote.shared] if zygote else [])


def start_zygote(round_dir, watch, log):
    """Start the round's kernel zygote (see ``zygote``), or return None when kernels are to
    start without it (TRAINLAB_GRADING_ZYGOTE=0)."""
    if os.environ.get("TRAINLAB_GRADING_ZYGOTE", "1") == "0":
        return None
    from .sandbox import HOME
    from .worker import kernel_env
    from .zygote import Zygote

    # matplotlib writes its configuration and font cache as it is imported: here, into a
    # folder that every sandbox then reads (read-only) at the same path.
    shared = os.path.join(round_dir, "preloaded")
    os.makedirs(os.path.join(shared, "matplotlib"))
    env = dict(kernel_env(HOME, "/tmp"), MPLCONFIGDIR=os.path.join(shared, "matplotlib"))
    zygote = Zygote(watch, env, os.path.join(round_dir, "zygote.log"))
    zygote.shared = shared
    return zygote


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
                    outcome = record(course, template, student, private, result, limits)
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
