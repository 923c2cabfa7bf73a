"""TRL's DPOTrainer and the lesson's loop agree: the same loss on the same batch."""
import pytest

from trainlab.cpu import set_threads
from trainlab.stages.checkpoints import load_checkpoint
from trainlab.stages.trl_trainers import compare_dpo_losses
from trainlab.stages.tuning_data import make_tuning_data


@pytest.fixture(scope="module", autouse=True)
def threads():
    set_threads()


def test_dpo_loss_agrees_with_trl_on_a_batch():
    policy, tok = load_checkpoint("timeline_sft")
    reference, _ = load_checkpoint("timeline_base")
    losses = compare_dpo_losses(policy, reference, tok, make_tuning_data()["dpo"][:8], beta=0.1)
    assert losses["trl"] == pytest.approx(losses["trainlab"], abs=1e-6)
    assert abs(losses["trl"] - 0.6931) > 0.01  # the two models differ: not the trivial log 2
