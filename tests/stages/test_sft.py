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
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss  # transformers shifts and ignores -100 itself
    assert ours.item() == pytest.approx(reference.item(), abs=1e-5)


def test_sft_teaches_the_format_not_the_facts(base):
    model, tok = copy.deepcopy(base[0]), base[1]
    split = split_facts()
    before = grade_answers(model, tok, split["held_out"])
    history = train_sft(model, tok, make_tuning_data()["sft"], progress=False)
    held_out, tuned = grade_answers(model, tok, split["held_out"]), grade_answers(model, tok, split["tuned"])
    assert history["loss"][-1] < history["loss"][0] / 3
    assert history["answer_loss"] == history["loss"]  # no mask_fn: the reference labels
    # Measured on the held-out facts: format 0.0 -> 1.0, right 0.1 -> 0.1; tuned facts right 1.0.
    assert before["answer_format"] <= 0.2 and held_out["answer_format"] >= 0.8
    assert held_out["correct"] <= 0.3 and tuned["correct"] >= 0.8


def _mask_by_pad_id(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
    labels[(positions < torch.tensor(prompt_lengths).unsqueeze(1)) | (input_ids == 0)] = IGNORE_INDEX
    return labels


def test_a_mask_function_makes_the_labels_and_a_wrong_one_shows(base):
    tok = base[1]
    records = make_tuning_data()["sft"]
    assert tok.pad_token_id == tok.eos_token_id == 0  # why masking by pad id also hides the end of text

    def reference_mask(input_ids, attention_mask, prompt_lengths):
        labels = input_ids.clone()
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        labels[(positions < torch.tensor(prompt_lengths).unsqueeze(1)) | (attention_mask == 0)] = IGNORE_INDEX
        return labels

    same = train_sft(copy.deepcopy(base[0]), tok, records, mask_fn=reference_mask, progress=False)
    lab = train_sft(copy.deepcopy(base[0]), tok, records, progress=False)
    assert same["loss"] == pytest.approx(lab["loss"], abs=1e-5)
    model = copy.deepcopy(base[0])
    wrong = train_sft(model, tok, records, mask_fn=_mask_by_pad_id, progress=False)
    # Measured: answer-token loss 0.42 with the right labels, 1.28 when end-of-text is masked,
    # and the answers run on past the call instead of stopping.
    assert wrong["answer_loss"][-1] > lab["answer_loss"][-1] + 0.4
    assert grade_answers(model, tok, split_facts()["tuned"])["answer_format"] <= 0.2
