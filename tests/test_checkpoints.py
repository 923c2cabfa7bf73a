"""Fast mode: the shipped checkpoints are small, load, and show the effects the summary records."""
import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch starts its threads)

import json

import pytest

from trainlab.checkpoints import CHECKPOINT_DIR, NAMES, fast_mode, load_checkpoint, measure_checkpoints
from trainlab.seed import set_threads


def test_fast_mode_follows_nbgrader_and_the_override(monkeypatch):
    monkeypatch.delenv("TRAINLAB_FAST", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not fast_mode()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert fast_mode()
    monkeypatch.setenv("TRAINLAB_FAST", "0")
    assert not fast_mode()
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setenv("TRAINLAB_FAST", "1")
    assert fast_mode()


def test_checkpoints_are_small_and_load():
    total = sum(p.stat().st_size for p in CHECKPOINT_DIR.rglob("*") if p.is_file())
    assert total < 4_000_000
    for name in NAMES:
        model, tok = load_checkpoint(name)
        assert model.config.vocab_size == len(tok)
    with pytest.raises(ValueError):
        load_checkpoint("no_such_stage")


@pytest.fixture(scope="module")
def measured():
    set_threads()
    return measure_checkpoints()


def test_checkpoints_reproduce_the_recorded_summary(measured):
    recorded = json.loads((CHECKPOINT_DIR / "summary.json").read_text())
    assert recorded.pop("regenerate") == "python -m trainlab.checkpoints"
    assert measured.keys() == recorded.keys()
    for name in recorded:
        for key, value in recorded[name].items():
            assert measured[name][key] == pytest.approx(value, abs=1e-4), (name, key)


def test_checkpoints_show_the_claimed_effects(measured):
    base, sft, dpo = measured["world_base"], measured["world_sft"], measured["world_dpo"]
    assert measured["code_lm"]["held_out_loss"] < 4.5
    assert base["singleton"]["singleton"] <= base["singleton"]["common"] - 0.35
    assert base["recency_quiver2"]["old_api"] >= 0.6 and base["recency_quiver2"]["correct"] == 0
    assert base["known"]["answer_format"] <= 0.2 and sft["known"]["answer_format"] >= 0.8
    assert sft["unknown_test"]["abstain"] <= 0.2 and dpo["unknown_test"]["abstain"] >= 0.7
    assert dpo["known"]["correct"] >= max(0.7, sft["known"]["correct"] - 0.15)
