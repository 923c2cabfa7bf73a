"""Limits counted from outside: memory and processes of the whole tree, disk, wall time."""
import os
import subprocess
import sys
import time

from trainlab.grading import watch
from trainlab.grading.spec import Limits

SPAWN = """
import os, sys, time
for _ in range(int(sys.argv[1])):
    if os.fork() == 0:
        block = bytearray(int(sys.argv[2]) << 20)   # written: really resident
        time.sleep(60)
        os._exit(0)
time.sleep(60)
"""


def start(children, mb):
    """Start a process with ``children`` children holding ``mb`` MB each."""
    return subprocess.Popen([sys.executable, "-c", SPAWN, str(children), str(mb)])


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def stopped_by(limits, proc):
    """Watch ``proc`` under ``limits`` until it is stopped; return the reason the watch gives."""
    w = watch.Watch(limits)
    w.add(proc.pid)
    try:
        assert wait_for(lambda: proc.poll() is not None)
    finally:
        w.stop()
        proc.wait()
    return w.reason


def test_tree_and_resident_memory():
    proc = start(3, 50)
    try:
        root = [(proc.pid, watch.start_time(proc.pid))]
        assert wait_for(lambda: len(watch.tree(root)) == 4)
        assert wait_for(lambda: sum(map(watch.resident_bytes, watch.tree(root))) > 150 << 20)
    finally:
        for pid in watch.tree(root):
            os.kill(pid, 9)
        proc.wait()
    assert watch.tree(root) == []


def test_a_reused_process_id_is_not_followed():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert watch.tree([(proc.pid, 12345)]) == []


def test_memory_of_all_processes_counts():
    # 100 MB each: under any one-process limit, 400 MB together
    reason = stopped_by(Limits(memory_bytes=300 << 20), start(4, 100))
    assert reason.startswith("used ") and "of memory in all its processes" in reason


def test_too_many_processes_stop_the_sandbox():
    reason = stopped_by(Limits(nproc=5), start(20, 1))
    assert reason.startswith("reached ") and "(limit 5)" in reason


def test_disk_limit(tmp_path):
    (tmp_path / "big").write_bytes(os.urandom(3 << 20))
    assert watch.disk_bytes([str(tmp_path)]) >= 3 << 20
    w = watch.Watch(Limits(disk_bytes=1 << 20), folders=[str(tmp_path)], poll=0.01)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    w.add(proc.pid)
    try:
        assert wait_for(lambda: proc.poll() is not None)
    finally:
        w.stop()
    assert w.reason.startswith("wrote 3 MB to disk")


def test_the_deadline_ends_everything():
    proc = start(2, 1)
    w = watch.Watch(Limits(wall_seconds=1), deadline=time.monotonic() + 1)
    w.add(proc.pid)
    try:
        assert wait_for(lambda: proc.poll() is not None)
    finally:
        w.stop()
    assert w.reason == "stopped at the 1 s wall-clock limit"
