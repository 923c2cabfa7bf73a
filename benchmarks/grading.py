"""Grade a synthetic class with one worker, then with all cores, and compare.

Builds a throw-away copy of the course (the real lesson, or with ``--demo`` the small demo
assignment the tests use), writes ``--n`` submissions in which each student has solved a
random subset of the exercises (seeded), and runs the instructor's round on it twice, each
time on a fresh gradebook: with 1 worker and with ``--workers`` (default: all CPUs).
Both runs are confined exactly as in a real round. The last line is machine-readable:

    grading: n=<count> serial_per_min=<x> parallel_per_min=<y> workers=<k>

Usage: .venv/bin/python benchmarks/grading.py [--n 60] [--workers K] [--demo]
"""
import argparse
import copy
import os
import random
import shutil
import sys
import tempfile

import nbformat

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(PROJECT, "tests", "grading"))

from trainlab.grading import course as course_mod  # noqa: E402
from trainlab.grading.cells import nbgrader_meta  # noqa: E402
from trainlab.grading.round import grade_round  # noqa: E402

from grading_corpus import make_demo_course, solved, write  # noqa: E402


def make_course(folder, demo):
    """Lay out a course to grade; return (root, release notebook, source notebook)."""
    root = os.path.join(folder, "course")
    if demo:
        source_path = make_demo_course(root)
    else:
        os.makedirs(root)
        shutil.copy(os.path.join(PROJECT, "nbgrader_config.py"), root)
        shutil.copytree(os.path.join(PROJECT, "source", "lesson02"),
                        os.path.join(root, "source", "lesson02"))
        source_path = os.path.join(root, "source", "lesson02", "lesson02.ipynb")
    course = course_mod.load_course(root, "sqlite:///" + os.path.join(root, "gradebook.db"))
    template = course_mod.build_template(course, "lesson02", os.path.join(folder, "template"))
    return root, template.notebooks["lesson02"], nbformat.read(source_path, 4)


def write_class(root, release, source, n, seed=0):
    """Write ``n`` submissions, each with a random share of the exercises solved."""
    rng = random.Random(seed)
    good = solved(release, source)
    for i in range(n):
        nb = copy.deepcopy(release)
        share = rng.random()
        for cell, answer in zip(nb.cells, good.cells, strict=True):
            if nbgrader_meta(cell).get("solution") and rng.random() < share:
                cell.source = answer.source
        write(root, "lesson02", "student%03d" % i, nb)


def run(root, workers):
    """Grade the class on a fresh gradebook; return the round's result."""
    for leftover in ("gradebook.db", "autograded", "feedback", "grading-report", "grades.csv"):
        path = os.path.join(root, leftover)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    return grade_round(root, "lesson02", workers=workers,
                       db_url="sqlite:///" + os.path.join(root, "gradebook.db"),
                       log=lambda line: None)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=60, help="submissions in the class")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="parallel run's workers")
    p.add_argument("--demo", action="store_true", help="grade the small demo assignment")
    args = p.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="grading-bench-")
    try:
        root, release, source = make_course(folder, args.demo)
        write_class(root, release, source, args.n)
        rates = {}
        for label, workers in (("serial", 1), ("parallel", args.workers)):
            result = run(root, workers)
            recorded = sum(1 for o in result.outcomes if o.status.startswith("graded"))
            rates[label] = args.n / result.seconds * 60
            print("%-8s workers=%d  %d submissions (%d graded) in %.1f s  = %.1f per minute"
                  % (label, workers, args.n, recorded, result.seconds, rates[label]), flush=True)
        print("speed-up: %.2fx on %d workers" % (rates["parallel"] / rates["serial"],
                                                 args.workers))
        print("grading: n=%d serial_per_min=%.1f parallel_per_min=%.1f workers=%d"
              % (args.n, rates["serial"], rates["parallel"], args.workers))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
