"""The timeline model: its pretraining loss falls, and retraining it rebuilds what the shipped
checkpoint does (not its bits: float results differ across CPUs, thread counts and BLAS builds).

Measured here (2 cores), shipped ``timeline_base`` against a retrain with the lab's defaults:
loss on the pre-cutoff text it read 0.3938 vs 0.3938 (2 threads) and 0.3938 (1 thread); on
the post-cutoff documents it never read 8.406 vs 8.406 and 8.405; common facts recalled 0.85
vs 0.85 and 0.80 (one answer in 20); singletons 0.25 vs 0.25 and 0.25; quiver 2 answered with
the old API 1.0 vs 1.0 and 1.0. The weights themselves differed from the shipped float16 ones
by up to 0.0041 (2 threads) and 0.0036 (1 thread). The bands below allow a couple of answers
to flip, not a different model.
"""
import pytest

from trainlab.cpu import set_threads
from trainlab.stages.answers import grade_answers
from trainlab.stages.checkpoints import load_checkpoint
from trainlab.stages.pretrain import encode_documents, evaluate_loss
from trainlab.stages.timeline import cue, make_timeline
from trainlab.stages.timeline_experiments import run_recency_experiment, run_singleton_experiment
from trainlab.stages.timeline_lm import pre_cutoff_texts, train_timeline_lm
from trainlab.stages.tuning_data import split_facts

pytestmark = pytest.mark.slow


def behaviour(model, tokenizer) -> dict:
    """What a timeline base model does: its losses, what it recalls, how it answers the rewrite."""
    timeline = make_timeline()
    later = [d["text"] for d in timeline["documents"] if d["date"] > timeline["cutoff"]]
    return {"read_loss": evaluate_loss(model, encode_documents(pre_cutoff_texts(timeline), tokenizer), 64),
            "unread_loss": evaluate_loss(model, encode_documents(later, tokenizer), 64),
            "common": grade_answers(model, tokenizer, split_facts()["known"], prompt_fn=cue)["correct"],
            "singleton": run_singleton_experiment(model, tokenizer)["singleton"],
            "quiver2": run_recency_experiment(model, tokenizer)["quiver 2"]}


@pytest.fixture(scope="module")
def retrained():
    set_threads()
    return train_timeline_lm(progress=False)


def test_timeline_pretraining_loss_falls(retrained):
    history = retrained[2]
    assert sum(history["loss"][:10]) / 10 > 5.0
    assert sum(history["loss"][-10:]) / 10 < 1.0


def test_training_path_rebuilds_what_the_shipped_checkpoint_does(retrained):
    fresh, tokenizer, _ = retrained
    shipped, shipped_tokenizer = load_checkpoint("timeline_base")
    assert tokenizer.get_vocab() == shipped_tokenizer.get_vocab()  # the tokenizer is trained exactly
    new, old = behaviour(fresh, tokenizer), behaviour(shipped, shipped_tokenizer)
    assert new["read_loss"] == pytest.approx(old["read_loss"], abs=0.05)
    assert new["unread_loss"] == pytest.approx(old["unread_loss"], abs=0.3)
    assert new["common"] == pytest.approx(old["common"], abs=0.15)  # 20 facts: 3 may flip
    assert new["singleton"] == pytest.approx(old["singleton"], abs=0.17)  # 12 facts: 2 may flip
    assert new["quiver2"]["correct"] == 0 and new["quiver2"]["old_api"] >= old["quiver2"]["old_api"] - 0.25
