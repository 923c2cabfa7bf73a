"""Stage 4: the DPO loss, the answer mask and the frozen reference; abstention rises, facts hold."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F

from trainlab.cpu import set_threads
from trainlab.stages.answers import grade_answers
from trainlab.stages.checkpoints import load_checkpoint
from trainlab.stages.dpo import collate_preferences, dpo_loss, make_logp_batch, token_logps, train_dpo
from trainlab.stages.tuning_data import make_tuning_data, split_facts


@pytest.fixture(scope="module")
def sft_model():
    set_threads()
    return load_checkpoint("timeline_sft")


def test_dpo_loss_is_log2_when_policy_equals_reference():
    logps = torch.tensor([-3.0, -7.5])
    loss, chosen, rejected = dpo_loss(logps, logps - 1, logps, logps - 1)
    assert loss.item() == pytest.approx(math.log(2))
    assert torch.equal(chosen, torch.zeros(2)) and torch.equal(rejected, torch.zeros(2))


def test_dpo_loss_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    pc, pr, rc, rr = (-10 * torch.rand(5, generator=g) for _ in range(4))
    beta = 0.3
    expected = -torch.log(torch.sigmoid(beta * ((pc - rc) - (pr - rr)))).mean()
    assert dpo_loss(pc, pr, rc, rr, beta)[0].item() == pytest.approx(expected.item(), abs=1e-6)


def test_batch_is_chosen_rows_then_rejected_rows_with_answer_mask(sft_model):
    model, tok = sft_model
    records = make_tuning_data()["dpo"][:3]
    batch = collate_preferences(records, tok)
    assert batch["input_ids"].shape[0] == 6
    for i, r in enumerate(records):
        for row, key in ((i, "chosen"), (i + 3, "rejected")):
            answer = batch["input_ids"][row][batch["completion_mask"][row] == 1]
            assert tok.decode(answer) == r[key] + tok.eos_token
    logps, mask = token_logps(model, batch)
    assert (logps[mask == 0] == 0).all() and (logps[mask == 1] < 0).all()


def test_summed_logps_agree_with_a_direct_computation(sft_model):
    model, tok = sft_model
    record = make_tuning_data()["dpo"][0]
    logps = make_logp_batch(model, model, tok, [record])
    prompt = tok(record["prompt"]).input_ids
    full = torch.tensor([prompt + tok(record["chosen"]).input_ids + [tok.eos_token_id]])
    with torch.no_grad():
        logprobs = F.log_softmax(model(full).logits[0, :-1], dim=-1)  # (T-1, V)
    direct = sum(logprobs[t - 1, full[0, t]].item() for t in range(len(prompt), full.size(1)))
    assert logps["policy_chosen"].item() == pytest.approx(direct, abs=1e-4)
    assert torch.equal(logps["policy_chosen"], logps["ref_chosen"])


def test_dpo_teaches_abstention_for_the_names_in_its_pairs_only(sft_model):
    model, tok = copy.deepcopy(sft_model[0]), sft_model[1]
    split = split_facts()
    before_new = grade_answers(model, tok, split["abstain_test"])
    reference = copy.deepcopy(model)
    history = train_dpo(model, tok, make_tuning_data()["dpo"], reference=reference, progress=False)
    after = {part: grade_answers(model, tok, split[part]) for part in ("tuned", "abstain_test", "rewrite", "singleton")}
    # Measured: held-out sprocket/wren questions 0/6 -> 6/6 clean abstentions; tuned facts 10/10
    # right; quiver 2 (never in tuning) 8/8 old calls and no abstention; facts read once 0/12
    # right and no abstention: a rule about names, not a sense of ignorance.
    assert before_new["abstain"] <= 0.2 and after["abstain_test"]["abstain"] >= 0.8
    assert after["tuned"]["correct"] >= 0.8 and after["tuned"]["garbled"] <= 0.1
    assert after["rewrite"]["abstain"] <= 0.2 and after["rewrite"]["old_api"] >= 0.6
    assert after["singleton"]["abstain"] <= 0.2 and after["singleton"]["correct"] <= 0.2
    assert history["reward_accuracy"][-1] >= 0.75 and history["reward_margin"][-1] > 0.5
    # The reference stayed frozen while the policy moved.
    assert all(torch.equal(a, b) for a, b in zip(reference.parameters(), sft_model[0].parameters(), strict=True))
    assert not any(p.requires_grad for p in reference.parameters())
    assert not all(torch.equal(a, b) for a, b in zip(model.parameters(), reference.parameters(), strict=True))


def test_a_loss_function_replaces_the_dpo_term(sft_model):
    model, tok = copy.deepcopy(sft_model[0]), sft_model[1]
    records = make_tuning_data()["dpo"]

    def flipped(pc, pr, rc, rr, beta):
        return -F.logsigmoid(beta * ((pr - rr) - (pc - rc))).mean()

    history = train_dpo(model, tok, records, loss_fn=flipped, progress=False)
    # Measured: the margin ends at -0.46 with the sign flipped (+3.9 with the real loss).
    assert history["reward_margin"][-1] < 0


def test_plain_dpo_reads_well_on_margins_but_damages_the_answers(sft_model):
    model, tok = copy.deepcopy(sft_model[0]), sft_model[1]
    tuned = split_facts()["tuned"]
    before = grade_answers(model, tok, tuned)
    history = train_dpo(model, tok, make_tuning_data()["dpo"], sft_weight=0.0, progress=False)
    after = grade_answers(model, tok, tuned)
    # Measured: reward accuracy 1.0 on the last batch, yet tuned facts 1.0 -> 0.0 right (0.4 garbled).
    assert history["reward_accuracy"][-1] >= 0.75
    assert after["correct"] <= before["correct"] - 0.2
