"""Stage 2 on the timeline, on the shipped base model: after its cutoff it answers with the old
API, and it recalls facts seen once far less often than facts seen many times.

Measured on the shipped ``timeline_base`` (the lab's default, 300 steps): quiver 1 asked the
same way 0.625 correct; quiver 2, 8/8 answers name a quiver 1 call, 0/8 the new API; common
facts 0.85 recalled, singletons 0.25.
"""
import pytest

from trainlab.cpu import set_threads
from trainlab.stages.checkpoints import load_checkpoint
from trainlab.stages.timeline_experiments import run_recency_experiment, run_singleton_experiment


@pytest.fixture(scope="module")
def base():
    set_threads()
    return load_checkpoint("timeline_base")


def test_cutoff_model_answers_the_rewrite_with_the_old_api(base):
    result = run_recency_experiment(*base)
    assert result["quiver 1"]["correct"] >= 0.5  # measured 0.625
    assert result["quiver 2"]["correct"] == 0.0  # it never saw the new API
    assert result["quiver 2"]["old_api"] >= 0.6  # and invents calls the rewrite removed
    assert len(result["rows"]) == 8 and all(r["prompt"].startswith("quiver 2") for r in result["rows"])


def test_facts_seen_once_are_the_ones_it_gets_wrong(base):
    result = run_singleton_experiment(*base)
    assert result["common"] >= 0.7
    assert result["singleton"] <= result["common"] - 0.35
