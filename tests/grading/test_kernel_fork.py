"""Kernels forked from a pre-loaded zygote into new sandboxes: fresh each time, nothing shared."""
import os

import nbformat
import pytest

from trainlab.grading import course as course_mod
from trainlab.grading.round import grade_round
from trainlab.grading.sandbox import find_bwrap
from trainlab.grading.spec import Limits

from grading_corpus import code, make_demo_course, solved, write

LEAVE = '''import math, os, subprocess
math.left_by_first = "state"
os.environ["LEFT_BY_FIRST"] = "1"
open("/tmp/left-by-first", "w").write("x")
open("/dev/shm/left-by-first", "w").write("x")
subprocess.Popen(["sleep", "300"], start_new_session=True)
print("left")
'''
LOOK = '''import math, os
print("seen:", hasattr(math, "left_by_first"), "LEFT_BY_FIRST" in os.environ,
      os.path.exists("/tmp/left-by-first"), os.path.exists("/dev/shm/left-by-first"),
      sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
'''


@pytest.mark.slow
@pytest.mark.skipif(find_bwrap() is None, reason="no bwrap here")
def test_kernels_do_not_share_state(tmp_path):
    root = str(tmp_path / "course")
    source = nbformat.read(make_demo_course(root), 4)
    course = course_mod.load_course(root)
    release = course_mod.build_template(course, "lesson02", str(tmp_path / "t")).notebooks[
        "lesson02"]
    for student, probe in (("a_first", LEAVE), ("b_second", LOOK)):
        nb = solved(release, source)
        nb.cells.insert(2, code(probe))
        write(root, "lesson02", student, nb)
    result = grade_round(root, "lesson02", workers=1, limits=Limits(cell_timeout=30),
                         log=lambda line: None)
    assert [o.score for o in result.outcomes] == [6, 6]
    printed = {}
    for student in ("a_first", "b_second"):
        nb = nbformat.read(os.path.join(root, "autograded", student, "lesson02",
                                        "lesson02.ipynb"), 4)
        printed[student] = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert printed["a_first"] == "left\n"
    # The second kernel: its init, the waiting program, itself; nothing of the first.
    assert printed["b_second"] == "seen: False False False False [1, 2, 4]\n"
