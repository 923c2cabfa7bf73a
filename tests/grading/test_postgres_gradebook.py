"""A grading round against a real PostgreSQL gradebook, the set-up for several graders.

The fixture installs Debian's PostgreSQL if it is missing (CI machines start bare), starts a
private server as the ``postgres`` user in a temporary folder, listening on a loopback TCP
port only, and drops it afterwards. The round must write exactly one result per
submission, keep it so when a submission is regraded, and a submission's code must not
reach the server (the grading namespace has no route to the host's loopback).
"""
import copy
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import nbformat
import pytest
import sqlalchemy
from nbgrader.api import Gradebook

from trainlab.grading import course as course_mod
from trainlab.grading.cells import nbgrader_meta
from trainlab.grading.round import grade_round
from trainlab.grading.spec import Limits

from grading_corpus import code, make_demo_course, solved, write

LIMITS = Limits(cell_timeout=15, wall_seconds=120, memory_bytes=2 << 30)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(os.geteuid() != 0, reason="starts PostgreSQL as its own user (root)"),
]


def postgres_bin():
    """Return PostgreSQL's bin folder, installing the Debian package if needed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env,
                       capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1])


def free_port():
    """Return a loopback TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """Start a throw-away PostgreSQL server; yield its SQLAlchemy URL."""
    bin_dir, port = postgres_bin(), free_port()
    postgres = pwd.getpwnam("postgres")
    folder = tempfile.mkdtemp(prefix="pg-")
    os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    data = os.path.join(folder, "data")

    def as_postgres(*argv):
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True,
                       capture_output=True, cwd=folder)

    as_postgres(os.path.join(bin_dir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                "--no-sync")
    as_postgres(os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l",
                os.path.join(folder, "log"), "-w", "-o",
                "-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" % port,
                "start")
    try:
        yield "postgresql+psycopg2://postgres@127.0.0.1:%d/postgres" % port, port
    finally:
        as_postgres(os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


PATCH_HELPERS = "import checks\nchecks.assert_close = lambda *args, **kwargs: None"
PROBE_DB = '''import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("gradebook server: reached")
except OSError as error:
    print("gradebook server:", type(error).__name__)
'''


def test_round_on_postgresql(tmp_path, postgres_url):
    url, port = postgres_url
    root = str(tmp_path / "course")
    source = nbformat.read(make_demo_course(root), 4)
    course = course_mod.load_course(root, url)
    template = course_mod.build_template(course, "lesson02", str(tmp_path / "t"))
    good = solved(template.notebooks["lesson02"], source)
    write(root, "lesson02", "ada", good)
    write(root, "lesson02", "bo", template.notebooks["lesson02"])
    write(root, "lesson02", "cy", raw="{ not json")
    cheat = copy.deepcopy(good)
    for cell in cheat.cells:
        if nbgrader_meta(cell).get("grade_id") == "ex_add":
            cell.source = "def add(a, b):\n    return int(a + b)\n" + PATCH_HELPERS
    write(root, "lesson02", "dee", cheat)
    probe = copy.deepcopy(good)
    probe.cells.insert(2, code(PROBE_DB.format(port=port)))
    write(root, "lesson02", "eve", probe)

    result = grade_round(root, "lesson02", workers=2, db_url=url, limits=LIMITS,
                         log=lambda line: None)
    lines = {o.student: o.line() for o in result.outcomes}
    assert "before test 'test_add' the notebook had patched checks.assert_close" in lines["dee"]
    assert "tried to use the network" in lines["eve"]
    printed = "".join(o.get("text", "") for c in nbformat.read(os.path.join(
        root, "autograded", "eve", "lesson02", "lesson02.ipynb"), 4).cells
        for o in c.get("outputs", []))
    assert "gradebook server: reached" not in printed and "gradebook server:" in printed
    want = {"ada": 6, "bo": 0, "cy": 0, "dee": 4, "eve": 6}
    assert {o.student: o.score for o in result.outcomes} == want

    grade_round(root, "lesson02", workers=1, db_url=url, limits=LIMITS, students=["bo"],
                log=lambda line: None)
    with Gradebook(url, course.course_id) as gb:
        assert len(gb.find_assignment("lesson02").submissions) == len(want)
        assert {s.student.id: s.score for s in gb.find_assignment("lesson02").submissions} == want
        n_cells = len(gb.find_notebook("lesson02", "lesson02").grade_cells)
        grades = gb.db.execute(sqlalchemy.text("SELECT count(*) FROM grade")).scalar()
        assert grades == len(want) * n_cells
