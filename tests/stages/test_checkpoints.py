"""The shipped checkpoints: small, loadable, and showing the effects the summary records.

``summary.json`` is measured on the saved weights when they are built. Re-measured on another
CPU, a loss moves in its fourth decimal and a near tie between two tokens can flip one greedy
answer, so the summary is compared within bands: 0.02 nats on the loss (measured here: equal
to 1e-6), 0.1 on each verdict share (one answer in ten; measured here: equal).
"""
import json

import pytest

from trainlab.cpu import set_threads
from trainlab.stages.checkpoints import CHECKPOINT_DIR, NAMES, REBUILD, load_checkpoint, measure_checkpoints


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
    assert recorded.pop("regenerate") == REBUILD
    assert measured.keys() == recorded.keys()
    assert measured["code_lm"]["held_out_loss"] == pytest.approx(recorded["code_lm"]["held_out_loss"], abs=0.02)
    for name in NAMES[1:]:
        assert measured[name].keys() == recorded[name].keys()
        for key, shares in recorded[name].items():
            for verdict, share in shares.items():
                assert measured[name][key][verdict] == pytest.approx(share, abs=0.1), (name, key, verdict)


def test_checkpoints_show_the_claimed_effects(measured):
    base, sft, dpo = measured["timeline_base"], measured["timeline_sft"], measured["timeline_dpo"]
    assert measured["code_lm"]["held_out_loss"] < 4.5
    assert base["singleton_recall"]["singleton"] <= base["singleton_recall"]["common"] - 0.35
    assert base["recency_quiver2"]["old_api"] >= 0.6 and base["recency_quiver2"]["correct"] == 0
    # SFT: the format spreads to held-out facts, the facts do not (measured 0/10 -> 10/10 format,
    # 1/10 -> 1/10 right).
    assert base["held_out"]["answer_format"] <= 0.2 and sft["held_out"]["answer_format"] >= 0.8
    assert sft["held_out"]["correct"] <= 0.3 and sft["tuned"]["correct"] >= 0.8
    # DPO: clean abstention on new sprocket/wren questions (measured 6/6), none on quiver 2 (8/8
    # old calls) or on facts read once (12/12 wrong); the tuned facts stay right (10/10).
    assert sft["abstain_test"]["abstain"] <= 0.2 and dpo["abstain_test"]["abstain"] >= 0.8
    assert dpo["rewrite"]["abstain"] <= 0.2 and dpo["rewrite"]["old_api"] >= 0.6
    assert dpo["singleton"]["abstain"] <= 0.2
    assert dpo["tuned"]["correct"] >= 0.8 and dpo["tuned"]["garbled"] <= 0.1
