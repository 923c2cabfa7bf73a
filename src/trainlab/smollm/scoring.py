"""Scoring given text with the real model: log-probabilities (nats) of continuations and tokens.

- ``score_batch`` / ``score_continuations``: the log-likelihood of each given continuation
  of each prompt, as the probes compare answers (cloze scoring);
- ``score_tokens``: per-token log-probability and entropy of an answer after a prompt.

Prompts are read in length-grouped batches (:func:`.prompts.read_prompts`); each prompt's
continuations are then scored side by side in one forward pass from its key/value cache.
Large batches ask for bfloat16 products (:func:`.packed.bfloat16_batches`).
Log-probabilities read from ``model(...).logits`` agree with those of greedy decoding
(a test checks it), so scoring text after generating it is sound.
"""
from __future__ import annotations

import copy

import torch

from trainlab.cpu import threads
from trainlab.memory import release_freed_memory
from trainlab.smollm.loader import RealModel
from trainlab.smollm.packed import bfloat16_batches
from trainlab.smollm.prompts import encode_text, length_groups, pad_id, read_prompts


@torch.inference_mode()
def score_tokens(lm: RealModel, prompt_ids: list, answer_ids: list) -> dict:
    """Per-token log-probability and entropy (nats) of ``answer_ids`` after ``prompt_ids``.

    Returns ``{"tokens", "logprob", "prob", "entropy"}``, one entry per answer token.
    """
    ids = torch.tensor([prompt_ids + answer_ids])
    logits = lm.model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1].float()  # (A, V)
    logp = torch.log_softmax(logits, dim=-1)
    target = torch.tensor(answer_ids)
    chosen = logp[torch.arange(len(answer_ids)), target]
    entropy = -(logp.exp() * logp).sum(-1)
    return {
        "tokens": [lm.tokenizer.decode([t]) for t in answer_ids],
        "logprob": chosen.tolist(),
        "prob": chosen.exp().tolist(),
        "entropy": entropy.tolist(),
    }


def encode_choices(lm, continuations: list[list[str]]) -> list[list[list[int]]]:
    """Token ids of each continuation; every one must have at least one token."""
    choice_ids = [[encode_text(lm.tokenizer, c) for c in choices] for choices in continuations]
    if not all(ids for choices in choice_ids for ids in choices):
        raise ValueError("every continuation needs at least one token")
    return choice_ids


def score_choices(lm, encoded, cache, mask, choice_ids) -> list[list[dict]]:
    """Score each prompt's continuations after its last token, from the cache of the rest.

    One row per prompt: its last token once, then every continuation but its last token,
    side by side. A 4D attention mask lets each token see the prompt (cache and last token)
    and the earlier tokens of its own continuation only, and positions restart after the
    prompt for every continuation. The last token's logits give every continuation's first
    token, so a one-token continuation costs no row at all. One forward pass scores the
    whole batch, and the prompts' cache is neither copied nor changed.
    """
    segments = [[c[:-1] for c in choices] for choices in choice_ids]
    width = 1 + max(sum(map(len, row)) for row in segments)
    n_rows, n_cached = len(segments), mask.shape[1]
    ids = torch.full((n_rows, width), pad_id(lm.tokenizer))
    positions = torch.zeros((n_rows, width), dtype=torch.long)
    allowed = torch.zeros((n_rows, 1, width, n_cached + width), dtype=torch.bool)
    starts = mask.sum(1)  # the last prompt token's position: the number of tokens before it
    for i, row in enumerate(segments):
        allowed[i, 0, :, :n_cached] = mask[i].bool()
        allowed[i, 0, :, n_cached] = True  # everything sees the last prompt token
        ids[i, 0], positions[i, 0] = encoded[i][-1], starts[i]
        at = 1
        for segment in row:
            span = slice(at, at + len(segment))
            ids[i, span] = torch.tensor(segment, dtype=torch.long)
            positions[i, span] = starts[i] + 1 + torch.arange(len(segment))
            allowed[i, 0, span, n_cached + at: n_cached + at + len(segment)] = torch.ones(
                len(segment), len(segment), dtype=torch.bool).tril()
            at += len(segment)
        allowed[i, 0, at:, n_cached + at:] = torch.eye(width - at, dtype=torch.bool)  # padding: itself
    with threads(getattr(lm, "batch_threads", 0)):
        logits = lm.model(input_ids=ids, attention_mask=_as_model_mask(lm.model, allowed),
                          position_ids=positions, cache=_shallow_copy(cache)).logits
    results = []
    for i, choices in enumerate(choice_ids):
        # One prompt's rows in float32 at a time: a float copy of the whole batch's logits
        # (rows x width x 49152) was the largest allocation of the probes.
        row = logits[i].float()
        norm = row.logsumexp(-1)  # log-probabilities without a second vocabulary-sized copy
        scored, at = [], 1
        for c in choices:
            rows = torch.tensor([0] + list(range(at, at + len(c) - 1)))  # where each token is predicted
            total = (row[rows, torch.tensor(c)] - norm[rows]).sum().item()
            scored.append({"sum": total, "mean": total / len(c), "n_tokens": len(c)})
            at += len(c) - 1
        results.append(scored)
    return results


def _as_model_mask(model, allowed: torch.Tensor) -> torch.Tensor:
    """A boolean 4D mask as the model's attention wants it (eager attention adds it)."""
    if getattr(model.config, "_attn_implementation", "sdpa") == "eager":
        return torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo(torch.float32).min)
    return allowed


def _shallow_copy(cache):
    """A cache that can grow without changing ``cache`` (its tensors are shared, not copied)."""
    if cache is None:
        return None
    grown = copy.copy(cache)
    grown.layers = [copy.copy(layer) for layer in cache.layers]
    return grown


@torch.inference_mode()
def score_batch(lm: RealModel, prompts: list[str], continuations: list[list[str]],
                progress: bool = False) -> list[list[dict]]:
    """Log-likelihood of each continuation of each raw prompt: one list of dicts per prompt.

    Each dict has ``sum`` (total log-probability, nats), ``mean`` (per token) and
    ``n_tokens``. Every prompt is tokenised on its own, so each of its choices is scored after
    exactly the same prompt tokens. Prompts are read in batches, once each; each prompt's
    key/value cache is then shared by its continuations, which run as batches of their own.
    """
    encoded = [encode_text(lm.tokenizer, p) for p in prompts]
    choice_ids = encode_choices(lm, continuations)
    results: list[list[dict]] = [[] for _ in prompts]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(prompts), desc="scoring")
    with bfloat16_batches():
        for group in length_groups([len(e) for e in encoded]):
            cache, mask, _ = read_prompts(lm, [encoded[i] for i in group])
            scored = score_choices(lm, [encoded[i] for i in group], cache, mask, [choice_ids[i] for i in group])
            for i, result in zip(group, scored, strict=True):
                results[i] = result
            del cache
            if bar is not None:
                bar.update(len(group))
    if bar is not None:
        bar.close()
    release_freed_memory()  # the batches' logits and caches, freed but kept by the allocator
    return results


def score_continuations(lm: RealModel, prompt: str, continuations: list[str]) -> list[dict]:
    """Log-likelihood of each continuation of a raw ``prompt`` (see ``score_batch``)."""
    return score_batch(lm, [prompt], [continuations])[0]
