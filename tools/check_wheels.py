"""Which Python versions and systems can install every pinned package from binary wheels.

For each Python version and platform it asks pip to resolve the whole lock
(``requirements.txt`` and ``requirements-dev.txt``, plus torch and the model wheel) with
``--only-binary=:all:`` for that target, without installing anything, and prints one row:

    python  platform                 lesson  dev
    3.12    linux x86-64             ok      ok
    3.12    macOS arm64              ok      no wheel: psycopg2-binary==2.9.13

Run it from the project folder with the project's interpreter (it needs the network):

    .venv/bin/python tools/check_wheels.py [--python 3.11 3.12 3.13 3.14]

``./course`` accepts the versions for which both the lesson and the test tools resolve on
both systems; the README says which of them were also run.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = {
    "linux x86-64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                     "manylinux_2_5_x86_64", "manylinux1_x86_64"],
    "macOS arm64": ["macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64",
                    "macosx_11_0_arm64", "macosx_10_9_universal2", "macosx_10_13_universal2"],
}


# pip judges a requirement's marker (``; sys_platform == "linux"``) on the machine it runs on,
# not on the --platform asked for: the lock is filtered for each system first.
MARKER_ENV = {
    "linux x86-64": {"sys_platform": "linux", "platform_system": "Linux",
                     "platform_machine": "x86_64", "os_name": "posix"},
    "macOS arm64": {"sys_platform": "darwin", "platform_system": "Darwin",
                    "platform_machine": "arm64", "os_name": "posix"},
}


def for_system(requirement_file: Path, system: str, version: str, folder: str) -> Path:
    """A copy of ``requirement_file`` without the lines whose marker excludes ``system``."""
    from packaging.requirements import Requirement

    env = dict(MARKER_ENV[system], python_version=version, python_full_version=version + ".0")
    kept = []
    for line in requirement_file.read_text().splitlines():
        if line.strip() and not line.startswith("#") and ";" in line:
            marker = Requirement(line).marker
            if marker is not None and not marker.evaluate(env):
                continue
        kept.append(line)
    path = Path(folder) / f"{system}-{requirement_file.name}".replace(" ", "-")
    path.write_text("\n".join(kept) + "\n")
    return path


def course_pins() -> list[str]:
    """torch and the model wheel, as ``./course`` asks for them."""
    script = (ROOT / "course").read_text()
    torch = re.search(r"COURSE_TORCH:-([^}]+)}", script).group(1)
    smollm = re.search(r"^SMOLLM=(\S+)", script, re.M).group(1)
    return [torch, smollm]


def resolve(version: str, platforms: list[str], requirement_files: list[Path],
            extra: list[str]) -> str:
    """'ok', or the first package pip found no wheel for."""
    with tempfile.TemporaryDirectory() as target:
        # X.Y.0: the oldest interpreter of a series must work too (Requires-Python can ask
        # for a micro version: soupsieve 3 wants 3.11.5, Debian 12 has 3.11.2).
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--no-deps", "--only-binary=:all:", "--python-version", version + ".0",
               "--target", target, "--disable-pip-version-check", "-q"]
        for p in platforms:
            cmd += ["--platform", p]
        for f in requirement_files:
            cmd += ["-r", str(f)]
        # This machine's own wheel folder and constraints must not decide the answer.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        proc = subprocess.run(cmd + extra, capture_output=True, text=True, env=env)
    if proc.returncode == 0:
        return "ok"
    missing = re.search(r"No matching distribution found for (\S+)", proc.stderr)
    return "no wheel: " + missing.group(1) if missing else proc.stderr.strip().splitlines()[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", nargs="+", default=["3.11", "3.12", "3.13", "3.14"])
    args = parser.parse_args(argv)
    print(f"{'python':8}{'platform':16}{'lesson':10}dev")
    every = True
    for version in args.python:
        for name, platforms in PLATFORMS.items():
            with tempfile.TemporaryDirectory() as folder:
                lesson = resolve(version, platforms,
                                 [for_system(ROOT / "requirements.txt", name, version, folder)],
                                 course_pins())
                dev = resolve(version, platforms,
                              [for_system(ROOT / "requirements-dev.txt", name, version, folder)],
                              [])
            every &= lesson == dev == "ok"
            print(f"{version:8}{name:16}{lesson:10}{dev}", flush=True)
    return 0 if every else 1


if __name__ == "__main__":
    sys.exit(main())
