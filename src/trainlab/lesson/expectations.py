"""Helpers for the lesson's *visible* tests: messages that say how far off an answer is.

A bare ``AssertionError`` teaches nothing. These helpers raise one whose message names the
quantity, shows the student's value beside the expected one and the relative error, and, where
a common slip explains the gap, says which slip. The hidden tests that nbgrader runs at grading
time do not use this module: they are plain code, so patching these helpers gains nothing.

An exercise not answered yet still holds nbgrader's stub (``raise NotImplementedError(...)``):
:func:`require` says so in words, and :func:`answered` lets a demo cell skip a student's
function until it is written.

Example:
    >>> expect_close("loss", 2.31, 2.30, rtol=1e-2)
    >>> expect_close("loss", 4.6, 2.3, rtol=1e-2)
    Traceback (most recent call last):
    ...
    AssertionError: loss: you have 4.6, expected about 2.3 (off by 100%: exactly double).
    >>> expect_close("loss", 6.9, 2.3, rtol=1e-2, slips={"summed: take the mean": 6.9})
    Traceback (most recent call last):
    ...
    AssertionError: loss: you have 6.9, expected about 2.3 (off by 200%: summed: take the mean).
"""
from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Iterable, Mapping

STUB_HINT = ("in the answer cell above, replace the two `YOUR CODE HERE` lines with your code, "
             "run that cell, then run this one again")


class NotAnsweredError(AssertionError):
    """Raised when a test cell runs before its answer is written (or before its cell has run)."""


def answered(obj) -> bool:
    """False while ``obj`` is a function whose body is still nbgrader's stub.

    The stub is a body that does nothing but ``raise NotImplementedError``; anything else,
    and anything whose source cannot be read, counts as answered.

    Example:
        >>> def stub(x):
        ...     raise NotImplementedError("not answered yet")
        >>> def mine(x):
        ...     return 2 * x
        >>> answered(stub), answered(mine), answered(3)
        (False, True, True)
    """
    if not inspect.isfunction(obj):
        return True
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    except (OSError, TypeError, SyntaxError):
        return True
    func = tree.body[0] if tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return True
    body = [s for s in func.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]  # docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return True
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return not (isinstance(exc, ast.Name) and exc.id == "NotImplementedError")


def require(names: Iterable[str], namespace: Mapping) -> None:
    """Fail with a clear instruction when an answer is missing or still the stub.

    Example:
        >>> require(["answer"], {"answer": 1})
    """
    names = list(names)
    missing = [n for n in names if n not in namespace]
    if missing:
        raise NotAnsweredError(
            f"{', '.join(missing)} is not defined yet: {STUB_HINT}. (Run the setup cell at the "
            "top of the notebook first if you have not.)"
        )
    stubs = [n for n in names if not answered(namespace[n])]
    if stubs:
        raise NotAnsweredError(f"{', '.join(stubs)} is not answered yet: {STUB_HINT}.")


def _ratio_hint(got: float, want: float) -> str:
    """Name a telling ratio between two numbers (double, half, a power of ten)."""
    if want == 0 or got == 0 or not math.isfinite(got):
        return ""
    ratio = got / want
    for value, label in [(2, "exactly double"), (0.5, "exactly half"), (3, "three times"),
                         (1 / 3, "a third"), (3600, "3600x: seconds vs hours?"),
                         (1 / 3600, "1/3600: hours vs seconds?")]:
        if math.isclose(ratio, value, rel_tol=1e-3):
            return f": {label}"
    power = math.log10(abs(ratio))
    if abs(power - round(power)) < 1e-3 and round(power) != 0:
        return f": a factor of 10^{round(power)}, check the units"
    return ""


def expect_close(name: str, got, want: float, rtol: float = 1e-6, atol: float = 0.0,
                 slips: Mapping[str, float] | None = None) -> None:
    """Assert that ``got`` is a finite number within ``rtol`` (relative) of ``want``.

    ``slips`` maps the description of a common mistake to the value that mistake produces;
    when the answer lands on one of them, the message names the mistake.
    """
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name}: expected a single number, got {type(got).__name__} ({got!r})."
        ) from None
    if not math.isfinite(value):
        raise AssertionError(f"{name}: got {value}; an overflow (exp of a large logit?) "
                             "or a division by zero gives that.")
    if math.isclose(value, want, rel_tol=rtol, abs_tol=atol):
        return
    off = abs(value - want) / abs(want) if want else abs(value)
    hint = next((f": {label}" for label, wrong in (slips or {}).items()
                 if math.isclose(value, wrong, rel_tol=1e-4, abs_tol=1e-12)), None)
    raise AssertionError(
        f"{name}: you have {value:.6g}, expected about {want:.6g} "
        f"(off by {off:.0%}{hint if hint is not None else _ratio_hint(value, want)})."
    )


def expect_choice(name: str, got, choices: Iterable[str]) -> None:
    """Assert that ``got`` is one of ``choices`` (case-insensitive strings)."""
    options = [str(c) for c in choices]
    if not isinstance(got, str) or got.strip().upper() not in {o.upper() for o in options}:
        raise AssertionError(f"{name}: answer with one of {options}; you have {got!r}.")


def expect_permutation(name: str, got, items: Iterable[str]) -> None:
    """Assert ``got`` is a list that uses each of ``items`` exactly once."""
    items = list(items)
    if not isinstance(got, (list, tuple)):
        raise AssertionError(f"{name}: expected a list of {len(items)} names, got "
                             f"{type(got).__name__}.")
    unknown = [g for g in got if g not in items]
    if unknown:
        raise AssertionError(f"{name}: {unknown} are not among {items}.")
    if sorted(got) != sorted(items):
        missing = [i for i in items if i not in got]
        raise AssertionError(f"{name}: use each item exactly once; missing {missing}.")
