"""Helpers and fixtures for grading as an instructor would: root or an ordinary user, the course in a
folder only its owner can enter (mode 700, a space in its name).

``course_clone(owner)`` copies the course (``source/``, ``nbgrader_config.py``) and the
package source into ``<tmp, mode 700>/course copy/``, with a virtual environment of its
own in ``.venv`` that uses the copied package and shares the installed libraries of the
environment running the tests (so nothing is downloaded). ``run_as(owner, argv)`` runs a
command as that user. When the tests run as root, the ordinary user is a local system user
they create (``useradd``) if it is missing; when they run as an ordinary user, that user.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_USER = "trainlab-grader"


def ordinary_user():
    """Return the name of an ordinary user to grade as (created if the tests run as root)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--shell", "/bin/sh", TEST_USER], check=True, capture_output=True)
    return TEST_USER


def run_as(owner, argv, **kwargs):
    """Run ``argv`` as ``owner`` (directly when that is who we are)."""
    if owner != pwd.getpwuid(os.geteuid()).pw_name:
        argv = ["runuser", "-u", owner, "--", *argv]
    return subprocess.run(argv, **kwargs)


def runs_this_python(owner, python):
    """True when ``owner`` can run ``python`` and it is this very version."""
    done = run_as(owner, [python, "-c", "import sys; print(sys.version)"], capture_output=True,
                  text=True)
    return done.returncode == 0 and done.stdout.strip() == sys.version


def copy_interpreter():
    """Copy this interpreter (without its site-packages) where anyone can run it; return it.

    The tests' interpreter may live in a folder an ordinary user cannot enter (pyenv under
    /root). A build with a shared libpython finds it through an absolute RUNPATH, which the
    copy points at its own lib folder (a shorter path, padded in place)."""
    base = sys.base_prefix
    version = "%d.%d" % sys.version_info[:2]
    dest = "/tmp/trainlab-python-%d.%d.%d" % sys.version_info[:3]
    python = os.path.join(dest, "bin", "python" + version)
    if os.path.exists(python):
        return python
    work = tempfile.mkdtemp(prefix="trainlab-python-")
    os.makedirs(os.path.join(work, "bin"))
    shutil.copy2(os.path.realpath(sys._base_executable), os.path.join(work, "bin",
                                                                      "python" + version))
    shutil.copytree(os.path.join(base, "lib", "python" + version),
                    os.path.join(work, "lib", "python" + version),
                    ignore=shutil.ignore_patterns("site-packages", "test"))
    for name in os.listdir(os.path.join(base, "lib")):
        if name.startswith("libpython"):
            shutil.copy2(os.path.join(base, "lib", name), os.path.join(work, "lib", name),
                         follow_symlinks=False)
    old, new = (os.path.join(base, "lib").encode(), os.path.join(dest, "lib").encode())
    with open(os.path.join(work, "bin", "python" + version), "r+b") as f:
        data = f.read()
        if old in data:
            if len(new) > len(old):
                return None
            f.seek(0)
            f.write(data.replace(old + b"\0", new + b"\0" * (len(old) - len(new) + 1)))
    for folder, _, _ in os.walk(work):
        os.chmod(folder, 0o755)
    os.chmod(work, 0o755)
    try:
        os.rename(work, dest)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    return python


def python_for(owner):
    """Return this Python (same version and build) in a place ``owner`` can run it, or None.

    Not another build of the same minor version: Debian 12's 3.11.2, for one, mis-matches
    the possessive quantifiers that the installed soupsieve (nbconvert's HTML) uses."""
    if runs_this_python(owner, sys._base_executable):
        return sys._base_executable
    copied = copy_interpreter()
    return copied if copied and runs_this_python(owner, copied) else None


def shared_venv(dest, owner, src):
    """Make ``dest`` a virtual environment for ``owner`` with the package from ``src``."""
    python = python_for(owner)
    if python is None:
        pytest.skip("no Python %d.%d that %s can run" % (*sys.version_info[:2], owner))
    site = sysconfig.get_paths()["purelib"]
    readable = run_as(owner, ["test", "-r", os.path.join(site, "nbgrader", "__init__.py")]).returncode == 0
    subprocess.run([python, "-m", "venv", "--without-pip", dest], check=True)
    own_site = os.path.join(dest, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    if not readable:
        # The installed packages sit where owner cannot enter (a clone in a home folder of mode
        # 700): hard-link them into owner's environment (instant on one file system).
        shutil.copytree(site, own_site, symlinks=True, dirs_exist_ok=True, copy_function=link_or_copy,
                        ignore=lambda folder, names: [n for n in names if n.startswith("__editable__")])
    # .pth files are read in name order: the copied package first, then the shared libraries.
    with open(os.path.join(own_site, "0-course-src.pth"), "w") as f:
        f.write(src + "\n")
    if readable:
        with open(os.path.join(own_site, "1-shared-site.pth"), "w") as f:
            f.write("import site; site.addsitedir(%r)\n" % site)
    bin_dir = os.path.dirname(sys.executable)
    for name in os.listdir(bin_dir):
        path, target = os.path.join(bin_dir, name), os.path.join(dest, "bin", name)
        if os.path.exists(target) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            script = python_script(f.read())
        if script:
            # As pip writes scripts for a path with a space: a shell line that runs Python.
            python = os.path.join(dest, "bin", "python").encode()
            with open(target, "wb") as f:
                f.write(b"#!/bin/sh\n'''exec' \"" + python + b"\" \"$0\" \"$@\"\n' '''\n" + script[1])
            os.chmod(target, 0o755)
    # nbconvert's templates (feedback) live in the environment's share/ folder.
    if readable:
        os.symlink(os.path.join(sys.prefix, "share"), os.path.join(dest, "share"))
    else:
        shutil.copytree(os.path.join(sys.prefix, "share"), os.path.join(dest, "share"), symlinks=True,
                        copy_function=link_or_copy)


def link_or_copy(src, dst):
    """Hard-link (instant, no space); copy across file systems."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def python_script(data: bytes):
    """(interpreter, body) of a console script pip wrote, or None for any other file.

    The interpreter is on the ``#!`` line or, where its path holds a space, in the three-line
    ``/bin/sh`` trampoline pip writes instead."""
    if data.startswith(b"#!/bin/sh\n'''exec' \""):
        _, exec_line, _, body = data.split(b"\n", 3)
        return exec_line.split(b'"')[1], body
    head, _, body = data.partition(b"\n")
    if head.startswith(b"#!") and b"python" in head:
        return head[2:].strip(), body
    return None


def course_clone(tmp, owner, copy_source=True):
    """Lay out the course under ``tmp`` for ``owner``; return the course folder."""
    tmp = str(tmp)
    clone = os.path.join(tmp, "course copy")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(os.path.join(PROJECT, "src"), os.path.join(clone, "src"), ignore=ignore)
    if copy_source:
        shutil.copytree(os.path.join(PROJECT, "source"), os.path.join(clone, "source"))
        shutil.copy(os.path.join(PROJECT, "nbgrader_config.py"), clone)
    shared_venv(os.path.join(clone, ".venv"), owner, os.path.join(clone, "src"))
    return clone


def hand_over(tmp, owner):
    """Give ``tmp`` and everything in it to ``owner``; only they can enter it (mode 700)."""
    user = pwd.getpwnam(owner)
    for folder, dirs, files in os.walk(str(tmp)):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, user.pw_uid, user.pw_gid)
    os.chmod(str(tmp), 0o700)


def grade_as(owner, clone, *args, timeout=1800):
    """Run ``python -m trainlab.grading`` as ``owner`` in ``clone``; return the result."""
    python = os.path.join(clone, ".venv", "bin", "python")
    return run_as(owner, [python, "-m", "trainlab.grading", "--course", clone, *args],
                  capture_output=True, text=True, timeout=timeout, cwd=clone)


@pytest.fixture(scope="module")
def new_home():
    """Make folders like home folders: directly in the system's temporary folder (pytest's
    own is private to the user running the tests), handed to their owner by ``hand_over``."""
    made = []

    def make():
        made.append(tempfile.mkdtemp(prefix="trainlab-home-"))
        return made[-1]

    yield make
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


GRADERS = ["root", "user"]


def grader_name(kind):
    """Return the user to grade as for ``kind`` ("root" or "user"), or skip."""
    if kind == "root":
        if os.geteuid() != 0:
            pytest.skip("grading as root needs the tests to run as root")
        return "root"
    return ordinary_user()
