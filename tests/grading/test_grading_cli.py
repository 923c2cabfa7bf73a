"""The instructor's command, ``python -m trainlab.grading`` (``./course grade``), as the
instructors of a JupyterHub run it: as an ordinary user, the course in a mode-700 folder."""
import os
import subprocess
import sys

import nbformat
import pytest

from trainlab.grading import course as course_mod
from trainlab.grading.cli import main

from graders import course_clone, grade_as, hand_over, new_home, ordinary_user  # noqa: F401
from grading_corpus import make_demo_course, solved, write


def test_a_course_without_the_assignment_cannot_start(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "--assignment", "lesson02"]) == 2
    assert "grading could not start: no notebook in" in capsys.readouterr().err


def demo_class(root, tmp_path):
    """Write the demo course with a solved and a corrupt submission under ``root``."""
    source = nbformat.read(make_demo_course(root), 4)
    course = course_mod.load_course(root)
    release = course_mod.build_template(course, "lesson02", str(tmp_path / "t")).notebooks[
        "lesson02"]
    write(root, "lesson02", "ada", solved(release, source))
    write(root, "lesson02", "cy", raw="{ not json")


@pytest.mark.slow
def test_an_ordinary_user_grades_reports_and_exports(tmp_path, new_home):
    owner = ordinary_user()
    home = new_home()
    root = course_clone(home, owner, copy_source=False)
    demo_class(root, tmp_path)
    hand_over(home, owner)
    done = grade_as(owner, root, "--workers", "2", "--cell-timeout", "15", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("sandbox: bubblewrap ")
    assert "ada                  6/7  graded" in done.stdout
    assert "cy                   0/7  not graded (0 recorded); corrupt notebook" in done.stdout
    assert "tests most students failed" in done.stdout
    with open(os.path.join(root, "grades.csv")) as f:
        assert len(f.read().splitlines()) == 3
    assert os.path.exists(os.path.join(root, "feedback", "ada", "lesson02", "lesson02.html"))
    assert os.path.exists(os.path.join(root, "grading-report", "scores.png"))


USERNS_OFF = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'


@pytest.mark.slow
@pytest.mark.skipif(subprocess.run(["unshare", "--user", "--map-root-user", "true"],
                                   capture_output=True).returncode != 0,
                    reason="cannot make a user namespace to try this in")
def test_without_user_namespaces_grading_says_why_and_runs_unconfined_only_on_request(
        tmp_path):
    root = str(tmp_path / "course")
    demo_class(root, tmp_path)
    command = ["unshare", "--user", "--map-root-user", "sh", "-c", USERNS_OFF, "sh",
               sys.executable, "-m", "trainlab.grading", "--course", root, "--cell-timeout", "15"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "grading could not start: this machine forbids unprivileged user namespaces "
        "(user.max_user_namespaces=0), which the grading sandbox needs: ask an administrator "
        "to change that setting, or grade with --unconfined, which runs student code with "
        "your own rights."]
    assert not os.path.exists(os.path.join(root, "autograded"))
    done = subprocess.run(command + ["--unconfined"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("warning: UNCONFINED GRADING: student code runs with your own")
    assert "!!! UNCONFINED GRADING" in lines[-4]
    assert "ada                  6/7  graded" in done.stdout
