"""Kernels that start with their heavy libraries already imported, each in a new sandbox.

Importing torch, transformers, pandas and numpy takes a lesson's kernel about 4 s of CPU
before it runs a single cell, for every submission. A *zygote* pays that once per worker:
it is a Python process started afresh (never forked from the trusted worker, so it holds
nothing of the worker's: no gradebook, no database password, no course paths) with the
kernel's own environment, which imports those libraries and then only ever forks.

For each submission the worker starts a new bubblewrap sandbox (``sandbox``) whose only
program waits (``lifeline``), and asks the zygote for a kernel in it. The zygote forks a
child that joins the sandbox's namespaces (user, mount, network, IPC, UTS, cgroup, PID:
everything bubblewrap built, nothing built here), gives up every capability for good,
and forks the kernel inside the sandbox's PID namespace; that kernel then runs
``kernel_entry`` exactly like a kernel that bubblewrap started itself.

What keeps submissions apart:

- a kernel process is never reused: each one is a new fork of the zygote, which has run no
  student code and never does; a kernel cannot reach the zygote (another PID namespace,
  not visible; its control pipe is not in the sandbox) nor change it (copy-on-write);
- the sandbox of every kernel is new, made by bubblewrap for that submission alone;
- the kernel keeps no file descriptor of the zygote's but the standard three, and its
  environment is replaced by the spec's before any student code runs.

One zygote serves a whole round: the workers ask it, one request per connection, on a Unix
socket in a folder only the grader can enter (and that no sandbox contains):
    {"pid": <pid of the sandbox's waiting program>, "spec": "<kernel spec path>",
     "connection_file": "<path>", "lifeline": "<fifo path>", "log": "<path>"}
    -> {"ok": true} or {"ok": false, "error": "..."}

Usage (by the round): python -E -s -m trainlab.grading.zygote SOCKET MODULE [MODULE ...]
"""
from __future__ import annotations

import ctypes
import fcntl
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
# Joined after the user namespace that owns them, and before the inner user namespace in
# which bubblewrap runs its program (``--disable-userns``: no further nesting).
NAMESPACES = (("mnt", CLONE_NEWNS), ("net", CLONE_NEWNET), ("ipc", CLONE_NEWIPC),
              ("uts", CLONE_NEWUTS), ("cgroup", CLONE_NEWCGROUP), ("pid", CLONE_NEWPID))
NS_GET_USERNS = 0xb701
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
LINUX_CAPABILITY_VERSION_3 = 0x20080522
# Modules the kernel must import itself. (matplotlib writes its configuration and font cache
# at import: the round gives the zygote a folder for them that every sandbox can read.)
NOT_PRELOADED = ()
ALWAYS_PRELOADED = ("ipykernel.kernelapp", "ipykernel.ipkernel")

libc = ctypes.CDLL(None, use_errno=True)


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def check(result, what):
    """Raise OSError with errno if a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def join_namespaces(pid):
    """Join every namespace of process ``pid`` (PID: for the children to come).

    The user namespace that owns the others (bubblewrap's outer one, asked of the kernel
    with NS_GET_USERNS) comes first: joining it gives the rights to join what it owns."""
    def ns(name):
        return os.open("/proc/%d/ns/%s" % (pid, name), os.O_RDONLY | os.O_CLOEXEC)

    plan = [(ns(name), kind, name) for name, kind in NAMESPACES]
    plan.insert(0, (fcntl.ioctl(plan[0][0], NS_GET_USERNS), CLONE_NEWUSER, "outer user"))
    plan.append((ns("user"), CLONE_NEWUSER, "user"))
    try:
        for fd, kind, name in plan:
            check(libc.setns(fd, kind), "joining the sandbox's %s namespace" % name)
    finally:
        for fd, _, _ in plan:
            os.close(fd)


def drop_capabilities():
    """Give up every capability (joining a user namespace gave all of them, in it) for good."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "dropping capability %d" % cap)
    header = CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (CapData * 2)()
    check(libc.capset(ctypes.byref(header), data), "clearing capabilities")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs")


def preload(modules):
    """Import what every kernel would import; a module that fails is simply not preloaded."""
    loaded = []
    for name in [*ALWAYS_PRELOADED, *modules]:
        if name.split(".")[0] in NOT_PRELOADED:
            continue
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:
            continue
    return loaded


def become_kernel(request):
    """In the forked kernel: standard streams to the log, the lifeline held, then run."""
    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, 1 << 16)
    # While this process (or a child it passes the descriptor to) lives, the sandbox's
    # waiting program does too; when the kernel dies, the sandbox ends and the grader sees it.
    os.open(request["lifeline"], os.O_WRONLY | os.O_CLOEXEC)
    sys.stdin = open(0)
    sys.stdout = open(1, "w", buffering=1)
    sys.stderr = open(2, "w", buffering=1)
    # ``-m`` put the zygote's own (empty) folder first; IPython adds the kernel's instead.
    if sys.path and sys.path[0] == ZYGOTE_CWD:
        del sys.path[0]
    from . import kernel_entry

    kernel_entry.main([request["spec"], request["connection_file"]])
    os._exit(0)


def spawn(request):
    """Fork a kernel into the sandbox of ``request["pid"]``; return once it is on its way.

    zygote -> child (joins the namespaces, drops capabilities) -> grandchild (the first
    process in the sandbox's PID namespace) -> the kernel. The grandchild exits at once, so
    the kernel's parent becomes the sandbox's own init (bubblewrap's): the kernel is then
    part of the sandbox's process tree, which the worker's Watch counts and kills.

    With ``"probe": true`` the "kernel" only checks that it is where a kernel would be (no
    capability left, the sandbox's user) and the answer waits for it."""
    probe = bool(request.get("probe"))
    child = os.fork()
    if child == 0:
        code = 1
        try:
            join_namespaces(request["pid"])
            drop_capabilities()
            os.chdir("/")
            inner = os.fork()
            if inner == 0:
                kernel = os.fork()
                if kernel == 0:
                    try:
                        if probe:
                            os._exit(0 if confined_here() else 3)
                        become_kernel(request)
                    except BaseException:
                        traceback.print_exc()
                    finally:
                        os._exit(1)
                if probe:
                    _, status = os.waitpid(kernel, 0)
                    os._exit(os.waitstatus_to_exitcode(status))
                os._exit(0)
            _, status = os.waitpid(inner, 0)
            code = os.waitstatus_to_exitcode(status)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("could not start a kernel in the sandbox (exit status %d; see the "
                           "round's zygote.log)" % os.waitstatus_to_exitcode(status))


def confined_here():
    """True when this process has no capability left and cannot gain one."""
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return (int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
            and status["NoNewPrivs"].strip() == "1")


def serve(listener):
    """Answer requests, one per connection, until the listener is closed."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rw") as stream:
            try:
                spawn(json.loads(stream.readline()))
                answer = {"ok": True}
            except Exception as error:
                answer = {"ok": False, "error": str(error)}
            stream.write(json.dumps(answer) + "\n")
            stream.flush()


def request(socket_path, message, timeout=60):
    """Send one request to the zygote listening on ``socket_path``; return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(socket_path)
        with conn.makefile("rw") as stream:
            stream.write(json.dumps(message) + "\n")
            stream.flush()
            return json.loads(stream.readline() or '{"ok": false, "error": "no answer"}')


class Zygote:
    """The round's side of a zygote: start it, check it can start kernels, stop it."""

    def __init__(self, modules, env, log_path):
        self.folder = tempfile.mkdtemp(prefix="tlz-", dir="/tmp")
        self.socket = os.path.join(self.folder, "zygote.sock")
        with open(log_path, "ab") as log:
            # Not -I: its safe_path would stop IPython from putting the kernel's working
            # folder on sys.path, as every kernel has it (tests import helpers from there).
            self.proc = subprocess.Popen(
                [sys.executable, "-E", "-s", "-m", "trainlab.grading.zygote", self.socket,
                 *modules], stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                env=env, cwd=self.folder, start_new_session=True, text=True)
        self.preloaded = None

    def ready(self, bwrap, timeout=300):
        """Wait until it has preloaded, then start one probe in a throw-away sandbox;
        return None when it works, else why not."""
        if self.preloaded is None:
            line = self.proc.stdout.readline()
            try:
                self.preloaded = json.loads(line)["preloaded"]
            except (ValueError, KeyError):
                return "it did not start"
        from . import sandbox

        folder = tempfile.mkdtemp(prefix="probe-", dir=self.folder)
        layout = sandbox.Layout(*(os.path.join(folder, d) for d in ("run", "home", "tmp", "shm")))
        for path in (layout.run_dir, layout.home, layout.tmp, layout.shm):
            os.makedirs(path)
        lifeline = os.path.join(layout.run_dir, "lifeline")
        os.mkfifo(lifeline, 0o600)
        proc = subprocess.Popen([bwrap, *sandbox.bwrap_args(layout, []), "--", "/bin/sh", "-c",
                                 'exec cat "$0" >/dev/null', lifeline],
                                stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            from .worker import waiting_program

            answer = request(self.socket, {"probe": True, "pid": waiting_program(
                proc.pid, time.monotonic() + timeout)}, timeout)
            return None if answer.get("ok") else answer.get("error") or "no answer"
        except Exception as error:
            return str(error)
        finally:
            proc.kill()
            proc.wait()
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self):
        """End the zygote."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


ZYGOTE_CWD = os.getcwd()


def main(argv=None):
    """Preload, listen on the socket, then fork kernels on request."""
    argv = sys.argv[1:] if argv is None else argv
    socket_path, modules = argv[0], argv[1:]
    loaded = preload(modules)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    listener.bind(socket_path)
    os.umask(old)
    listener.listen(16)
    print(json.dumps({"ready": True, "preloaded": loaded}), flush=True)
    serve(listener)


if __name__ == "__main__":
    main()
