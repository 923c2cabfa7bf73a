"""Stage 2, the training data: coverage and quality experiments on the code corpus.

Each experiment trains tiny models that differ in one property of their data and nothing else
(same sizes, steps, seed and tokenizer), then measures the effect on held-out code:

* coverage: the share of ``asyncio`` code in the mix is varied; held-out loss on asyncio
  falls as its share rises (what little Go DSP code does to a real model, in the lesson's words);
* quality: a rising fraction of training chunks is corrupted (:func:`.code_corpus.corrupt_text`);
  loss on *clean* held-out code rises;
* preferences: :func:`module_preferences` reads how the code model splits its probability
  among module names after ``import``, to set beside how often its corpus imports each one.

The data experiments on the timeline (recency, facts seen once) are in :mod:`.timeline_experiments`.

Example:
    >>> rows = run_coverage_experiment(shares=(0.02, 0.1, 0.5))
    >>> [round(r["asyncio_loss"], 2) for r in rows]           # falls as the share rises
"""
import random
from dataclasses import replace

import torch
from tqdm.auto import tqdm

from trainlab.seed import set_seed
from trainlab.stages.code_corpus import corrupt_text
from trainlab.stages.code_model import code_splits, code_tokenizer, encode_chunks
from trainlab.stages.model import TinyConfig, build_tiny_lm
from trainlab.stages.pretrain import evaluate_loss, train_tiny_lm

# Smaller than the stage-1 model: each experiment trains several of these.
PROBE_CONFIG = TinyConfig(n_layer=2, n_head=4, n_embd=64, block_size=64, vocab_size=512)


def _train_probe_lm(tokens: torch.Tensor, steps: int, batch_size: int, seed: int, config: TinyConfig,
                    lr: float = 3e-3):
    set_seed(seed)
    model = build_tiny_lm(replace(config, vocab_size=len(code_tokenizer(config.vocab_size))))
    train_tiny_lm(model, tokens, steps=steps, batch_size=batch_size, lr=lr, seed=seed, progress=False)
    return model


def mix_streams(main: torch.Tensor, minor: torch.Tensor, share: float) -> torch.Tensor:
    """Concatenate ``main`` with ``minor`` repeated or cut so that ``minor`` is ``share`` of the result."""
    n_minor = round(share / (1 - share) * len(main))
    repeats = n_minor // len(minor) + 1
    return torch.cat([main, minor.repeat(repeats)[:n_minor]])  # (N,)


def run_coverage_experiment(shares=(0.02, 0.1, 0.5), steps: int = 100, batch_size: int = 16,
                            seed: int = 0, config: TinyConfig = PROBE_CONFIG,
                            progress: bool = True) -> list[dict]:
    """Train one model per asyncio share; return ``{"share", "asyncio_loss", "general_loss"}`` rows."""
    tokenizer = code_tokenizer(config.vocab_size)
    general_train, general_held = code_splits("general")
    async_train, async_held = code_splits("asyncio")
    general = encode_chunks(general_train, tokenizer)  # (N,)
    minor = encode_chunks(async_train, tokenizer)  # (M,)
    general_val = encode_chunks(general_held, tokenizer)
    async_val = encode_chunks(async_held, tokenizer)
    rows = []
    for share in tqdm(shares, desc="coverage runs", disable=not progress):
        model = _train_probe_lm(mix_streams(general, minor, share), steps, batch_size, seed, config)
        rows.append({"share": share,
                     "asyncio_loss": evaluate_loss(model, async_val, config.block_size),
                     "general_loss": evaluate_loss(model, general_val, config.block_size)})
    return rows


def run_quality_experiment(corrupt_fractions=(0.0, 0.5, 0.9), steps: int = 100, batch_size: int = 16,
                           seed: int = 0, config: TinyConfig = PROBE_CONFIG,
                           progress: bool = True) -> list[dict]:
    """Train one model per corrupted fraction of chunks; return ``{"corrupted", "clean_loss"}`` rows.

    The number of training chunks and steps stay fixed: corrupted chunks *replace* clean ones,
    as junk in a crawl takes the place of good data in a fixed compute budget.
    """
    tokenizer = code_tokenizer(config.vocab_size)
    train, held_out = code_splits("general")
    clean_val = encode_chunks(held_out, tokenizer)
    rows = []
    for fraction in tqdm(corrupt_fractions, desc="quality runs", disable=not progress):
        rng = random.Random(seed)
        bad = set(rng.sample(range(len(train)), round(fraction * len(train))))
        chunks = [dict(c, text=corrupt_text(c["text"], rng)) if i in bad else c for i, c in enumerate(train)]
        model = _train_probe_lm(encode_chunks(chunks, tokenizer), steps, batch_size, seed, config)
        rows.append({"corrupted": fraction, "clean_loss": evaluate_loss(model, clean_val, config.block_size)})
    return rows



@torch.no_grad()
def module_preferences(model, tokenizer, modules: list[str], prompt: str = "\nimport") -> dict:
    """Log-probability (nats) the model gives each ``" <module>\n"`` right after ``prompt``.

    Each candidate is scored as a whole (the sum over its tokens), so a module whose name takes
    several tokens is compared fairly with a one-token name.
    """
    model.eval()
    prompt_ids = tokenizer(prompt).input_ids
    scores = {}
    for module in modules:
        answer_ids = tokenizer(f" {module}\n").input_ids
        ids = torch.tensor([prompt_ids + answer_ids])  # (1, T)
        logits = model(ids, attention_mask=torch.ones_like(ids)).logits[0, len(prompt_ids) - 1:-1]  # (A, V)
        logp = torch.log_softmax(logits.float(), dim=-1)
        scores[module] = logp[torch.arange(len(answer_ids)), torch.tensor(answer_ids)].sum().item()
    return scores
