"""Limits seen from outside the sandbox: wall time, memory and processes in all, disk.

Resource limits (``setrlimit``, set by ``kernel_entry``) hold for each process on its own:
a notebook that starts 50 processes of 3 GB each passes a 4 GB address-space limit 50
times. ``Watch`` adds up what the whole sandbox really uses, from outside it, several times
a second: the resident memory of every process in it, how many processes there are, and
the bytes written into its writable folders. Past a limit, or past the wall-clock
deadline, it kills every process of the sandbox (the sandbox's PID namespace dies with its
first process) and remembers why, for the report.

Example:
    watch = Watch(limits, folders=[home, tmp])
    watch.add(bwrap_pid)       # the sandbox's outermost process
    ...
    watch.stop(); watch.reason  # "" or e.g. "used 4.2 GB of memory in all (limit 4.0 GB)"
"""
from __future__ import annotations

import os
import signal
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
POLL_SECONDS = 0.2
DISK_EVERY = 10


def children(pid):
    """Return the pids of ``pid``'s children (all threads), or [] once it is gone."""
    found = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                found.extend(int(p) for p in f.read().split())
        except OSError:
            continue
    return found


def start_time(pid):
    """Return when ``pid`` started (clock ticks since boot), or None once it is gone: a
    process id is reused by the system, the pair (pid, start time) is not."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def tree(roots):
    """Return the pids of the live ``roots`` ((pid, start time) pairs) and their descendants."""
    seen, found = [], set()
    todo = [pid for pid, started in roots if start_time(pid) == started][::-1]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        seen.append(pid)
        todo.extend(children(pid))
    return seen


def resident_bytes(pid):
    """Return a process's resident memory in bytes (0 once it is gone)."""
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def task_count(pid):
    """Return how many threads ``pid`` has (what RLIMIT_NPROC counts), 0 once it is gone."""
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


def disk_bytes(folders):
    """Return the bytes held by regular files under ``folders``."""
    total = 0
    todo = list(folders)
    while todo:
        try:
            entries = list(os.scandir(todo.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def gb(n):
    """Format a byte count for the report."""
    return "%.1f GB" % (n / (1 << 30)) if n >= 1 << 30 else "%d MB" % (n >> 20)


class Watch:
    """Watch one sandbox's processes against a Limits; kill them all past a limit."""

    def __init__(self, limits, folders=(), deadline=None, poll=POLL_SECONDS):
        self.limits = limits
        self.folders = list(folders)
        self.deadline = deadline
        self.poll = poll
        self.roots = []
        self.reason = ""
        self.timed_out = False
        self.on_start = None
        self.marks = {}
        self.started = time.monotonic()
        self._last = self.started
        self.peak_bytes = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sandbox-watch", daemon=True)
        self._thread.start()

    def add(self, pid):
        """Watch ``pid`` and everything it starts."""
        started = start_time(pid)
        if started is not None:
            with self._lock:
                self.roots.append((pid, started))

    def kernel_started(self, pid):
        """Watch the kernel's outer process; start the kernel in it if it only waits."""
        self.add(pid)
        if self.on_start is not None:
            self.on_start(pid)

    def _run(self):
        rounds = 0
        while not self._stop.wait(self.poll):
            rounds += 1
            reason = self.check(disk=rounds % DISK_EVERY == 0)
            if reason:
                self.kill(reason)

    def check(self, disk=False):
        """Return why the sandbox must stop now, or ""."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
            return "stopped at the %d s wall-clock limit" % self.limits.wall_seconds
        with self._lock:
            pids = tree(self.roots)
        used = sum(resident_bytes(p) for p in pids)
        self.peak_bytes = max(self.peak_bytes, used)
        if used > self.limits.memory_bytes:
            return "used %s of memory in all its processes (limit %s): stopped" % (
                gb(used), gb(self.limits.memory_bytes))
        # As RLIMIT_NPROC does, count threads too; the outer bwrap process is not in the
        # sandbox. Reaching the limit stops it: where RLIMIT_NPROC holds (an ordinary user's
        # sandbox) a fork bomb is stuck there, and for root nothing else stops it.
        tasks = sum(task_count(p) for p in pids[1:])
        self.peak_processes = max(self.peak_processes, tasks)
        if tasks >= self.limits.nproc:
            return "reached %d processes and threads (limit %d): stopped" % (
                tasks, self.limits.nproc)
        if disk and self.folders:
            written = disk_bytes(self.folders)
            if written > self.limits.disk_bytes:
                return "wrote %s to disk (limit %s): stopped" % (
                    gb(written), gb(self.limits.disk_bytes))
        return ""

    def kill(self, reason):
        """Kill every process of the sandbox and remember why (the first reason wins)."""
        if not self.reason:
            self.reason = reason
        with self._lock:
            roots = list(self.roots)
        for _ in range(3):
            pids = tree(roots)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)

    def stop(self):
        """Stop watching (and kill whatever of the sandbox is still running)."""
        self._stop.set()
        self._thread.join()
        with self._lock:
            roots = list(self.roots)
        for pid in tree(roots):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# The watch of the submission the worker is grading now (a worker grades one at a time):
# GuardedExecute adds the kernel's process to it as soon as the kernel starts.
ACTIVE: Watch | None = None


def mark(name, add=False):
    """Note the time since the previous mark under ``name`` (for the round's timings)."""
    active = ACTIVE
    if active is None:
        return
    now = time.monotonic()
    active.marks[name] = (active.marks.get(name, 0.0) if add else 0.0) + now - active._last
    active._last = now
