"""Prompts for the real model: the chat template, tokens, and batches of prompts read at once.

Everything goes through the model's chat template (:func:`chat_prompt`), since an
instruction-tuned model answers questions only when they arrive in the format it was tuned
on. Generation (:mod:`.generation`) and scoring (:mod:`.scoring`) both run many prompts at
once, because one matrix product over a batch costs little more than over one row while
decoding (the weights are read once for all rows). Prompts are grouped by length so that
padding adds at most a quarter to the rows computed, and padded on the left with an
attention mask, so each prompt gets exactly the positions it would get alone. Reading them
reuses the key/value cache of what every chat prompt begins with (the template's system
message, 24 tokens), computed once per model.
"""
from __future__ import annotations

import weakref

import torch

from trainlab.smollm import lean
from trainlab.smollm.kv_cache import KVCache
from trainlab.smollm.packed import float32_matmuls, product_threads

# Prompts per batch. Each forward pass has a fixed cost, so fewer, larger passes are faster:
# the probes took 21-25 s with 16 (2 cores), 24-25 s with 8, at the same peak memory
# (1315-1331 MB) now that logits are computed only where they are needed.
MAX_BATCH = 16
MAX_PADDING = 0.25  # padding allowed, as a share of the real tokens of a batch


def chat_prompt(tokenizer, question: str, system: str | None = None) -> str:
    """Wrap ``question`` in the model's chat template, ending where the answer begins.

    With no ``system`` message the template adds the model's own default one.
    """
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": question})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def encode_text(tokenizer, text: str) -> list[int]:
    """Token ids of ``text`` with no special tokens added."""
    # The chat template already holds every special token the model expects.
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def length_groups(lengths: list[int], max_batch: int = MAX_BATCH) -> list[list[int]]:
    """Indices grouped into batches of similar length (at most ``MAX_PADDING`` padding)."""
    groups, current = [], []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        trial = current + [i]
        padded = len(trial) * lengths[i]  # sorted: the last one is the longest
        if current and (len(trial) > max_batch
                        or padded > (1 + MAX_PADDING) * sum(lengths[j] for j in trial)):
            groups.append(current)
            trial = [i]
        current = trial
    return groups + [current] if current else groups


def pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def left_padded(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention mask) with every row ending in the last column."""
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row):] = torch.tensor(row)
        mask[i, width - len(row):] = 1
    return ids, mask


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Position of each token among the real (unmasked) ones of its row."""
    return (mask.cumsum(1) - 1).clamp(min=0)


# Per model: the chat template's opening tokens and their key/value cache.
_PREFIXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def template_prefix(lm) -> tuple[list[int], KVCache | None]:
    """Token ids every chat prompt starts with (system message, start of the user turn) and
    their key/value cache; ``([], None)`` for a tokenizer without a chat template."""
    if lm.model in _PREFIXES:
        return _PREFIXES[lm.model]
    ids, cache = [], None
    if getattr(lm.tokenizer, "chat_template", None):
        marked = chat_prompt(lm.tokenizer, "\x00")
        ids = encode_text(lm.tokenizer, marked[: marked.index("\x00")])
        cache = KVCache.empty(lm.model.config, 1, len(ids))
        with float32_matmuls(), product_threads(getattr(lm, "batch_threads", 0)):  # once, so exactly
            mask = torch.ones((1, len(ids)), dtype=torch.long)
            lean.forward(lm.model, torch.tensor([ids]), positions(mask), lean.causal_allowed(mask, len(ids)), cache)
    _PREFIXES[lm.model] = (ids, cache)
    return ids, cache


def shared_prefix(lm, encoded: list[list[int]]) -> tuple[list[int], KVCache | None]:
    """:func:`template_prefix` if every prompt starts with it (and goes on after it), else ``([], None)``."""
    prefix, prefix_cache = template_prefix(lm)
    if all(len(e) > len(prefix) and e[: len(prefix)] == prefix for e in encoded):
        return prefix, prefix_cache
    return [], None


def prompt_batch(lm, encoded: list[list[int]], room: int = 0) -> dict:
    """The left-padded batch :func:`read_prompts` reads, before it is read.

    A dict: ``cache`` (holding the template opening, with room for the rest and ``room``
    more), ``mask`` and ``ids`` over the whole batch (``[template opening | padding | rest of
    the prompt]`` per row, the last token left out), and ``new``, ``positions``, ``allowed``:
    the tokens still to read, their positions and their attention mask (see :func:`.lean.forward`).
    """
    prefix, prefix_cache = shared_prefix(lm, encoded)
    ids, mask = left_padded([e[len(prefix):-1] for e in encoded], pad_id(lm.tokenizer))
    ids = torch.cat([torch.tensor([prefix] * len(encoded), dtype=torch.long).reshape(len(encoded), -1), ids], 1)
    mask = torch.cat([torch.ones((len(encoded), len(prefix)), dtype=torch.long), mask], dim=1)
    new = ids.shape[1] - len(prefix)
    if prefix_cache is not None:
        cache = prefix_cache.repeated(len(encoded), new + room)
    else:
        cache = KVCache.empty(lm.model.config, len(encoded), new + room)
    return {"cache": cache, "mask": mask, "ids": ids, "new": ids[:, len(prefix):],
            "positions": positions(mask)[:, len(prefix):], "allowed": lean.causal_allowed(mask, new)}


def read_prompts(lm, encoded: list[list[int]], room: int = 0):
    """Read all but the last token of each prompt, as one left-padded batch.

    Returns the key/value cache (:class:`.kv_cache.KVCache`, with ``room`` more columns free), the
    attention mask over it and the token ids it holds (``[template opening | padding | rest of
    the prompt]`` per row). Generation and scoring both go on from each prompt's last token.
    """
    batch = prompt_batch(lm, encoded, room)
    if batch["new"].shape[1]:
        with product_threads(getattr(lm, "batch_threads", 0)):
            lean.forward(lm.model, batch["new"], batch["positions"], batch["allowed"], batch["cache"])
    return batch["cache"], batch["mask"], batch["ids"]
