"""TRL's trainers and the lesson's loops agree: the same loss on a batch, the same outcome."""
import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch starts its threads)

import pytest

from trainlab.checkpoints import load_checkpoint
from trainlab.seed import set_threads
from trainlab.trl_paths import compare_dpo_losses, train_dpo_trl, train_sft_trl
from trainlab.worldlm import grade_answers, make_tuning_data, split_facts


@pytest.fixture(scope="module", autouse=True)
def threads():
    set_threads()


def test_dpo_loss_agrees_with_trl_on_a_batch():
    policy, tok = load_checkpoint("world_sft")
    reference, _ = load_checkpoint("world_base")
    losses = compare_dpo_losses(policy, reference, tok, make_tuning_data()["dpo"][:8], beta=0.1)
    assert losses["trl"] == pytest.approx(losses["trainlab"], abs=1e-6)
    assert abs(losses["trl"] - 0.6931) > 0.01  # the two models differ: not the trivial log 2


def test_trl_sft_then_dpo_gives_the_same_qualitative_outcome():
    model, tok = load_checkpoint("world_base")
    split = split_facts()
    data = make_tuning_data()
    train_sft_trl(model, tok, data["sft"])
    after_sft = grade_answers(model, tok, split["known"])
    before = grade_answers(model, tok, split["unknown_test"])
    log = train_dpo_trl(model, tok, data["dpo"])
    after_known = grade_answers(model, tok, split["known"])
    after_unknown = grade_answers(model, tok, split["unknown_test"])
    # Measured: known 0.9 after SFT, 0.9 after DPO; abstention 0.0 -> 1.0.
    assert after_sft["correct"] >= 0.75 and after_sft["answer_format"] >= 0.8
    assert before["abstain"] <= 0.2 and after_unknown["abstain"] >= 0.7
    assert after_known["correct"] >= 0.7
    margins = [row["rewards/margins"] for row in log if "rewards/margins" in row]
    assert margins[-1] > 0.5
