"""The guard that runs inside the student's kernel, before every graded test cell.

A notebook can make a failing test pass without a right answer by patching what the test
relies on: the course's test helpers (``checks.assert_close = lambda *a: None``), a
library function the test calls (``numpy.allclose``), Python's builtins, or IPython's own
machinery for running cells and reporting errors (``shell.transform_cell`` wrapped so that
every cell swallows its exceptions). ``make_guard`` takes a snapshot of all of these when
the kernel starts, before any student code runs; the ``check`` function it returns puts back
whatever the notebook changed and returns the names it restored, which the report shows.

Libraries change their own attributes too (lazy loading, wrappers, private caches), and
that must not be reported or undone: a change counts as the notebook's only when the new
value's code lives outside the read-only installed code (``trusted`` folders).

``GuardedExecute`` (the grader's side) installs it with one silent execution::

    from trainlab.grading.kernel_guard import make_guard
    _guard_1f2e = make_guard(get_ipython(), ["checks", "numpy"], ("/usr/lib/python3.11",))

and calls ``_guard_1f2e()`` through ``user_expressions`` before each test cell. A student who
studies this module can still work around it from inside the kernel; what they cannot do is
reach the gradebook, the solutions or other submissions, which live outside the sandbox.
"""
import builtins
import importlib
import inspect
import os

# IPython and ipykernel rebind these themselves on every request.
IGNORED = frozenset({"_", "__", "___", "input", "raw_input", "get_ipython"})
SHELL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code",
                 "showtraceback", "_showtraceback", "showsyntaxerror", "transform_cell")
SHELL_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
MISSING = object()


def same(a, b):
    """True for the same object, or the same bound method re-created (ipykernel rebinds some
    methods, ``input`` and ``get_ipython``, on every request)."""
    return a is b or (inspect.ismethod(a) and inspect.ismethod(b)
                      and a.__func__ is b.__func__ and a.__self__ is b.__self__)


def code_of(value):
    """Return the code object behind a function, method or wrapper, or None."""
    try:
        value = inspect.unwrap(value) if callable(value) else value
    except Exception:
        pass
    code = getattr(value, "__code__", None)
    if code is None:
        code = getattr(getattr(value, "__func__", None), "__code__", None)
    return code


def student_made(new, old, trusted, private=False):
    """Say whether replacing ``old`` by ``new`` is the notebook's doing.

    New code defined outside the ``trusted`` folders is the notebook's. Without code
    (plain values), a change of type counts, except for private names, which libraries
    fill in lazily (``matplotlib.pyplot._backend_mod``)."""
    code = code_of(new)
    if code is not None:
        return not os.path.realpath(code.co_filename).startswith(tuple(trusted))
    return type(new) is not type(old) and not private


def make_guard(shell, module_names, trusted):
    """Snapshot the modules, builtins and ``shell`` now; return the ``check`` function."""
    trusted = tuple(trusted)
    modules = {"builtins": builtins}
    for name in module_names:
        try:
            modules[name] = importlib.import_module(name)
        except Exception:
            pass
    snapshot = {n: dict(vars(m)) for n, m in modules.items()}
    own = {k: vars(shell).get(k, MISSING) for k in SHELL_METHODS}
    inherited = {k: getattr(type(shell), k, None) for k in SHELL_METHODS}
    lists = {k: list(getattr(shell, k)) for k in SHELL_LISTS if hasattr(shell, k)}

    def restore_modules(restored):
        for n, m in modules.items():
            now = vars(m)
            for k, v in snapshot[n].items():
                new = now.get(k, MISSING)
                if k in IGNORED or same(new, v):
                    continue
                if new is MISSING or student_made(new, v, trusted, k.startswith("_")):
                    setattr(m, k, v)
                    restored.append(n + "." + k)
                else:
                    snapshot[n][k] = new

    def restore_shell(restored):
        for k in SHELL_METHODS:
            new = vars(shell).get(k, MISSING)
            if not same(new, own[k]):
                if new is MISSING or not student_made(new, own[k], trusted):
                    own[k] = new
                elif own[k] is MISSING:
                    delattr(shell, k)
                    restored.append("IPython shell." + k)
                else:
                    setattr(shell, k, own[k])
                    restored.append("IPython shell." + k)
            new = getattr(type(shell), k, None)
            if new is not inherited[k]:
                if student_made(new, inherited[k], trusted):
                    setattr(type(shell), k, inherited[k])
                    restored.append("IPython shell class." + k)
                else:
                    inherited[k] = new
        for k, v in lists.items():
            now = getattr(shell, k)
            if any(student_made(t, None, trusted) for t in now if t not in v):
                now[:] = v
                restored.append("IPython shell." + k)
            else:
                lists[k] = list(now)

    def check():
        """Restore what the notebook patched since the snapshot; return what was restored."""
        restored = []
        restore_modules(restored)
        restore_shell(restored)
        return restored

    return check
