"""The tiny model: nanoGPT sizes map onto GPT-2, the tokenizer round-trips, checkpoints reload."""
import torch

from trainlab.stages.model import (
    TinyConfig,
    build_tiny_lm,
    config_of,
    load_tiny_lm,
    parameter_count,
    save_tiny_lm,
    train_tokenizer,
)

TEXTS = ["def add(a, b):\n    return a + b\n", "class Point:\n    x: int = 0\n"] * 30


def test_tokenizer_round_trips_any_text_and_has_one_special_token():
    tok = train_tokenizer(TEXTS, vocab_size=300)
    text = "def ünïcode(x):\n\treturn x  # ok"
    assert tok.decode(tok(text).input_ids) == text
    assert tok.eos_token == tok.pad_token == "<|eos|>"
    assert len(tok) <= 300


def test_config_uses_nanogpt_names():
    cfg = TinyConfig(n_layer=2, n_head=2, n_embd=32, block_size=16, vocab_size=100)
    model = build_tiny_lm(cfg)
    assert config_of(model) == cfg
    # Embeddings (token + position) plus per layer 12*n_embd^2 + 13*n_embd, plus the final norm.
    expected = 100 * 32 + 16 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 2 * 32
    assert parameter_count(model) == expected


def test_save_and_load_keep_the_model_up_to_float16_rounding(tmp_path):
    tok = train_tokenizer(TEXTS, vocab_size=300)
    model = build_tiny_lm(TinyConfig(n_embd=32, vocab_size=len(tok)), eos_token_id=tok.eos_token_id).eval()
    save_tiny_lm(model, tok, tmp_path)
    loaded, tok2 = load_tiny_lm(tmp_path)
    x = torch.tensor([tok("def add(a, b):").input_ids])  # (1, T)
    assert torch.allclose(model(x).logits, loaded(x).logits, atol=1e-2)
    assert tok2("def add").input_ids == tok("def add").input_ids
    assert loaded.lm_head.weight.data_ptr() == loaded.transformer.wte.weight.data_ptr()
    assert (tmp_path / "model.safetensors").stat().st_size < 2 * parameter_count(model) + 10_000
