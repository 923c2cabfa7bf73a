"""What a JupyterHub's administrator does for a class, done by the class round test (as root).

* ``install_proxy``: configurable-http-proxy from the npm registry, pinned, into the project's
  ``.cache/hub-proxy/`` (JupyterHub's own proxy; Node.js 20 or newer with npm is needed).
* ``class_hub``: a private folder ``/srv/trainlab-hub-XXXX`` (mode 755) holding

  - ``env/``: the course's environment for every user. A real administrator runs
    ``COURSE_VENV=/opt/... ./course install`` from a clone everyone can read; the test makes
    the same thing in seconds from its own environment: a virtual environment made with a
    Python every user may run (this one's base when it may, else the system's
    ``/usr/bin/python3.X``; pyenv's under /root may not), this environment's site-packages,
    share/ and etc/ hard-linked in, its scripts pointed at the new interpreter, and the
    library's source from ``course-src/`` instead of the checkout (which may be under /root,
    mode 700, where no student can read it);
  - ``exchange/``: nbgrader's shared exchange, mode 777;
  - ``hub/`` (root only): JupyterHub's configuration, database and cookie secret;

  three local users (an instructor and two students) with real passwords checked by PAM
  (JupyterHub's default authenticator) and home folders of mode 700; the course cloned into
  the instructor's home with their nbgrader and formgrader settings; and JupyterHub on
  loopback ports, spawning each user's JupyterLab from ``env/``. On exit everything is undone:
  the hub (which stops the single-user servers and the proxy), anything left running as a
  test user, the users, the folder.

A run that was killed leaves its users marked (comment field) with its pid and folder; the
next run removes them, their processes, the hub and proxy of that run, and the folder.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from graders import link_or_copy, python_script

CHP_VERSION = "5.3.0"  # configurable-http-proxy
USER_MARK = "trainlab hub round test"  # the comment (GECOS) field of the users made here
HUB_MARK = "TRAINLAB_HUB_ROUND"  # in the hub's and the proxy's environment: their folder
HUB_START_S = 120
SPAWN_S = 180
STOP_S = 60


# --------------------------------------------------------------------------- small helpers

def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    """Run a command; fail the test with its output when it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_new(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``path`` as a new file. The hub's environment hard-links the test's own files:
    writing into one of them would change the test's environment as well."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.write_text(text)
    path.chmod(mode)


def merged_json(path: Path, update: dict) -> str:
    """The JSON at ``path`` (or {}) with ``update`` merged in, two levels deep."""
    data = json.loads(path.read_text()) if path.exists() else {}
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return json.dumps(data, indent=2)


def everyone_can_run(path: str) -> bool:
    """True when users other than root may run ``path`` (every folder on the way included)."""
    real = Path(os.path.realpath(path))
    try:
        return (all(p.stat().st_mode & stat.S_IXOTH for p in real.parents)
                and bool(real.stat().st_mode & stat.S_IXOTH))
    except OSError:
        return False


def python_version(exe: str) -> str | None:
    try:
        out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


class Timings:
    """How long each step took: printed, and kept in ``log`` (with the load average)."""

    def __init__(self, log: Path):
        self.log = log
        self.start = self.last = time.monotonic()
        self.lines = ["load average at the start: %.2f %.2f %.2f" % os.getloadavg()]

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        self.lines.append(f"{now - self.start:7.1f} s {now - self.last:6.1f} s  {step}")
        self.last = now
        print(self.lines[-1], flush=True)
        self.log.write_text("\n".join(self.lines) + "\n")


# --------------------------------------------------------------------------- software

def install_proxy(prefix: Path) -> Path:
    """configurable-http-proxy, pinned, under ``prefix`` (installed once, from npm)."""
    exe = prefix / "bin" / "configurable-http-proxy"
    if exe.exists() and run([exe, "--version"]).stdout.strip() == CHP_VERSION:
        return exe
    npm = shutil.which("npm")
    if not npm:
        pytest.fail("npm is missing: JupyterHub's proxy (configurable-http-proxy) comes from the "
                    "npm registry and needs Node.js 20 or newer with npm")
    run([npm, "install", "--global", "--prefix", prefix, "--no-audit", "--no-fund",
         f"configurable-http-proxy@{CHP_VERSION}"], timeout=600)
    assert run([exe, "--version"]).stdout.strip() == CHP_VERSION
    return exe


def shared_python() -> str:
    """An interpreter of this one's version that every user may run.

    A copy of this environment's packages works with any interpreter of the same version. A
    base interpreter under /root (pyenv's) cannot be run by other users, and pyenv's is not
    relocatable (its library path is absolute): the system's python3.X stands in, as on a
    real hub.
    """
    want = "%d.%d" % sys.version_info[:2]
    candidates = [getattr(sys, "_base_executable", sys.executable),
                  f"/usr/bin/python{want}", f"/usr/local/bin/python{want}"]
    for exe in candidates:
        if os.path.exists(exe) and everyone_can_run(exe) and python_version(exe) == want:
            return exe
    pytest.fail(f"no Python {want} that every user may run (tried {', '.join(candidates)}); "
                f"the hub's users need one for the course's environment (Debian: apt-get "
                f"install python{want})")


def project_files(root: Path) -> list[str]:
    """The checkout's files as a clone has them (new, untracked files included)."""
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=root, capture_output=True, text=True)
    if proc.returncode == 0:
        return [f for f in proc.stdout.split("\0") if f and (root / f).is_file()]
    skip = {".git", ".venv", ".cache", "test-artifacts", "__pycache__"}
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(root).parts)]


def copy_project(root: Path, dest: Path) -> None:
    for rel in project_files(root):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / rel)


def install_shared_env(env: Path, src: Path, exchange: Path, course_id: str) -> None:
    """The course's environment for every user of the hub (see the module's docstring)."""
    run([shared_python(), "-m", "venv", "--without-pip", env])
    here = Path(sys.prefix)
    purelib = Path(sysconfig.get_paths()["purelib"])
    site = env / purelib.relative_to(here)

    def editable_installs(folder, names):
        return [n for n in names if n.startswith("__editable__")]

    shutil.copytree(purelib, site, symlinks=True, dirs_exist_ok=True,
                    ignore=editable_installs, copy_function=link_or_copy)
    for part in ("share", "etc"):
        if (here / part).is_dir():
            shutil.copytree(here / part, env / part, symlinks=True, dirs_exist_ok=True,
                            copy_function=link_or_copy)
    # The library from the hub's copy of the source (an editable install points at the checkout).
    write_new(site / "trainlab.pth", f"{src}\n")
    # Console scripts (jupyter, nbgrader...) that run this environment's Python.
    ours = str(here / "bin" / "python").encode()
    for script in (here / "bin").iterdir():
        dest = env / "bin" / script.name
        if dest.exists() or script.is_symlink() or not script.is_file():
            continue
        found = python_script(script.read_bytes())
        if found and found[0].startswith(ours):
            try:
                body = found[1].decode()
            except UnicodeDecodeError:
                continue
            write_new(dest, f"#!{env / 'bin' / 'python'}\n{body}", 0o755)
    # ./course checks this stamp before it uses an environment (COURSE_VENV).
    if (here / ".installed").exists():
        write_new(env / ".installed", (here / ".installed").read_text())

    jupyter = env / "etc" / "jupyter"
    # nbgrader for everyone: the course and the shared exchange (the students' Assignments tab).
    # The instructor's course config reads the exchange from COURSE_EXCHANGE (set by the hub).
    write_new(jupyter / "nbgrader_config.py",
              "c = get_config()  # noqa: F821\n"
              f"c.CourseDirectory.course_id = {course_id!r}\n"
              f"c.Exchange.root = {str(exchange)!r}\n")
    # Students get the assignment list only; the instructor turns the rest on for themself.
    # (Not `jupyter labextension disable --level=sys_prefix`: since JupyterLab 4.1 that also
    # locks the plugin, and then nobody can turn it back on.)
    labconfig = jupyter / "labconfig" / "page_config.json"
    write_new(labconfig, merged_json(labconfig, {"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True}}))
    write_new(jupyter / "jupyter_server_config.d" / "nbgrader.server_extensions.formgrader.json",
              json.dumps({"ServerApp": {"jpserver_extensions": {
                  "nbgrader.server_extensions.formgrader": False}}}))
    # Terminals run a plain shell: a login shell would reset PATH (Debian's /etc/profile) and
    # lose the hub's environment.
    server = jupyter / "jupyter_server_config.json"
    write_new(server, merged_json(server, {"ServerApp": {
        "terminado_settings": {"shell_command": ["/bin/bash"]}}}))
    # No news pop-up over the page; the terminal keeps its text in the page (screen-reader
    # mode), where the test reads the shell's prompt.
    overrides = env / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    write_new(overrides, merged_json(overrides, {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
        "@jupyterlab/terminal-extension:plugin": {"screenReaderMode": True}}))


# --------------------------------------------------------------------------- users

@dataclass
class Account:
    role: str  # "instructor", "right", "wrong"
    nickname: str  # in artifact names
    name: str
    password: str
    home: Path = field(init=False)
    uid: int = field(init=False)

    def __post_init__(self):
        pw = pwd.getpwnam(self.name)
        self.home, self.uid = Path(pw.pw_dir), pw.pw_uid

    def give(self, path: Path) -> None:
        """Make ``path`` (and everything in it) theirs."""
        for p in [path, *path.rglob("*")]:
            os.lchown(p, self.uid, pwd.getpwnam(self.name).pw_gid)


def kill_user_processes(uid: int) -> None:
    procs = [p for p in psutil.process_iter(["uids"])
             if p.info["uids"] and uid in (p.info["uids"].real, p.info["uids"].effective)]
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=10)


def remove_user(name: str) -> None:
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    kill_user_processes(uid)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def remove_leftovers() -> None:
    """What a killed run left behind: its hub and proxy, users and folder."""
    for pw in pwd.getpwall():
        m = re.match(rf"{USER_MARK} pid=(\d+) dir=(\S+)", pw.pw_gecos)
        if not m or psutil.pid_exists(int(m.group(1))):
            continue
        folder = Path(m.group(2))
        for p in psutil.process_iter():
            try:
                if p.environ().get(HUB_MARK) == str(folder):
                    p.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        remove_user(pw.pw_name)
        if folder.name.startswith("trainlab-hub-"):
            shutil.rmtree(folder, ignore_errors=True)


def make_user(role: str, nickname: str, name: str, folder: Path) -> Account:
    password = secrets.token_urlsafe(12)
    run(["useradd", "--create-home", "--shell", "/bin/bash",
         "--comment", f"{USER_MARK} pid={os.getpid()} dir={folder}", name])
    run(["chpasswd"], input=f"{name}:{password}\n")
    account = Account(role, nickname, name, password)
    account.home.chmod(0o700)  # Debian's default for new homes; not every useradd does it
    return account


def set_up_instructor(account: Account, src_root: Path) -> Path:
    """The course cloned into the instructor's home, with their nbgrader and formgrader
    settings (the formgrader and create-assignment are theirs only); return the course."""
    course = account.home / "course"
    shutil.copytree(src_root, course, symlinks=True)
    jupyter = account.home / ".jupyter"
    write_new(jupyter / "nbgrader_config.py",
              f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n")
    write_new(jupyter / "labconfig" / "page_config.json", json.dumps({"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": False, "@jupyter/nbgrader:create-assignment": False}}))
    # The formgrader is shown in an iframe: the server must let its own pages frame it.
    write_new(jupyter / "jupyter_server_config.json", json.dumps({"ServerApp": {
        "jpserver_extensions": {"nbgrader.server_extensions.formgrader": True},
        "tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}}}))
    account.give(course)
    account.give(jupyter)
    course.chmod(0o700)
    return course


# --------------------------------------------------------------------------- the hub

@dataclass
class Hub:
    url: str
    folder: Path
    env: Path
    exchange: Path
    course_id: str
    instructor: Account
    students: list[Account]
    course: Path  # the instructor's clone
    log: Path


def hub_config(*, env: Path, proxy: Path, folder: Path, exchange: Path, users: list[Account],
               ports: tuple[int, int, int]) -> str:
    public, hub_api, proxy_api = ports
    environment = {
        "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "COURSE_VENV": str(env),  # ./course uses the hub's environment, not a .venv of its own
        "COURSE_EXCHANGE": str(exchange),  # the exchange of the course's nbgrader_config.py
        "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    }
    hub = folder / "hub"
    return f"""# JupyterHub for the class round test.
c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_api}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.JupyterHub.db_url = "sqlite:///{hub / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(hub / 'cookie_secret')!r}
c.JupyterHub.pid_file = {str(hub / 'jupyterhub.pid')!r}
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = {sorted(u.name for u in users)!r}
c.Spawner.cmd = [{str(env / 'bin' / 'python')!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = {SPAWN_S}
c.Spawner.http_timeout = {SPAWN_S}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
"""


def wait_for_hub(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + HUB_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterHub exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/hub/api/", timeout=5) as r:
                if r.status == 200 and "version" in json.load(r):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterHub did not answer within {HUB_START_S} s:\n{log.read_text()[-3000:]}")


def stop_hub(proc: subprocess.Popen) -> None:
    """SIGTERM: the hub stops every single-user server and the proxy; the rest is killed."""
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for p in family:  # kernels may outlive their server by a few seconds: no waiting for them
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


def course_id_of(config: Path) -> str:
    m = re.search(r"course_id\s*=\s*[\"']([^\"']+)", config.read_text())
    assert m, f"no course_id in {config}"
    return m.group(1)


@contextmanager
def class_hub(root: Path, proxy: Path, artifacts: Path, timings: Timings):
    """Set everything up (see the module's docstring), yield a Hub, undo everything."""
    remove_leftovers()
    with ExitStack() as undo:  # undone last in, first out: hub, users, folder
        base = Path("/srv") if Path("/srv").is_dir() else Path("/var/tmp")
        folder = Path(tempfile.mkdtemp(prefix="trainlab-hub-", dir=base))
        undo.callback(timings, "folder removed")
        undo.callback(shutil.rmtree, folder, ignore_errors=True)
        undo.callback(timings, "users removed")
        folder.chmod(0o755)
        tag = re.sub(r"[^a-z0-9]", "x", folder.name.rsplit("-", 1)[-1][:4].lower())
        accounts = []
        for role, nickname in (("instructor", "teacher"), ("right", "ada"), ("wrong", "bo")):
            name = f"trl{tag}-{nickname}"
            undo.callback(remove_user, name)
            accounts.append(make_user(role, nickname, name, folder))
        instructor, students = accounts[0], accounts[1:]
        timings("users created")

        course_id = course_id_of(root / "nbgrader_config.py")
        src, env, exchange = folder / "course-src", folder / "env", folder / "exchange"
        copy_project(root, src)
        exchange.mkdir()
        exchange.chmod(0o777)  # nbgrader's shared exchange: everyone writes into it
        install_shared_env(env, src / "src", exchange, course_id)
        for account in accounts:  # the environment must work for them, not only for root
            run(["runuser", "-u", account.name, "--", env / "bin" / "python", "-c",
                 "import trainlab, jupyterhub"], cwd="/")
        course = set_up_instructor(instructor, src)
        timings("the hub's environment and the instructor's course installed")

        (folder / "hub").mkdir(mode=0o700)
        ports = (free_port(), free_port(), free_port())
        config = folder / "hub" / "jupyterhub_config.py"
        write_new(config, hub_config(env=env, proxy=proxy, folder=folder, exchange=exchange,
                                     users=accounts, ports=ports), 0o600)
        url, log = f"http://127.0.0.1:{ports[0]}", artifacts / "hub-jupyterhub.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", config],
                                    env=dict(os.environ, **{HUB_MARK: str(folder)}),
                                    cwd=folder / "hub", stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        undo.callback(timings, "hub stopped (single-user servers, kernels, proxy)")
        undo.callback(stop_hub, proc)
        undo.callback(timings, "round over")
        wait_for_hub(proc, url, log)
        timings("JupyterHub answers")
        yield Hub(url=url, folder=folder, env=env, exchange=exchange, course_id=course_id,
                  instructor=instructor, students=students, course=course, log=log)
