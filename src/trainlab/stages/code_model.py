"""The code model: stage 1 of the pipeline, pretraining a tiny LM on real Python source.

It reads the shipped excerpt of the Python standard library (:mod:`.code_corpus`, PSF
licence), trains a byte-level BPE tokenizer on it, and pretrains a GPT-2 style model with the
loop of :mod:`.pretrain`. The same tokenized corpus feeds the coverage and quality
experiments of :mod:`.code_experiments`, so every run there shares one vocabulary.

Example:
    >>> model, tokenizer, history = train_code_lm(callback=LivePlot())
    >>> print(sample(model, tokenizer, "def ", generator=make_generator(0)))
"""
from dataclasses import replace
from functools import lru_cache

import torch

from trainlab.seed import set_seed
from trainlab.stages.code_corpus import chunk_documents, load_code_corpus, split_held_out
from trainlab.stages.model import TinyConfig, build_tiny_lm, train_tokenizer
from trainlab.stages.pretrain import encode_documents, train_tiny_lm

CODE_CONFIG = TinyConfig(n_layer=2, n_head=4, n_embd=96, block_size=64, vocab_size=1024)


@lru_cache(maxsize=2)
def code_tokenizer(vocab_size: int = 1024):
    """A BPE tokenizer trained on the whole excerpt (both domains), cached per size."""
    return train_tokenizer([r["text"] for r in load_code_corpus()], vocab_size=vocab_size)


def code_splits(domain: str | None = None) -> tuple[list[dict], list[dict]]:
    """Train and held-out chunks of the excerpt (every tenth chunk held out)."""
    return split_held_out(chunk_documents(load_code_corpus(domain)))


def encode_chunks(chunks: list[dict], tokenizer) -> torch.Tensor:
    """One token stream of the chunks' texts, each ended by ``<|eos|>``."""
    return encode_documents([c["text"] for c in chunks], tokenizer)  # (N,)


def train_code_lm(steps: int = 240, batch_size: int = 16, lr: float = 3e-3,
                  config: TinyConfig = CODE_CONFIG, seed: int = 0, callback=None,
                  progress: bool = True, eval_every: int = 25):
    """Pretrain a tiny LM on the ``general`` domain of the excerpt.

    Returns ``(model, tokenizer, history)``; ``history["val_loss"]`` is the held-out loss.
    """
    set_seed(seed)
    tokenizer = code_tokenizer(config.vocab_size)
    train, held_out = code_splits("general")
    model = build_tiny_lm(replace(config, vocab_size=len(tokenizer)), eos_token_id=tokenizer.eos_token_id)
    history = train_tiny_lm(model, encode_chunks(train, tokenizer), steps=steps, batch_size=batch_size,
                            lr=lr, seed=seed, val_tokens=encode_chunks(held_out, tokenizer),
                            eval_every=eval_every, callback=callback, progress=progress)
    return model, tokenizer, history
