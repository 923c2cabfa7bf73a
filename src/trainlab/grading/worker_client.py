"""The round's side of a grading worker: start it, hand it jobs, replace it when it fails.

A ``Worker`` is one long-lived ``python -I -m trainlab.grading.worker`` process (see
``worker``), which loads nbgrader once and then grades one ``Job`` per line on its standard
input, answering each with a ``JobResult`` line. A worker that does not start, or stops
answering, is killed with everything it started; the next job starts a new one.

Example:
    worker = Worker("/tmp/round/worker-0.log")
    worker.launch()                    # loads nbgrader while the round does other work
    result = worker.run(job)           # a JobResult, never an exception for a stuck worker
    worker.stop()
"""
from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

from .spec import JobResult, dump, load

WORKER_START_SECONDS = 120
# Past the wall-clock limit, the worker itself stops the kernel; this much more and the
# round stops the worker (nbgrader itself stuck) and starts another.
WORKER_GRACE_SECONDS = 120
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
