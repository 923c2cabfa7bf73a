"""Grade one submission inside the namespaces that ``sandbox`` created.

Runs as root in a private mount, network and PID namespace (``unshare`` made them) and:

1. brings up the namespace's own loopback (the kernel's channels use it) and hides what
   student code must never reach: the course's gradebook, ``source/`` (the solutions),
   ``submitted/`` (other students), ``autograded/`` and ``feedback/``, by mounting empty
   file systems over them, and gives the kernel private ``/tmp``, ``/var/tmp`` and
   ``/dev/shm``;
2. installs a ``python3`` kernelspec that starts the kernel through ``kernel_launcher``,
   which drops to an unprivileged uid before any student code runs;
3. runs nbgrader's autograde and feedback on the private course copy (trusted code, as root)
   and writes what happened to ``result.json`` for the parent, which alone touches the
   course's real gradebook.

Usage (by ``sandbox.run_confined``, never by hand):
    unshare --net --pid --mount --fork -- python -m trainlab.grading.confine SPEC.json
"""
import fcntl
import json
import os
import socket
import struct
import subprocess
import sys
import time
import traceback

from .course import put_python_on_path


def hide_paths(paths):
    """Mount an empty, read-only file system over each existing directory or file."""
    for path in paths:
        if os.path.isdir(path):
            mount(["-t", "tmpfs", "-o", "size=1m,mode=000,ro", "tmpfs", path])
        elif os.path.exists(path):
            mount(["--bind", "/dev/null", path])


def give_private_scratch(keep, size="512m"):
    """Give the namespace its own empty /tmp, /var/tmp and /dev/shm, so that one
    submission cannot leave files there for another or fill the machine's.

    A scratch folder that holds something grading needs (``keep``: the interpreter, the
    course, the private copy; a clone checked out under /tmp, say) is left in place: covering
    it would hide Python itself. The kernel's TMPDIR points into its private copy either way.
    """
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(path) and not any(is_within(k, path) for k in keep):
            mount(["-t", "tmpfs", "-o", "size=%s,mode=1777" % size, "tmpfs", path])


def is_within(path, folder):
    """True when ``path`` is ``folder`` or lies inside it (symbolic links resolved)."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def needed_paths(spec, spec_path):
    """What grading must still reach after the scratch folders are replaced."""
    import trainlab

    return [sys.prefix, os.path.dirname(os.path.realpath(sys.executable)),
            os.path.dirname(trainlab.__file__), spec["private_root"], spec_path,
            spec["result_path"], spec["config"]["CourseDirectory"]["root"], *spec["expose"]]


def expose_readonly(paths, staging):
    """Make each path readable by the kernel's unprivileged user, read-only.

    The interpreter may live under a folder only root can enter (pyenv under /root): the
    blocking folder is covered with an empty file system in which the path alone is
    bind-mounted back, read-only, leaving the rest of that folder hidden.
    """
    for n, path in enumerate(sorted(set(paths))):
        blocker = next((p for p in ancestors(path) if not os.stat(p).st_mode & 0o001), None)
        if blocker is None:
            continue
        kept = os.path.join(staging, "exposed-%d" % n)
        os.makedirs(kept)
        mount(["--bind", path, kept])
        mount(["-t", "tmpfs", "-o", "size=1m,mode=755", "tmpfs", blocker])
        os.makedirs(path, exist_ok=True)
        mount(["--bind", "-o", "ro", kept, path])


def ancestors(path):
    """Return the folders from / down to ``path``'s parent."""
    parts = os.path.abspath(path).split(os.sep)[1:-1]
    return ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]


def bring_up_loopback():
    """Bring up ``lo`` in the new network namespace (it starts down): the kernel and
    nbgrader talk over 127.0.0.1, and nothing outside the namespace is reachable there."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def mount(args):
    """Run mount(8), failing loudly: a grader that cannot hide the gradebook must stop."""
    subprocess.run(["mount", *args], check=True, capture_output=True)


def install_kernelspec(spec_path, private_root):
    """Write a ``python3`` kernelspec that starts kernels through ``kernel_launcher``."""
    kernel_dir = os.path.join(private_root, "jupyter", "kernels", "python3")
    os.makedirs(kernel_dir, exist_ok=True)
    argv = [sys.executable, "-m", "trainlab.grading.kernel_launcher", spec_path,
            "{connection_file}"]
    with open(os.path.join(kernel_dir, "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "Python 3 (graded)", "language": "python"}, f)
    os.environ["JUPYTER_PATH"] = os.path.join(private_root, "jupyter")
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(private_root, "runtime")
    os.environ["JUPYTER_CONFIG_DIR"] = os.path.join(private_root, "jupyter-config")


def grade_private_course(spec):
    """Autograde and generate feedback for the one student of the private course."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config(spec["config"])
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    result = {"started": time.time()}
    result["autograde"] = api.autograde(spec["assignment"], spec["student"])
    if result["autograde"].get("success"):
        result["feedback"] = api.generate_feedback(spec["assignment"], spec["student"])
    return result


def main(argv=None):
    """Confine, grade, and record the outcome; exit status 0 means result.json is written."""
    argv = sys.argv[1:] if argv is None else argv
    spec_path = argv[0]
    with open(spec_path) as f:
        spec = json.load(f)
    bring_up_loopback()
    hide_paths(spec["hide"])
    expose_readonly(spec["expose"], spec["private_root"])
    give_private_scratch(needed_paths(spec, spec_path))
    install_kernelspec(spec_path, spec["private_root"])
    os.environ["HOME"] = spec["private_root"]
    os.environ["TMPDIR"] = os.path.join(spec["private_root"], "tmp")
    os.makedirs(os.environ["TMPDIR"], mode=0o1777, exist_ok=True)
    os.chmod(os.environ["TMPDIR"], 0o1777)
    put_python_on_path()
    os.chdir(spec["config"]["CourseDirectory"]["root"])
    try:
        result = grade_private_course(spec)
    except Exception:
        result = {"crash": traceback.format_exc()}
    with open(spec["result_path"], "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
