"""Run one submission's grading in a confined child process, from the parent's side.

Each submission is graded by ``python -m trainlab.grading.confine SPEC`` started inside new
Linux namespaces (``unshare``, util-linux): its own network namespace with no interface up
(no network), its own PID namespace (when the grading ends, every process the student's code
started dies with it, even ones that called ``setsid``) and its own mount namespace, in which
``confine`` hides the course's gradebook, source, submissions and outputs. Only the kernel
that runs student code drops to an unprivileged uid (see ``kernel_launcher``); the grader
itself stays trusted.

The parent adds a wall-clock limit: past it, the whole namespace is killed and the
submission is reported as stopped, never silently skipped.

Example:
    outcome = run_confined(spec_path, wall_seconds=600)
    outcome.returncode, outcome.timed_out, outcome.log_tail
"""
import dataclasses
import os
import signal
import subprocess
import sys
import time


@dataclasses.dataclass
class ConfinedRun:
    """What the parent saw of one confined grading: exit status, time, and its log."""

    returncode: int
    timed_out: bool
    seconds: float
    log_tail: str


def confinement_command(spec_path):
    """Return the argv that grades the private course described by ``spec_path``."""
    return [
        "unshare", "--net", "--pid", "--mount", "--fork", "--kill-child", "--mount-proc",
        "--", sys.executable, "-m", "trainlab.grading.confine", spec_path,
    ]


def run_confined(spec_path, *, wall_seconds, log_path, env=None):
    """Run the confined grader for one submission and wait at most ``wall_seconds``.

    The child's output goes to ``log_path`` (a file, so that a flood of output cannot fill
    a pipe and stall the grader); the last lines come back for the report.
    """
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            confinement_command(spec_path), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc.pid)
            proc.wait()
    return ConfinedRun(proc.returncode, timed_out, time.monotonic() - start, read_tail(log_path))


def kill_group(pid):
    """Kill the session led by ``pid``; unshare's --kill-child then ends the namespace."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def read_tail(path, max_bytes=4000):
    """Return the last ``max_bytes`` of a log file as text."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - max_bytes))
        return f.read().decode("utf-8", "replace")


def check_confinement_available():
    """Raise a clear error if this machine cannot create the namespaces grading needs."""
    if os.geteuid() != 0:
        raise RuntimeError(
            "grading confines each submission with Linux namespaces and an unprivileged uid, "
            "which needs root: run it as root (in a container or VM) or with sudo"
        )
    probe = subprocess.run(
        ["unshare", "--net", "--pid", "--mount", "--fork", "--mount-proc", "true"],
        capture_output=True, text=True,
    )
    if probe.returncode != 0:
        raise RuntimeError(
            "cannot create Linux namespaces here (unshare said: %s); a container needs "
            "CAP_SYS_ADMIN (e.g. docker run --privileged)" % probe.stderr.strip()
        )
