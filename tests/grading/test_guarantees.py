"""The guarantees list names real code and real tests."""
import importlib
import os

from trainlab.grading.guarantees import GUARANTEES, describe

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def resolve(dotted):
    """Import ``a.b.c.Name.attr`` as far as it is a module, then get the attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_every_guarantee_points_at_code_that_exists():
    names = [g.name for g in GUARANTEES]
    assert len(names) == len(set(names))
    for must in ("no network", "nothing outside the private copy", "time", "memory",
                 "processes", "tamper checks", "hidden tests out of feedback"):
        assert must in names
    for guarantee in GUARANTEES:
        for where in guarantee.where:
            assert resolve(where) is not None, where


def test_every_guarantee_is_tested_by_a_test_that_exists():
    for guarantee in GUARANTEES:
        assert guarantee.tested_by, guarantee.name
        for test in guarantee.tested_by:
            path, _, name = test.partition("::")
            with open(os.path.join(PROJECT, path)) as f:
                assert not name or "def %s(" % name in f.read(), test


def test_the_list_reads_as_text():
    text = describe()
    assert text.count("enforced in:") == len(GUARANTEES)
