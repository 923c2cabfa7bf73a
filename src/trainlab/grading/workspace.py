"""Build the private course copy in which one submission is graded.

Each submission gets a folder of its own (mode 700) under the round's workspace::

    <private>/course/                  the private nbgrader course (the worker's, trusted)
        gradebook.db                   a copy of the template's (never the real one)
        source/<assignment>/           the assignment's data files (no notebooks)
        submitted/<student>/<assignment>/   the checked and repaired submission
    <private>/home/                    the kernel's working copy: the data files and the
                                       submission's own files (``/home/student`` inside the
                                       sandbox; the only course-related folder it sees)
    <private>/tmp/, shm/               the kernel's private /tmp and /dev/shm
    <private>/events.jsonl, log.txt    what happened

Example:
    private = prepare_private_course(course, template, "alice", workspace=ws)
    private.fatal     # None, or why nothing can be graded
"""
from __future__ import annotations

import ast
import dataclasses
import glob
import os
import shutil
import tempfile

import nbformat

from .inspect_submission import inspect_submission

MAX_EXTRA_FILE_BYTES = 100_000_000


@dataclasses.dataclass
class PrivateCourse:
    """A submission's private folder and what the check before grading found."""

    student: str
    folder: str
    findings: list
    fatal: str | None


def watched_modules(source):
    """Return the modules the notebooks in ``source`` (an assignment's source folder) import:
    the tests' helpers among them."""
    names = set()
    for path in glob.glob(os.path.join(source, "*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
    return sorted(names)


def copy_extras(src, dest, findings):
    """Copy every file but notebooks from ``src`` into ``dest``; skip oversized files."""
    for path in glob.glob(os.path.join(src, "**", "*"), recursive=True):
        rel = os.path.relpath(path, src)
        if os.path.islink(path) or not os.path.isfile(path) or path.endswith(".ipynb"):
            continue
        if os.path.getsize(path) > MAX_EXTRA_FILE_BYTES:
            findings.append("file %s too large: left out" % rel)
            continue
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(path, target)


def prepare_private_course(course, template, student, *, workspace):
    """Check the student's submission and lay out its private course; return it."""
    assignment = template.assignment
    folder = tempfile.mkdtemp(prefix="sub-", dir=workspace)
    private_root = os.path.join(folder, "course")
    submitted = os.path.join(private_root, "submitted", student, assignment)
    os.makedirs(submitted)
    shutil.copyfile(template.gradebook_path, os.path.join(private_root, "gradebook.db"))
    data = os.path.join(private_root, "source", assignment)
    os.makedirs(data)
    copy_extras(os.path.join(template.folder, "source", assignment), data, [])

    findings, fatals = [], []
    origin = os.path.join(course.root, course.submitted, student, assignment)
    if not os.path.isdir(origin):
        fatals.append("missing submission: no %s folder for this student" % assignment)
    else:
        copy_extras(origin, submitted, findings)
        for name, release_nb in template.notebooks.items():
            found = inspect_submission(os.path.join(origin, name + ".ipynb"), release_nb,
                                       os.path.join(submitted, name + ".ipynb"))
            findings.extend(found.findings)
            if found.fatal:
                fatals.append(found.fatal)
    home = os.path.join(folder, "home")
    os.makedirs(home)
    copy_extras(data, home, [])
    copy_extras(submitted, home, [])
    for scratch in ("tmp", "shm"):
        os.makedirs(os.path.join(folder, scratch))
    nothing_left = len(fatals) >= len(template.notebooks) or not os.path.isdir(origin)
    return PrivateCourse(student, folder, findings + fatals,
                         "; ".join(fatals) if nothing_left else None)
