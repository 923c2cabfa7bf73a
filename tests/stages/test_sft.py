"""Stage 3: the prompt is masked out of the loss, and SFT teaches the answer format."""
import copy

import pytest
import torch

from trainlab.cpu import set_threads
from trainlab.stages.answers import grade_answers
from trainlab.stages.checkpoints import load_checkpoint
from trainlab.stages.sft import IGNORE_INDEX, collate_sft, make_sft_examples, sft_loss, train_sft
from trainlab.stages.tuning_data import make_tuning_data, split_facts


@pytest.fixture(scope="module")
def base():
    set_threads()
    return load_checkpoint("timeline_base")


def test_prompt_tokens_get_ignore_labels(base):
    _, tok = base
    record = make_tuning_data()["sft"][0]
    example = make_sft_examples([record], tok)[0]
    n_prompt = len(tok(record["prompt"]).input_ids)
    assert example["labels"][:n_prompt] == [IGNORE_INDEX] * n_prompt
    assert example["labels"][n_prompt:] == example["input_ids"][n_prompt:]
    assert example["labels"][-1] == tok.eos_token_id


def test_padding_is_ignored_and_loss_matches_transformers(base):
    model, tok = base
    batch = collate_sft(make_sft_examples(make_tuning_data()["sft"][:4], tok), tok.pad_token_id)
    assert ((batch["attention_mask"] == 0) <= (batch["labels"] == IGNORE_INDEX)).all()
    with torch.no_grad():
        ours = sft_loss(model, batch)
        reference = model(**batch).loss  # transformers shifts and ignores -100 itself
    assert ours.item() == pytest.approx(reference.item(), abs=1e-5)


def test_sft_teaches_the_answer_format_and_keeps_the_facts(base):
    model, tok = copy.deepcopy(base[0]), base[1]
    known = split_facts()["known"]
    before = grade_answers(model, tok, known)
    history = train_sft(model, tok, make_tuning_data()["sft"], progress=False)
    after = grade_answers(model, tok, known)
    assert history["loss"][-1] < history["loss"][0] / 3
    assert before["answer_format"] <= 0.2 and after["answer_format"] >= 0.8  # measured 0.0 -> 1.0
    assert after["correct"] >= 0.75  # measured 0.9
