"""Stage 2: each data property has the effect the lesson claims, on tiny settings.

Bounds are set below the effects measured on these machines so that a re-run meets them
(the tests train two models for 120 steps each, the lab three for 100):
coverage, 120 steps: asyncio loss 4.82 at a 2 % share, 4.31 at 50 % (general code: 4.59);
quality, 120 steps: clean held-out loss 4.84 with no corruption, 5.28 with 90 % corrupted;
world model, 300 steps (the lab's default, as shipped): common facts 0.85 recalled,
singletons 0.25; asked about quiver 2, 8/8 answers name a quiver 1 call, 0/8 the new API.
"""
import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch starts its threads)

import pytest
import torch

from trainlab.data_experiments import (mix_streams, run_coverage_experiment, run_quality_experiment,
                                       run_recency_experiment, run_singleton_experiment)
from trainlab.checkpoints import load_checkpoint
from trainlab.seed import set_threads
from trainlab.worldlm import train_world_lm


@pytest.fixture(scope="module", autouse=True)
def threads():
    set_threads()


def test_mix_streams_gives_the_asked_share():
    main, minor = torch.zeros(900, dtype=torch.long), torch.ones(50, dtype=torch.long)
    mixed = mix_streams(main, minor, 0.25)
    assert mixed.float().mean().item() == pytest.approx(0.25, abs=0.01)


def test_low_coverage_domain_has_higher_loss():
    rows = run_coverage_experiment(shares=(0.02, 0.5), steps=120)
    low, high = rows
    assert low["asyncio_loss"] > high["asyncio_loss"] + 0.25
    # With little asyncio in the mix, asyncio is harder for the model than the majority domain.
    assert low["asyncio_loss"] > low["general_loss"]


def test_corruption_hurts_clean_held_out_loss():
    rows = run_quality_experiment(corrupt_fractions=(0.0, 0.9), steps=120)
    assert rows[1]["clean_loss"] > rows[0]["clean_loss"] + 0.25


@pytest.fixture(scope="module")
def world_model():
    model, tokenizer, history = train_world_lm(progress=False)
    return model, tokenizer, history


def test_world_pretraining_loss_falls(world_model):
    history = world_model[2]
    assert sum(history["loss"][:10]) / 10 > 5.0
    assert sum(history["loss"][-10:]) / 10 < 1.0


def test_training_path_rebuilds_the_shipped_checkpoint(world_model):
    # Same seed, same settings: on this kind of CPU the weights agree to float16 rounding.
    shipped, tokenizer = load_checkpoint("world_base")
    fresh = world_model[0]
    assert world_model[1].get_vocab() == tokenizer.get_vocab()
    diff = max((a.half().float() - b).abs().max().item() for a, b in zip(fresh.parameters(), shipped.parameters()))
    assert diff < 1e-3


def test_cutoff_model_answers_the_rewrite_with_the_old_api(world_model):
    model, tokenizer, _ = world_model
    result = run_recency_experiment(model, tokenizer)
    assert result["quiver 1"]["correct"] >= 0.5  # measured 0.625
    assert result["quiver 2"]["correct"] == 0.0  # it never saw the new API
    assert result["quiver 2"]["old_api"] >= 0.6  # and invents calls the rewrite removed


def test_facts_seen_once_are_the_ones_it_gets_wrong(world_model):
    model, tokenizer, _ = world_model
    result = run_singleton_experiment(model, tokenizer)
    assert result["common"] >= 0.7
    assert result["singleton"] <= result["common"] - 0.35
