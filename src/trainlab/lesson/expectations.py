"""Helpers for the lesson's *visible* tests: messages that say how far off an answer is.

A bare ``AssertionError`` teaches nothing. These helpers raise one whose message names the
quantity, shows the student's value beside the expected one and the relative error, and, where
a common slip explains the gap, says which slip. The hidden tests that nbgrader runs at grading
time do not use this module: they are plain code, so patching these helpers gains nothing.

Example:
    >>> expect_close("loss", 2.31, 2.30, rtol=1e-2)
    >>> expect_close("loss", 4.6, 2.3, rtol=1e-2)
    Traceback (most recent call last):
    ...
    AssertionError: loss: you have 4.6, expected about 2.3 (off by 100%: exactly double).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


class NotAnsweredError(AssertionError):
    """Raised when a test cell runs before its answer cell (or the setup cell) has run."""


def require(names: Iterable[str], namespace: Mapping) -> None:
    """Fail with a clear instruction when an answer has not been defined yet.

    Example:
        >>> require(["answer"], {"answer": 1})
    """
    missing = [n for n in names if n not in namespace]
    if missing:
        raise NotAnsweredError(
            f"{', '.join(missing)} is not defined yet: run the answer cell above this test "
            "(and the setup cell at the top of the notebook), then run this cell again."
        )


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


def expect_close(name: str, got, want: float, rtol: float = 1e-6, atol: float = 0.0) -> None:
    """Assert that ``got`` is a finite number within ``rtol`` (relative) of ``want``."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name}: expected a number, got {type(got).__name__} ({got!r})."
        ) from None
    if not math.isfinite(value):
        raise AssertionError(f"{name}: got {value}; an overflow (exp of a large logit?) "
                             "or a division by zero gives that.")
    if math.isclose(value, want, rel_tol=rtol, abs_tol=atol):
        return
    off = abs(value - want) / abs(want) if want else abs(value)
    raise AssertionError(
        f"{name}: you have {value:.6g}, expected about {want:.6g} "
        f"(off by {off:.0%}{_ratio_hint(value, want)})."
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
