"""A long-lived grading worker: nbgrader loaded once, one sandboxed kernel per submission.

``python -I -m trainlab.grading.worker`` reads ``Job`` lines (JSON, see ``spec``) on its
standard input and answers each with one ``JobResult`` line. For each job it runs nbgrader's
autograde and feedback (trusted code, in this process) on the job's private course; the
notebook's code runs in a new kernel in a new sandbox (``sandbox``), started for this job
and killed after it. Nothing of one submission's kernel survives into the next: the worker
keeps nbgrader's modules and nothing else from job to job.

What a round saves by keeping workers: nbgrader's start-up (importing nbgrader, nbconvert,
SQLAlchemy and the app set-up, about 2 s of CPU) is paid once per worker, not per
submission, and the kernel is killed at once when its notebook is done instead of being
asked to shut down and waited for (1.5-2.7 s per submission measured with plain nbgrader).

Its own ``-I`` (isolated mode) keeps the current folder and ``PYTHONPATH`` off ``sys.path``,
whose folders are what the sandbox lets the kernel read.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import traceback

from . import sandbox, watch
from .spec import Job, JobResult, KernelSpec, dump, load

AUTOGRADE_PREPROCESSORS = [
    "trainlab.grading.guarded_execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
RUNTIME_BASE = "/tmp"


def kernel_env(home, tmp):
    """The kernel's whole environment (nothing of the grader's is passed on)."""
    bin_dir = os.path.dirname(sys.executable)
    return {
        "HOME": home, "PATH": bin_dir + ":/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
        "TMPDIR": tmp,
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "MPLCONFIGDIR": os.path.join(home, ".cache", "matplotlib"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false", "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
    }


def kernel_argv(job, run_dir, bwrap, readable):
    """Write the kernel's spec; return the kernelspec argv that starts it.

    With a zygote, the sandbox's program only waits on the lifeline (a FIFO) until the
    zygote's kernel, which holds the other end, ends; without, it is the kernel itself."""
    layout = sandbox.Layout(run_dir=run_dir, home=os.path.join(job.folder, "home"),
                            tmp=os.path.join(job.folder, "tmp"),
                            shm=os.path.join(job.folder, "shm"))
    home = sandbox.HOME if job.confined else layout.home
    scratch = ["/tmp", "/dev/shm"] if job.confined else [layout.tmp, layout.shm]
    spec = KernelSpec(workdir=home, limits=job.limits,
                      audit_log=os.path.join(run_dir, "audit.jsonl"),
                      env=kernel_env(home, scratch[0]), writable=[home, *scratch])
    spec_path = os.path.join(run_dir, "kernel-spec.json")
    with open(spec_path, "w") as f:
        f.write(dump(spec))
    entry = [sys.executable, "-m", "trainlab.grading.kernel_entry", spec_path,
             "{connection_file}"]
    if not job.confined:
        return entry
    # What the interpreter reads as it starts, before kernel_entry sets the rest.
    env = {k: spec.env[k] for k in ("PATH", "HOME", "LANG", "PYTHONNOUSERSITE",
                                     "PYTHONDONTWRITEBYTECODE")}
    if job.zygote_socket:
        lifeline = os.path.join(run_dir, "lifeline")
        os.mkfifo(lifeline, 0o600)
        entry = ["/bin/sh", "-c", 'exec cat "$0" >/dev/null', lifeline]
    return [bwrap, *sandbox.bwrap_args(layout, [*readable, *job.also_readable], env), "--",
            *entry]


def waiting_program(bwrap_pid, deadline):
    """Return the pid of the sandbox's waiting program (``cat`` on the lifeline)."""
    while time.monotonic() < deadline:
        for pid in watch.tree([(bwrap_pid, watch.start_time(bwrap_pid))]):
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() == "cat":
                        return pid
            except OSError:
                continue
        time.sleep(0.005)
    raise RuntimeError("the sandbox did not start in time")


def install_kernelspec(run_dir, argv):
    """Make ``python3`` (the notebook's kernel name) start ``argv``, for this job only."""
    folder = os.path.join(run_dir, "kernels", "python3")
    os.makedirs(folder)
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "Python 3 (graded)", "language": "python",
                   "interrupt_mode": "message"}, f)
    # Only this job's folders count: no kernelspec or setting of the user's is picked up.
    os.environ["JUPYTER_PATH"] = run_dir
    os.environ["JUPYTER_DATA_DIR"] = os.path.join(run_dir, "data")
    os.environ["JUPYTER_RUNTIME_DIR"] = run_dir
    os.environ["JUPYTER_CONFIG_DIR"] = os.path.join(run_dir, "config")


def nbgrader_config(job, run_dir, readable):
    """The private course's nbgrader configuration."""
    from traitlets.config import Config

    course = os.path.join(job.folder, "course")
    return Config({
        "CourseDirectory": {"root": course, "course_id": job.course_id,
                            "db_url": "sqlite:///" + os.path.join(course, "gradebook.db")},
        "GuardedExecute": {"timeout": job.limits.cell_timeout, "interrupt_on_timeout": True,
                           "max_output_bytes": job.limits.max_output_bytes,
                           "watch_modules": job.watch_modules,
                           "trusted_paths": [*readable, "/usr"],
                           "events_path": os.path.join(job.folder, "events.jsonl"),
                           "shutdown_kernel": "immediate"},
        "KernelManager": {"transport": "ipc",
                          "connection_file": os.path.join(run_dir, "kernel.json")},
        "Autograde": {"autograde_preprocessors": AUTOGRADE_PREPROCESSORS},
        "GenerateFeedback": {"preprocessors": job.feedback_preprocessors},
    })


def start_in_sandbox(socket_path, bwrap_pid, run_dir, deadline):
    """Ask the round's zygote for a kernel in the sandbox whose outer process is
    ``bwrap_pid`` (see ``zygote``)."""
    from .zygote_client import request

    answer = request(socket_path, {
        "pid": waiting_program(bwrap_pid, deadline),
        "spec": os.path.join(run_dir, "kernel-spec.json"),
        "connection_file": os.path.join(run_dir, "kernel.json"),
        "lifeline": os.path.join(run_dir, "lifeline"), "log": os.path.join(run_dir, "kernel.log")})
    if not answer.get("ok"):
        raise RuntimeError(answer.get("error") or "the kernel zygote did not answer")


def grade(job, bwrap=None, readable=()):
    """Autograde and generate feedback for one job; return its JobResult."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    start = time.monotonic()
    timings = {}
    run_dir = tempfile.mkdtemp(prefix="tlg-", dir=RUNTIME_BASE)
    folders = [os.path.join(job.folder, d) for d in ("home", "tmp", "shm")]
    active = watch.Watch(job.limits, folders=folders,
                         deadline=start + job.limits.wall_seconds)
    watch.ACTIVE = active
    result = {}
    try:
        install_kernelspec(run_dir, kernel_argv(job, run_dir, bwrap, readable))
        if job.confined and job.zygote_socket:
            active.on_start = lambda pid: start_in_sandbox(job.zygote_socket, pid, run_dir,
                                                           time.monotonic() + 30)
        config = nbgrader_config(job, run_dir, readable)
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        watch.mark("worker set-up")
        with contextlib.redirect_stdout(io.StringIO()):
            auto = api.autograde(job.assignment, job.student)
            timings["autograde in all"] = time.monotonic() - start
            timings["nbgrader after the cells"] = timings["autograde in all"] - sum(
                active.marks.values())
            active.stop()
            result["autograde_ok"] = bool(auto.get("success")) and not active.timed_out
            if not auto.get("success"):
                result["error"] = str(auto.get("error") or auto.get("log") or "")[-4000:]
            if result["autograde_ok"]:
                feedback = api.generate_feedback(job.assignment, job.student)
                result["feedback_ok"] = bool(feedback.get("success"))
                timings["feedback"] = time.monotonic() - start - timings["autograde in all"]
        with open(os.path.join(job.folder, "log.txt"), "a") as f:
            f.write(str(auto.get("log", "")))
    except Exception:
        result["error"] = traceback.format_exc()[-4000:]
    finally:
        active.stop()
        watch.ACTIVE = None
        if os.path.exists(os.path.join(run_dir, "audit.jsonl")):
            shutil.copyfile(os.path.join(run_dir, "audit.jsonl"),
                            os.path.join(job.folder, "audit.jsonl"))
        shutil.rmtree(run_dir, ignore_errors=True)
    timings["peak_mb"] = active.peak_bytes / (1 << 20)
    timings.update(active.marks)
    return JobResult(student=job.student, stopped=active.reason, timed_out=active.timed_out,
                     seconds=time.monotonic() - start, timings=timings, **result)


def warm_up():
    """Import and set up what every job needs, once."""
    from nbconvert.exporters import HTMLExporter  # noqa: F401  (feedback)
    from nbgrader.apps import NbGraderAPI  # noqa: F401

    from . import feedback, guarded_execute, kernel_entry, kernel_guard  # noqa: F401


def serve(lines, answer):
    """Grade each Job line from ``lines``; pass each JobResult line to ``answer``."""
    bwrap = sandbox.find_bwrap()
    readable = None
    for line in lines:
        if not line.strip():
            continue
        job = load(Job, line)
        if readable is None:
            readable = sandbox.readable_paths(exclude=job.keep_out)
        answer(dump(grade(job, bwrap, readable)))


def main():
    """Serve jobs on stdin; answers go to the original stdout, everything else to stderr."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    from .course import put_python_on_path

    put_python_on_path()
    warm_up()
    answers.write("READY\n")
    serve(sys.stdin, lambda text: answers.write(text + "\n"))


if __name__ == "__main__":
    main()
