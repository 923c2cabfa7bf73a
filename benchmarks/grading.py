"""Plain ``nbgrader autograde`` against the sandboxed, parallel round, side by side.

Builds a throw-away copy of the course with ``--n`` copies of the solution notebook of the
real lesson (or, with ``--demo``, of the small demo assignment the tests use), then, in
this one run and on the same machine:

1. plain nbgrader: ``nbgrader generate_assignment`` once, then ``nbgrader autograde
   ASSIGNMENT`` in one process for the whole class, as an instructor would run it (no
   sandbox, serial: nbgrader has no parallel autograde); only the autograde is timed;
2. the round, ``python -m trainlab.grading`` as ``./course grade`` runs it, with
   ``--workers`` workers, every kernel in its sandbox, on a fresh gradebook: everything it
   does is timed (template, workers' start-up, checks, autograde, feedback, merge, report).

By default each is run twice, in the order plain, round, round, plain, so that a load that
rises or falls steadily during the run (the machine is shared) weighs on both alike; the
rates are from the summed times. It prints where a submission's time goes in the round (mean
per submission, in a worker), and, last, one machine-readable line:

    grading: n=<count> nbgrader_per_min=<x> parallel_per_min=<y> ratio=<y/x> workers=<k>

Usage: .venv/bin/python benchmarks/grading.py [--n 12] [--workers K] [--demo] [--order abba]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(PROJECT, "tests", "grading"))

from trainlab.grading import course as course_mod  # noqa: E402
from trainlab.grading.round import grade_round  # noqa: E402

from grading_corpus import make_demo_course, solved, write  # noqa: E402


def make_course(folder, demo, n):
    """Lay out a course with ``n`` solved submissions; return its root."""
    root = os.path.join(folder, "course")
    if demo:
        source_path = make_demo_course(root)
    else:
        os.makedirs(root)
        shutil.copy(os.path.join(PROJECT, "nbgrader_config.py"), root)
        shutil.copytree(os.path.join(PROJECT, "source", "lesson02"),
                        os.path.join(root, "source", "lesson02"))
        source_path = os.path.join(root, "source", "lesson02", "lesson02.ipynb")
    course = course_mod.load_course(root)
    template = course_mod.build_template(course, "lesson02", os.path.join(folder, "template"))
    good = solved(template.notebooks["lesson02"], nbformat.read(source_path, 4))
    for i in range(n):
        write(root, "lesson02", "student%03d" % i, good)
    return root


def clean(root):
    """Remove what a grading run leaves, so that the next run starts afresh."""
    for leftover in ("gradebook.db", "autograded", "feedback", "grading-report", "grades.csv",
                     "release"):
        path = os.path.join(root, leftover)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)


def cpu_seconds():
    """CPU time used so far by this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def plain_nbgrader(root):
    """Time ``nbgrader autograde`` of the whole class; return seconds."""
    clean(root)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ.get("PATH", ""))
    run = dict(cwd=root, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "lesson02"], **run)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "lesson02"], **run)
    return time.monotonic() - start


def parallel_round(root, workers):
    """Time a whole sandboxed round; return (seconds, RoundResult)."""
    clean(root)
    start = time.monotonic()
    result = grade_round(root, "lesson02", workers=workers, log=lambda line: None)
    return time.monotonic() - start, result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=12, help="submissions in the class")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="round's workers")
    p.add_argument("--demo", action="store_true", help="grade the small demo assignment")
    p.add_argument("--order", default="abba", help="a: plain nbgrader, b: the round")
    args = p.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="grading-bench-")
    try:
        root = make_course(folder, args.demo, args.n)
        plain, ours = [], []
        for step in args.order:
            with open("/proc/loadavg") as f:
                load = f.read().split()[0]
            cpu = cpu_seconds()
            if step == "a":
                plain.append(plain_nbgrader(root))
                print("nbgrader autograde: %d submissions in %.1f s, cpu %.1f s each (load %s)"
                      % (args.n, plain[-1], (cpu_seconds() - cpu) / args.n, load), flush=True)
            else:
                seconds, result = parallel_round(root, args.workers)
                ours.append(seconds)
                graded = sum(1 for o in result.outcomes if o.status.startswith("graded"))
                print("round, %d workers: %d submissions (%d graded) in %.1f s, cpu %.1f s each "
                      "(load %s)" % (args.workers, args.n, graded, seconds,
                                     (cpu_seconds() - cpu) / args.n, load), flush=True)
                times = [t for t in result.timings.values() if t]
                for key in sorted({k for t in times for k in t}):
                    values = [t[key] for t in times if key in t]
                    print("  mean %-24s %.2f" % (key, sum(values) / len(values)))
        x = args.n / (sum(plain) / len(plain)) * 60
        y = args.n / (sum(ours) / len(ours)) * 60
        print("grading: n=%d nbgrader_per_min=%.1f parallel_per_min=%.1f ratio=%.2f workers=%d"
              % (args.n, x, y, y / x, args.workers))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
