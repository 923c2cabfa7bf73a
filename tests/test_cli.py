"""The ``trainlab`` command: installed, it lists its subcommands and runs each module's own ``main``."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trainlab import cli

from conftest import ROOT


def test_help_lists_the_three_commands():
    exe = shutil.which("trainlab", path=str(Path(sys.executable).parent))
    assert exe, "the console script is not installed beside this interpreter"
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    for command in ("generate", "grade", "checkpoints"):
        assert command in done.stdout


@pytest.mark.parametrize("command, module", [
    ("generate", "trainlab.lesson.editions"), ("grade", "trainlab.grading.cli"),
    ("checkpoints", "trainlab.stages.checkpoints"),
])
def test_each_command_hands_its_arguments_to_its_module(monkeypatch, command, module):
    seen = []
    monkeypatch.setattr(f"{module}.main", lambda argv: seen.append(argv) or 0)
    assert cli.main([command, "--one", "two"]) == 0
    assert seen == [["--one", "two"]]


def test_generate_is_what_the_course_script_runs():
    # ./course generate runs the module whose main `trainlab generate` calls; test_notebooks
    # runs `trainlab generate` itself and compares what it writes with the committed editions.
    assert '-m trainlab.lesson.editions "$@"' in (ROOT / "course").read_text()
    assert cli.COMMANDS["generate"][0] == "trainlab.lesson.editions"


def test_an_unknown_command_is_refused():
    with pytest.raises(SystemExit) as stop:
        cli.main(["teach"])
    assert stop.value.code == 2
