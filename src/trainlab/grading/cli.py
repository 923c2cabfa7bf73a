"""The instructor's command for a whole grading round.

    python -m trainlab.grading [--course ROOT] [--assignment lesson02] [--workers N] ...

collects every submission in ``submitted/``, autogrades each one in parallel and in
confinement, generates feedback, exports grades to CSV and prints a summary: one line per
submission, the tests most students failed, and the path of a score histogram. Exit status
0 when every submission has a recorded result, 1 otherwise, 2 when the round could not start.
"""
import argparse
import sys

from .round import UNCONFINED_WARNING, grade_round
from .sandbox import SandboxUnavailable
from .spec import Limits


def parse_args(argv):
    """Read the command line."""
    p = argparse.ArgumentParser(prog="python -m trainlab.grading", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--course", default=".", help="course root, where nbgrader_config.py is")
    p.add_argument("--assignment", default="lesson02")
    p.add_argument("--workers", type=int, default=None, help="parallel graders (default: CPUs)")
    p.add_argument("--db-url", default=None,
                   help="gradebook SQLAlchemy URL (default: the course config's)")
    p.add_argument("--student", action="append", dest="students",
                   help="grade only this student (repeatable)")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="seconds per cell (default: the course config's Execute.timeout)")
    p.add_argument("--wall-seconds", type=int, default=Limits.wall_seconds,
                   help="seconds per submission in all")
    p.add_argument("--memory-mb", type=int, default=Limits.memory_bytes >> 20,
                   help="memory of the kernel and all its processes together")
    p.add_argument("--csv", default=None, help="grades CSV (default: ROOT/grades.csv)")
    p.add_argument("--report-dir", default=None, help="default: ROOT/grading-report")
    p.add_argument("--workspace", default=None,
                   help="folder for the private copies (default: a new one in the "
                        "temporary folder)")
    p.add_argument("--keep-workspace", action="store_true", help="keep private copies")
    p.add_argument("--unconfined", action="store_true",
                   help="DANGEROUS: run student code without the sandbox, with your own "
                        "rights (only where the sandbox cannot work; see the README)")
    return p.parse_args(argv)


def main(argv=None):
    """Run a round from the command line; return the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .course import load_course

    course = load_course(args.course, args.db_url)
    limits = Limits(wall_seconds=args.wall_seconds,
                    cell_timeout=args.cell_timeout or course.cell_timeout,
                    memory_bytes=args.memory_mb << 20)
    try:
        result = grade_round(args.course, args.assignment, workers=args.workers,
                             db_url=args.db_url, limits=limits, report_dir=args.report_dir,
                             csv_path=args.csv, students=args.students,
                             workspace=args.workspace, keep_workspace=args.keep_workspace,
                             unconfined=args.unconfined,
                             log=lambda line: print(line, flush=True))
    except SandboxUnavailable as error:
        print("grading could not start: %s." % error, file=sys.stderr)
        return 2
    except (RuntimeError, FileNotFoundError) as error:
        print("grading could not start: %s" % error, file=sys.stderr)
        return 2
    print()
    print(result.summary.split("\n\n", 1)[1])
    if args.unconfined:
        print("\n!!! %s !!!" % UNCONFINED_WARNING)
    print("grades: %s\nreport: %s\n%d submissions in %.1f s with %d workers"
          % (result.csv_path, result.report_dir, len(result.outcomes), result.seconds,
             result.workers))
    return 1 if any(o.status.startswith("NOT RECORDED") for o in result.outcomes) else 0
