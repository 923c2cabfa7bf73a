"""The instructor's command: ``python -m trainlab.grading`` from a terminal."""
import os
import subprocess
import sys

import nbformat
import pytest

from trainlab.grading import course as course_mod
from trainlab.grading.cli import main

from grading_corpus import make_demo_course, solved, write


def test_a_course_without_the_assignment_cannot_start(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "--assignment", "lesson02"]) == 2
    assert "grading could not start: no notebook in" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="confined grading needs root (namespaces)")
def test_the_command_grades_reports_and_exports(tmp_path):
    root = str(tmp_path / "course")
    source = nbformat.read(make_demo_course(root), 4)
    course = course_mod.load_course(root)
    release = course_mod.build_template(course, "lesson02", str(tmp_path / "t")).notebooks[
        "lesson02"]
    write(root, "lesson02", "ada", solved(release, source))
    write(root, "lesson02", "cy", raw="{ not json")
    done = subprocess.run([sys.executable, "-m", "trainlab.grading", "--course", root,
                           "--workers", "2", "--cell-timeout", "15"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "ada                  6/7  graded" in done.stdout
    assert "cy                   0/7  not graded (0 recorded); corrupt notebook" in done.stdout
    assert "tests most students failed" in done.stdout
    with open(os.path.join(root, "grades.csv")) as f:
        assert len(f.read().splitlines()) == 3
    assert os.path.exists(os.path.join(root, "feedback", "ada", "lesson02", "lesson02.html"))
    assert os.path.exists(os.path.join(root, "grading-report", "scores.png"))
