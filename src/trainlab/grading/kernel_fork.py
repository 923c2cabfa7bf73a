"""Fork a kernel into a sandbox that bubblewrap made: join it, give up every right, run.

The zygote (``zygote``) calls ``spawn`` for each submission. It forks a child that joins
the sandbox's namespaces (user, mount, network, IPC, UTS, cgroup, PID: everything
bubblewrap built, nothing built here), gives up every capability for good, and forks the
kernel inside the sandbox's PID namespace; that kernel then runs ``kernel_entry`` exactly
like a kernel that bubblewrap started itself.

What keeps submissions apart here:

- a kernel process is never reused: each one is a new fork of the zygote, which has run no
  student code and never does; a kernel cannot reach the zygote (another PID namespace,
  not visible; its control pipe is not in the sandbox) nor change it (copy-on-write);
- the kernel keeps no file descriptor of the zygote's but the standard three, and its
  environment is replaced by the spec's before any student code runs.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import sys
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
# The folder the zygote started in: ``-m`` put it first on sys.path (read at the zygote's
# start, before any fork changes folder).
ZYGOTE_CWD = os.getcwd()

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


def confined_here():
    """True when this process has no capability left and cannot gain one."""
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return (int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
            and status["NoNewPrivs"].strip() == "1")


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
