"""Typed messages between the parts of a grading round, serialised as JSON.

Three processes take part in grading one submission, and each hands the next a *spec*:

- the round (parent) sends a ``Job`` to a long-lived worker;
- the worker writes a ``KernelSpec`` into the sandbox, which ``kernel_entry`` reads before
  any student code runs;
- the worker answers with a ``JobResult``.

Each is a frozen dataclass. ``dump`` writes one as JSON; ``load`` reads it back into the
same class, checking every field's name and type, so that a missing or misspelt field is an
error where it is read, not a ``KeyError`` deep inside the sandbox.

Example:
    text = dump(Limits(wall_seconds=60))
    load(Limits, text).wall_seconds     # 60
"""
from __future__ import annotations

import dataclasses
import json
import typing


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    wall_seconds: int = 900
    cell_timeout: int = 120
    memory_bytes: int = 4 << 30
    nproc: int = 256
    fsize_bytes: int = 256 << 20
    disk_bytes: int = 2 << 30
    max_output_bytes: int = 200_000


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    """What the kernel's entry point applies to itself inside the sandbox."""

    workdir: str
    limits: Limits
    audit_log: str
    env: dict[str, str]
    writable: list[str]


@dataclasses.dataclass(frozen=True)
class Job:
    """One submission for a worker: its private course and how to grade it."""

    student: str
    assignment: str
    folder: str
    course_id: str
    limits: Limits
    watch_modules: list[str]
    feedback_preprocessors: list[str]
    keep_out: list[str]
    confined: bool = True
    zygote_socket: str = ""
    also_readable: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class JobResult:
    """What a worker reports about one job."""

    student: str
    autograde_ok: bool = False
    feedback_ok: bool = False
    error: str = ""
    stopped: str = ""
    timed_out: bool = False
    seconds: float = 0.0
    timings: dict[str, float] = dataclasses.field(default_factory=dict)


def to_plain(obj):
    """Return ``obj`` as JSON-ready values (dataclasses become dicts)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    return obj


def dump(obj) -> str:
    """Serialise a spec dataclass to a JSON string."""
    return json.dumps(to_plain(obj), sort_keys=True)


def from_plain(kind, value, where):
    """Build a value of type ``kind`` from JSON data; raise ValueError naming ``where``."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError("%s: expected an object for %s" % (where, kind.__name__))
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ValueError("%s: unknown field(s) %s" % (where, ", ".join(unknown)))
        args = {}
        for f in dataclasses.fields(kind):
            if f.name in value:
                args[f.name] = from_plain(hints[f.name], value[f.name], where + "." + f.name)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError("%s: missing field %s" % (where, f.name))
        return kind(**args)
    if origin is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise ValueError("%s: expected a list" % where)
        return [from_plain(item, v, "%s[%d]" % (where, i)) for i, v in enumerate(value)]
    if origin is dict:
        key, item = typing.get_args(kind)
        if not isinstance(value, dict):
            raise ValueError("%s: expected an object" % where)
        return {from_plain(key, k, where): from_plain(item, v, "%s[%r]" % (where, k))
                for k, v in value.items()}
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError("%s: expected %s, got %r" % (where, kind.__name__, value))
    return value


def load(kind, text: str):
    """Read a spec of class ``kind`` from a JSON string."""
    return from_plain(kind, json.loads(text), kind.__name__)
