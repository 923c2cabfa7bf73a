"""The first code in the sandbox: limits, environment and the audit log."""
import json
import os
import resource
import subprocess
import sys

from trainlab.grading import kernel_entry
from trainlab.grading.spec import Limits

ALLOWED = ["/home/student", "/tmp"]


def test_writes_outside_the_allowed_folders_are_recorded():
    record = kernel_entry.audit_record
    assert record("open", ("/course/gradebook.db", "w", 0), ALLOWED) == {
        "event": "write", "path": "/course/gradebook.db"}
    assert record("open", ("/home/student/out.txt", "w", 0), ALLOWED) is None
    assert record("open", ("/usr/lib/python3.11/os.py", "r", 0), ALLOWED) is None
    assert record("open", (b"/etc/x", None, os.O_WRONLY | os.O_CREAT), ALLOWED)["path"] == "/etc/x"
    assert record("open", ("/tmpfoo/x", "a", 0), ALLOWED) is not None
    assert record("os.remove", ("/course/gradebook.db", -1), ALLOWED)["event"] == "os.remove"
    assert record("os.remove", ("/tmp/scratch", -1), ALLOWED) is None


def test_network_and_programs_are_recorded():
    record = kernel_entry.audit_record
    assert "1.1.1.1" in record("socket.connect", (None, ("1.1.1.1", 80)), ALLOWED)["detail"]
    assert record("subprocess.Popen", ("sh", ["sh", "-c", "x"], None, None),
                  ALLOWED)["event"] == "subprocess.Popen"
    assert record("import", ("os",), ALLOWED) is None


def test_the_audit_log_is_bounded(tmp_path):
    log = tmp_path / "audit.jsonl"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT)
    hook = kernel_entry.make_audit_hook(fd, ALLOWED, max_lines=3)
    for i in range(10):
        hook("open", ("/outside/%d" % i, "w", 0))
    os.close(fd)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["path"] for r in lines] == ["/outside/0", "/outside/1", "/outside/2"]


def test_limits_hold_for_the_process_and_its_children():
    limits = Limits(memory_bytes=3 << 30, nproc=77, fsize_bytes=1 << 20)
    code = ("from trainlab.grading import kernel_entry, spec; import os, resource, subprocess, sys;"
            "kernel_entry.apply_limits(spec.load(spec.Limits, sys.argv[1]));"
            "print(os.getpriority(os.PRIO_PROCESS, 0) >= kernel_entry.NICENESS, "
            "resource.getrlimit(resource.RLIMIT_AS)[0], "
            "resource.getrlimit(resource.RLIMIT_FSIZE)[0], resource.getrlimit(resource.RLIMIT_CORE)[0]);"
            "sys.stdout.flush();"
            "subprocess.run([sys.executable, '-c', 'import resource; "
            "print(resource.getrlimit(resource.RLIMIT_NPROC)[0])'])")
    from trainlab.grading.spec import dump

    out = subprocess.run([sys.executable, "-c", code, dump(limits)], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", str(3 << 30), str(1 << 20), "0", str(77 + kernel_entry.NPROC_MARGIN)]
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != 3 << 30
