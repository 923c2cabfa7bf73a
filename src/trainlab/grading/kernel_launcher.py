"""Start the Jupyter kernel that runs a student's code, as an unprivileged user.

nbgrader (trusted, root inside the grading namespaces) starts kernels through the
kernelspec that ``confine`` installs; this launcher then, before any student code runs:

- copies the connection file to where the kernel's user can read it;
- sets resource limits: address space (a memory blow-up becomes a ``MemoryError`` or a
  dead kernel, not a dead machine), processes (no fork bombs), file size;
- drops to the submission's own uid and gid with no supplementary groups, so the
  private gradebook, the autograded output and everything root owns are out of reach;
- moves into the submission's working copy, with HOME and caches inside it;
- installs a Python audit hook (PEP 578) that records attempts to write or delete outside
  the working copy, to open network connections, or to start programs, into a log the
  report reads. The file system's permissions are what stop such attempts; the log is
  what lets the report say what was tried.

Usage (from the kernelspec): python -m trainlab.grading.kernel_launcher SPEC CONNECTION_FILE
"""
import json
import os
import resource
import runpy
import shutil
import sys

WATCHED_EVENTS = frozenset({
    "open", "os.remove", "os.rmdir", "os.rename", "shutil.rmtree", "shutil.move",
    "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink",
    "socket.connect", "socket.bind", "subprocess.Popen", "os.system", "os.kill",
    "os.posix_spawn", "os.exec",
})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
MAX_AUDIT_LINES = 200


def limit_resources(kernel):
    """Apply the memory, process and file-size limits to this process and its children."""
    resource.setrlimit(resource.RLIMIT_AS, (kernel["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (kernel["nproc"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (kernel["fsize_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid, gid):
    """Become ``uid``/``gid`` for good (real, effective and saved ids)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def prepare_environment(workdir):
    """Point HOME, caches and temporary files at the working copy or the private /tmp."""
    os.environ["HOME"] = workdir
    os.environ["XDG_CACHE_HOME"] = os.path.join(workdir, ".cache")
    os.environ["MPLCONFIGDIR"] = os.path.join(workdir, ".cache", "matplotlib")
    os.environ["TMPDIR"] = "/tmp"
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    os.chdir(workdir)


def is_write(args):
    """Say whether an ``open`` audit event asks to write."""
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(ch in mode for ch in "wax+")
    return bool(flags & WRITE_FLAGS)


def make_audit_hook(log_fd, allowed_prefixes):
    """Return a hook that logs risky operations outside ``allowed_prefixes``."""
    state = {"lines": 0, "busy": False}

    def outside(path):
        if not isinstance(path, (str, bytes, os.PathLike)):
            return False
        path = os.path.abspath(os.fsdecode(path))
        return not any(path == p or path.startswith(p + os.sep) for p in allowed_prefixes)

    def hook(event, args):
        if event not in WATCHED_EVENTS or state["busy"] or state["lines"] >= MAX_AUDIT_LINES:
            return
        state["busy"] = True
        try:
            if event == "open":
                if not (is_write(args) and outside(args[0])):
                    return
                record = {"event": "write", "path": os.fsdecode(args[0])}
            elif event.startswith(("os.", "shutil.")) and event not in ("os.kill", "os.system",
                                                                        "os.posix_spawn", "os.exec"):
                if not outside(args[0]):
                    return
                record = {"event": event, "path": os.fsdecode(args[0])}
            elif event.startswith("socket."):
                record = {"event": event, "detail": repr(args[1])[:200]}
            else:
                record = {"event": event, "detail": repr(args)[:200]}
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
        kernel = json.load(f)["kernel"]
    workdir, uid, gid = kernel["workdir"], kernel["uid"], kernel["gid"]
    private_connection = os.path.join(workdir, ".kernel-connection.json")
    shutil.copyfile(connection_file, private_connection)
    os.chown(private_connection, uid, gid)
    log_fd = os.open(kernel["audit_log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    limit_resources(kernel)
    drop_privileges(uid, gid)
    prepare_environment(workdir)
    sys.addaudithook(make_audit_hook(log_fd, [workdir, "/tmp", "/dev/shm", "/var/tmp",
                                              "/dev/null"]))
    sys.argv = ["ipykernel_launcher", "-f", private_connection, *extra]
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
