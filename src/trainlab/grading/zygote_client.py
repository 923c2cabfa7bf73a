"""The grader's side of the kernel zygote: start it, probe it, ask it for kernels, stop it.

The round starts one zygote (``zygote``) and checks that it can start a kernel here;
every worker then asks it for each submission's kernel with ``request``, one request per
connection, on a Unix socket in a folder only the grader can enter (and that no sandbox
contains):
    {"pid": <pid of the sandbox's waiting program>, "spec": "<kernel spec path>",
     "connection_file": "<path>", "lifeline": "<fifo path>", "log": "<path>"}
    -> {"ok": true} or {"ok": false, "error": "..."}

Example:
    zygote = start_zygote(round_dir, ["torch", "numpy"], log)
    trouble = zygote.ready(bwrap)      # None when kernels can be forked here
    ...
    zygote.stop()
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


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


def start_zygote(round_dir, watch, log):
    """Start the round's kernel zygote (see ``zygote``), or return None when kernels are to
    start without it (TRAINLAB_GRADING_ZYGOTE=0)."""
    if os.environ.get("TRAINLAB_GRADING_ZYGOTE", "1") == "0":
        return None
    from .sandbox import HOME
    from .worker import kernel_env

    # matplotlib writes its configuration and font cache as it is imported: here, into a
    # folder that every sandbox then reads (read-only) at the same path.
    shared = os.path.join(round_dir, "preloaded")
    os.makedirs(os.path.join(shared, "matplotlib"))
    env = dict(kernel_env(HOME, "/tmp"), MPLCONFIGDIR=os.path.join(shared, "matplotlib"))
    zygote = Zygote(watch, env, os.path.join(round_dir, "zygote.log"))
    zygote.shared = shared
    return zygote
