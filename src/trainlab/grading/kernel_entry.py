"""The first code that runs in the sandbox: limits, environment and audit, then the kernel.

The worker's kernelspec starts ``bwrap ... python -m trainlab.grading.kernel_entry SPEC
CONNECTION_FILE`` (see ``sandbox``). Before ipykernel starts and before any student code
runs, this module, already inside the sandbox:

- sets resource limits on itself and every process it starts: address space (a memory
  blow-up becomes a ``MemoryError``, not a dead machine), processes (counted inside the
  sandbox's own user namespace), file size, no core files, and a lower CPU priority;
- replaces the environment with the spec's (HOME and caches in the working copy, private
  ``/tmp``, ``NBGRADER_EXECUTION``);
- installs a Python audit hook (PEP 578) that records attempts to write or delete outside
  the writable folders, to open network connections or to start programs, into a log the
  report reads. The sandbox is what stops such attempts; the log is how the report can say
  what was tried.

Usage (from the kernelspec, never by hand):
    python -m trainlab.grading.kernel_entry /run/grading/kernel-spec.json {connection_file}
"""
import json
import os
import resource
import runpy
import sys

from .spec import KernelSpec, load

WATCHED_EVENTS = frozenset({
    "open", "os.remove", "os.rmdir", "os.rename", "shutil.rmtree", "shutil.move",
    "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink",
    "socket.connect", "socket.bind", "subprocess.Popen", "os.system", "os.kill",
    "os.posix_spawn", "os.exec",
})
PATH_EVENTS = frozenset({"os.remove", "os.rmdir", "os.rename", "shutil.rmtree", "shutil.move",
                         "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
MAX_AUDIT_LINES = 200


# RLIMIT_NPROC sits this far above the process limit that the worker's Watch enforces: a
# fork bomb then passes the Watch's limit, which stops the whole sandbox, instead of
# stalling just under the rlimit with the kernel unable to start a thread.
NPROC_MARGIN = 64
# Kernels run at a lower priority than the grader: a notebook that starts processes by the
# hundred cannot starve the watcher that counts them.
NICENESS = 5


def apply_limits(limits):
    """Apply the spec's limits to this process and all it starts."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes,) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc + NPROC_MARGIN,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_bytes,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), NICENESS))


def set_environment(spec):
    """Replace the environment with the spec's and move into the working copy."""
    os.environ.clear()
    os.environ.update(spec.env)
    # Installed code is read-only to the kernel: no bytecode caches written next to it.
    sys.dont_write_bytecode = True
    os.chdir(spec.workdir)


def is_write(args):
    """Say whether an ``open`` audit event asks to write."""
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(ch in mode for ch in "wax+")
    return bool(flags & WRITE_FLAGS)


def outside(path, allowed):
    """True when ``path`` (str, bytes or path-like) lies outside every allowed folder."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    path = os.path.abspath(os.fsdecode(path))
    return not any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in allowed)


def audit_record(event, args, allowed):
    """Return the log record for one audit event, or None when it is not worth logging."""
    if event not in WATCHED_EVENTS:
        return None
    if event == "open":
        if is_write(args) and outside(args[0], allowed):
            return {"event": "write", "path": os.fsdecode(args[0])}
        return None
    if event in PATH_EVENTS:
        if outside(args[0], allowed):
            return {"event": event, "path": os.fsdecode(args[0])}
        return None
    if event.startswith("socket."):
        return {"event": event, "detail": repr(args[1])[:200]}
    return {"event": event, "detail": repr(args)[:200]}


def make_audit_hook(log_fd, allowed, max_lines=MAX_AUDIT_LINES):
    """Return a hook that appends risky events to ``log_fd`` (at most ``max_lines``)."""
    state = {"lines": 0, "busy": False}

    def hook(event, args):
        if event not in WATCHED_EVENTS or state["busy"] or state["lines"] >= max_lines:
            return
        state["busy"] = True
        try:
            record = audit_record(event, args, allowed)
            if record is not None:
                os.write(log_fd, (json.dumps(record) + "\n").encode())
                state["lines"] += 1
        except Exception:
            pass
        finally:
            state["busy"] = False

    return hook


def main(argv=None):
    """Confine this process, then run ipykernel in it."""
    argv = sys.argv[1:] if argv is None else argv
    spec_path, connection_file, extra = argv[0], argv[1], argv[2:]
    with open(spec_path) as f:
        spec = load(KernelSpec, f.read())
    log_fd = os.open(spec.audit_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    apply_limits(spec.limits)
    set_environment(spec)
    sys.addaudithook(make_audit_hook(log_fd, spec.writable + ["/dev/null"]))
    sys.argv = ["ipykernel_launcher", "-f", connection_file, *extra]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
