"""The guard that runs in the kernel: what a notebook patches is put back before a test."""
import os
import sys
import textwrap
import types

import pytest

from trainlab.grading.kernel_guard import make_guard


class Shell:
    """Stands in for IPython's shell: the methods and lists the guard protects."""

    def run_cell(self, cell):
        return cell

    def transform_cell(self, cell):
        return cell

    def showtraceback(self, *args):
        return "traceback"

    def __init__(self):
        self.input_transformers_cleanup = []
        self.input_transformers_post = []
        self.ast_transformers = []


def function_from(folder, name, body="return None"):
    """Define a function whose code lives in a file under ``folder``."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + ".py")
    with open(path, "w") as f:
        f.write("def %s(*args, **kwargs):\n    %s\n" % (name, body))
    namespace = {}
    exec(compile(open(path).read(), path, "exec"), namespace)
    return namespace[name]


@pytest.fixture
def world(tmp_path):
    """A helper module with a check function, and a trusted (installed) and a notebook folder."""
    trusted, notebook = str(tmp_path / "site-packages"), str(tmp_path / "kernel")
    module = types.ModuleType("course_checks")
    module.assert_close = function_from(trusted, "assert_close", "return 'real'")
    module._cache = None
    sys.modules["course_checks"] = module
    yield module, trusted, notebook
    del sys.modules["course_checks"]


def test_a_clean_kernel_reports_nothing(world):
    module, trusted, _ = world
    check = make_guard(Shell(), ["course_checks"], [trusted])
    assert check() == []


def test_a_patched_helper_is_put_back_and_reported(world):
    module, trusted, notebook = world
    real = module.assert_close
    check = make_guard(Shell(), ["course_checks"], [trusted])
    module.assert_close = function_from(notebook, "fake")
    assert check() == ["course_checks.assert_close"]
    assert module.assert_close is real
    assert check() == []


def test_a_deleted_helper_and_a_patched_builtin_come_back(world):
    module, trusted, notebook = world
    check = make_guard(Shell(), ["course_checks"], [trusted])
    del module.assert_close
    real_abs = abs
    import builtins
    builtins.abs = function_from(notebook, "abs_")
    try:
        assert sorted(check()) == ["builtins.abs", "course_checks.assert_close"]
    finally:
        builtins.abs = real_abs
    assert module.assert_close() == "real"


def test_a_library_changing_itself_is_not_the_notebooks_doing(world):
    module, trusted, _ = world
    check = make_guard(Shell(), ["course_checks"], [trusted])
    replacement = function_from(trusted, "lazy", "return 'loaded'")
    module.assert_close = replacement
    module._cache = {"filled": "lazily"}
    assert check() == []
    assert module.assert_close is replacement


def test_a_new_value_of_another_type_counts_unless_private(world):
    module, trusted, _ = world
    check = make_guard(Shell(), ["course_checks"], [trusted])
    module.assert_close = 42
    assert check() == ["course_checks.assert_close"]


def test_ipython_machinery_is_restored(world):
    _, trusted, notebook = world
    shell, original = Shell(), Shell.showtraceback
    check = make_guard(shell, [], [trusted])
    shell.transform_cell = function_from(notebook, "swallow")
    shell.ast_transformers.append(function_from(notebook, "rewrite"))
    Shell.showtraceback = function_from(notebook, "quiet")
    try:
        assert sorted(check()) == ["IPython shell class.showtraceback",
                                   "IPython shell.ast_transformers",
                                   "IPython shell.transform_cell"]
        assert "transform_cell" not in vars(shell)
        assert shell.ast_transformers == []
        assert Shell.showtraceback(shell) == "traceback"
    finally:
        Shell.showtraceback = original


def test_a_module_that_cannot_be_imported_is_skipped(world):
    _, trusted, _ = world
    check = make_guard(Shell(), ["no_such_module_here"], [trusted])
    assert check() == []


def test_the_guard_source_is_a_module_not_a_template():
    import trainlab.grading.guarded_execute as guarded

    setup = guarded.GUARD_SETUP.format(name="_g", modules=["m"], trusted=("/t",))
    assert "from trainlab.grading.kernel_guard import make_guard" in setup
    assert len(textwrap.dedent(setup).splitlines()) == 3
