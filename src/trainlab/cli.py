"""The ``trainlab`` command: the course's three jobs, each the same function ``./course`` runs.

    trainlab generate [--out DIR]        regenerate release/ and notebooks/ from source/
    trainlab grade [options]             grade every submission in submitted/ (--help lists them)
    trainlab checkpoints [DIRECTORY]     retrain the tiny lab and rebuild its shipped checkpoints

Each subcommand hands the rest of the command line to its module's ``main``:
:mod:`trainlab.lesson.editions`, :mod:`trainlab.grading.cli`, :mod:`trainlab.stages.checkpoints`.

Example:
    >>> main(["--help"])                                    # doctest: +SKIP
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "generate": ("trainlab.lesson.editions", "regenerate release/ and notebooks/ from source/"),
    "grade": ("trainlab.grading.cli", "grade every submission in submitted/, confined and in parallel"),
    "checkpoints": ("trainlab.stages.checkpoints", "retrain the tiny lab and rebuild its shipped checkpoints"),
}


def main(argv: list[str] | None = None) -> int:
    """Run ``trainlab COMMAND [ARGS...]``; return the command's exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="trainlab", description="The library behind Lesson 2, 'How AI models are trained'.",
        epilog="'trainlab COMMAND --help' shows a command's own options.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, summary) in COMMANDS.items():
        commands.add_parser(name, help=summary, add_help=False)
    args, rest = parser.parse_known_args(argv[:1])
    module = importlib.import_module(COMMANDS[args.command][0])
    return module.main(argv[1:] + rest)


if __name__ == "__main__":
    sys.exit(main())
