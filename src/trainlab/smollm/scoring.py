"""Scoring given text with the real model: log-probabilities (nats) of continuations and tokens.

- ``score_batch`` / ``score_continuations``: the log-likelihood of each given continuation
  of each prompt, as the probes compare answers (cloze scoring);
- ``score_tokens``: per-token log-probability and entropy of an answer after a prompt.

Prompts are read in length-grouped batches, and each prompt's continuations are scored side
by side in the same forward pass: :func:`score_in_one_pass` when only the scores are wanted,
:func:`read_and_score` when the prompts' key/value cache is kept for decoding after them.
Batches ask for bfloat16 products (:func:`.packed.bfloat16_batches`).
Log-probabilities read from ``model(...).logits`` agree with those of greedy decoding
(a test checks it), so scoring text after generating it is sound.
"""
from __future__ import annotations

import torch

from trainlab.memory import release_freed_memory
from trainlab.smollm import lean
from trainlab.smollm.kv_cache import PassCache
from trainlab.smollm.loader import RealModel
from trainlab.smollm.packed import bfloat16_batches, product_threads
from trainlab.smollm.prompts import encode_text, length_groups, pad_id, prompt_batch, shared_prefix


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


def choices_width(choice_ids) -> int:
    """Tokens one scoring row needs: a prompt's last token, then its continuations but their last tokens."""
    return 1 + max(sum(len(c) - 1 for c in choices) for choices in choice_ids)


def scoring_rows(lm, encoded, mask, choice_ids) -> dict:
    """The tokens that score each prompt's continuations after its last token.

    One row per prompt: its last token once, then every continuation but its last token,
    side by side. A 4D attention mask lets each token see the prompt (the ``mask`` columns
    before it, and its last token) and the earlier tokens of its own continuation only, and
    positions restart after the prompt for every continuation. The last token's logits give
    every continuation's first token, so a one-token continuation costs no row at all.
    Returns ``ids``, ``positions``, ``allowed`` (rows, 1, width, cached + width) and ``wanted``:
    (row, column) index tensors of the tokens whose logits score a continuation.
    """
    segments = [[c[:-1] for c in choices] for choices in choice_ids]
    width = choices_width(choice_ids)
    n_rows, n_cached = len(segments), mask.shape[1]
    ids = torch.full((n_rows, width), pad_id(lm.tokenizer))
    positions = torch.zeros((n_rows, width), dtype=torch.long)
    allowed = torch.zeros((n_rows, 1, width, n_cached + width), dtype=torch.bool)
    starts = mask.sum(1)  # the last prompt token's position: the number of tokens before it
    wanted = []
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
        wanted += [(i, col) for col in range(at)]
    rows, cols = torch.tensor(wanted).T
    return {"ids": ids, "positions": positions, "allowed": allowed, "wanted": (rows, cols)}


def _choice_scores(logits: torch.Tensor, choice_ids) -> list[list[dict]]:
    """Each continuation's log-likelihood from the logits of ``scoring_rows``'s wanted tokens."""
    norm = logits.float().logsumexp(-1)  # log-probabilities without a second vocabulary-sized copy
    results, k = [], 0
    for choices in choice_ids:
        scored, at = [], 1
        for c in choices:
            rows = k + torch.tensor([0] + list(range(at, at + len(c) - 1)))  # where each token is predicted
            total = (logits[rows, torch.tensor(c)].float() - norm[rows]).sum().item()
            scored.append({"sum": total, "mean": total / len(c), "n_tokens": len(c)})
            at += len(c) - 1
        results.append(scored)
        k += at
    return results


def read_and_score(lm, encoded, choice_ids, room: int = 0):
    """Read the prompts and score their continuations in one forward pass.

    The rows of :func:`.prompts.prompt_batch`, then those of :func:`scoring_rows` after them
    in the same pass (each pass has a fixed cost, about 0.15 s on 2 cores, whatever its size).
    Returns (cache, mask, scores); the cache keeps just the prompts, with ``room`` more columns
    free, for decoding after them.
    """
    width = choices_width(choice_ids)
    batch = prompt_batch(lm, encoded, room + width)
    rows = scoring_rows(lm, encoded, batch["mask"], choice_ids)
    new, total = batch["new"].shape[1], batch["mask"].shape[1] + width
    allowed = torch.zeros((len(encoded), 1, new + width, total), dtype=torch.bool)
    allowed[:, :, :new, : batch["mask"].shape[1]] = batch["allowed"]
    allowed[:, :, new:] = rows["allowed"]
    wanted = (rows["wanted"][0], rows["wanted"][1] + new)
    with product_threads(getattr(lm, "batch_threads", 0)):
        logits = lean.forward(lm.model, torch.cat([batch["new"], rows["ids"]], 1),
                              torch.cat([batch["positions"], rows["positions"]], 1), allowed, batch["cache"],
                              keep=new, logits_at=wanted)
    return batch["cache"], batch["mask"], _choice_scores(logits, choice_ids)


def score_in_one_pass(lm, encoded, choice_ids) -> list[list[dict]]:
    """Score each prompt's continuations in one pass that keeps no cache (scoring alone).

    Each row is one prompt, left-padded: the rest of the prompt after the chat template's
    opening (whose keys and values are shared, see :class:`.kv_cache.PassCache`), its last
    token, then every continuation but its last token, each seeing the prompt and its own
    earlier tokens. Rows are grouped by this whole length, so a batch pads less than when the
    continuations start at a common column (8208 tokens computed instead of 9408 for the
    cutoff probe's 176 facts), and no layer's keys are kept beyond the pass.
    """
    prefix, prefix_cache = shared_prefix(lm, encoded)
    n_prefix = len(prefix)
    rows = [e[n_prefix:] + [t for c in choices for t in c[:-1]] for e, choices in zip(encoded, choice_ids, strict=True)]
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad_id(lm.tokenizer))
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    allowed = torch.zeros((len(rows), 1, width, n_prefix + width), dtype=torch.bool)
    allowed[..., :n_prefix] = True  # everything sees the template's opening
    cols = []  # per row: the last prompt token's column, then every continuation token's
    for i, (e, choices, row) in enumerate(zip(encoded, choice_ids, rows, strict=True)):
        pad, prompt = width - len(row), len(e) - n_prefix  # prompt: the rest, last token included
        ids[i, pad:] = torch.tensor(row)
        at = pad + prompt  # first continuation token
        positions[i, pad:at] = n_prefix + torch.arange(prompt)
        diagonal = torch.arange(pad)
        allowed[i, 0, diagonal, n_prefix + diagonal] = True  # padding sees itself
        allowed[i, 0, pad:at, n_prefix + pad: n_prefix + at] = torch.ones(prompt, prompt, dtype=torch.bool).tril()
        for c in choices:
            span = slice(at, at + len(c) - 1)
            positions[i, span] = n_prefix + prompt + torch.arange(len(c) - 1)
            allowed[i, 0, span, n_prefix + pad: n_prefix + pad + prompt] = True
            allowed[i, 0, span, n_prefix + at: n_prefix + at + len(c) - 1] = torch.ones(
                len(c) - 1, len(c) - 1, dtype=torch.bool).tril()
            at += len(c) - 1
        cols.append(range(pad + prompt - 1, width))
    wanted = (torch.tensor([i for i, c in enumerate(cols) for _ in c]), torch.tensor([j for c in cols for j in c]))
    with product_threads(getattr(lm, "batch_threads", 0)):
        logits = lean.forward(lm.model, ids, positions, allowed, PassCache(prefix_cache, len(rows)), logits_at=wanted)
    return _choice_scores(logits, choice_ids)


@torch.inference_mode()
def score_batch(lm: RealModel, prompts: list[str], continuations: list[list[str]],
                progress: bool = False) -> list[list[dict]]:
    """Log-likelihood of each continuation of each raw prompt: one list of dicts per prompt.

    Each dict has ``sum`` (total log-probability, nats), ``mean`` (per token) and
    ``n_tokens``. Every prompt is tokenised on its own, so each of its choices is scored after
    exactly the same prompt tokens. Prompts are read in batches, once each, and their
    continuations are scored in the same pass (:func:`score_in_one_pass`).
    """
    encoded = [encode_text(lm.tokenizer, p) for p in prompts]
    choice_ids = encode_choices(lm, continuations)
    results: list[list[dict]] = [[] for _ in prompts]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(prompts), desc="scoring")
    with bfloat16_batches():
        lengths = [len(e) + choices_width([c]) for e, c in zip(encoded, choice_ids, strict=True)]
        for group in length_groups(lengths):
            scored = score_in_one_pass(lm, [encoded[i] for i in group], [choice_ids[i] for i in group])
            for i, result in zip(group, scored, strict=True):
                results[i] = result
            if bar is not None:
                bar.update(len(group))
    if bar is not None:
        bar.close()
    release_freed_memory()  # the batches' logits and caches, freed but kept by the allocator
    return results


def score_continuations(lm: RealModel, prompt: str, continuations: list[str]) -> list[dict]:
    """Log-likelihood of each continuation of a raw ``prompt`` (see ``score_batch``)."""
    return score_batch(lm, [prompt], [continuations])[0]
