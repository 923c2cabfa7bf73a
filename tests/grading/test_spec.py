"""The typed messages between the round, its workers and the sandboxed kernel."""
import dataclasses
import json

import pytest

from trainlab.grading.spec import Job, JobResult, KernelSpec, Limits, dump, load


def test_every_spec_survives_a_round_trip():
    limits = Limits(wall_seconds=60, memory_bytes=1 << 30)
    specs = [
        limits,
        KernelSpec(workdir="/home/student", limits=limits, audit_log="/run/a.jsonl",
                   env={"HOME": "/home/student"}, writable=["/home/student", "/tmp"]),
        Job(student="ada", assignment="lesson02", folder="/w/sub-1", course_id="c",
            limits=limits, watch_modules=["numpy"], feedback_preprocessors=["x.Y"],
            keep_out=["/course"]),
        JobResult(student="ada", autograde_ok=True, seconds=1.5, timings={"feedback": 0.2}),
    ]
    for spec in specs:
        assert load(type(spec), dump(spec)) == spec


def test_a_misspelt_or_missing_field_is_an_error_where_it_is_read():
    text = json.loads(dump(Limits()))
    text["wall_secs"] = text.pop("wall_seconds")
    with pytest.raises(ValueError, match="unknown field.*wall_secs"):
        load(Limits, json.dumps(text))
    kernel = json.loads(dump(KernelSpec("/h", Limits(), "/a", {}, [])))
    del kernel["audit_log"]
    with pytest.raises(ValueError, match="missing field audit_log"):
        load(KernelSpec, json.dumps(kernel))


def test_values_of_the_wrong_type_are_refused():
    with pytest.raises(ValueError, match="Limits.nproc: expected int"):
        load(Limits, json.dumps({"nproc": "256"}))
    with pytest.raises(ValueError, match="expected int"):
        load(Limits, json.dumps({"nproc": True}))
    with pytest.raises(ValueError, match=r"KernelSpec.env\['HOME'\]: expected str"):
        load(KernelSpec, json.dumps({**json.loads(dump(KernelSpec("/h", Limits(), "/a", {},
                                                                  []))), "env": {"HOME": 1}}))
    assert load(JobResult, json.dumps({"student": "a", "seconds": 2})).seconds == 2.0


def test_specs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().nproc = 1
