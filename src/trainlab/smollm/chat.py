"""Generate from the real model and score text with it: the primitives the probes share.

Everything goes through the model's chat template (``chat_prompt``), since an instruction-
tuned model answers questions only when they arrive in the format it was tuned on. Two kinds
of measurement follow:

- ``generate_batch`` / ``generate_answers`` / ``generate_answer``: greedy decoding, so a
  re-run gives the same text; optionally with each chosen token's probability and the
  entropy of the distribution it was chosen from (read from ``generate``'s own logits).
- ``score_batch`` / ``score_continuations`` / ``score_tokens``: log-probabilities (nats) the
  model assigns to given tokens; the last also gives the entropy of each next-token
  distribution.

Both run many prompts at once, because one matrix product over a batch costs little more
than over one row while decoding (the weights are read once for all rows). Prompts are
grouped by length so that padding adds at most a quarter to the rows computed, and padded
on the left with an attention mask, so each prompt gets exactly the positions it would get
alone. Scoring also reuses the key/value cache of what every chat prompt begins with (the
template's system message, 24 tokens), and asks the loader for bfloat16 products on its
large batches (:func:`trainlab.smollm.loader.bfloat16_batches`).

Log-probabilities read from ``model(...).logits`` agree with ``generate(output_logits=True)``
(measured when this project started), so scoring text after generating it is sound.

Example:
    >>> lm = load_model()                                   # doctest: +SKIP
    >>> generate_answer(lm, "What year is it?")             # doctest: +SKIP
    'The year is 2023.'
"""
from __future__ import annotations

import copy
import weakref

import torch

from trainlab.smollm.loader import RealModel, bfloat16_batches, float32_matmuls

MAX_BATCH = 16  # prompts per batch
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


def _length_groups(lengths: list[int], max_batch: int = MAX_BATCH) -> list[list[int]]:
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


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def _left_padded(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention mask) with every row ending in the last column."""
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row):] = torch.tensor(row)
        mask[i, width - len(row):] = 1
    return ids, mask


def generate_batch(lm: RealModel, prompts: list[str], max_new_tokens: int = 48,
                   scores: bool = False) -> list[dict]:
    """Greedy-decode each raw prompt string; one dict per prompt, in order.

    Each has ``prompt_ids`` and ``answer_ids`` (without the end-of-turn token); with
    ``scores``, also ``tokens`` (text of each answer token), ``logprob``, ``prob`` and
    ``entropy`` (nats) of each answer token, from the logits the decoding itself computed.
    """
    encoded = [encode_text(lm.tokenizer, p) for p in prompts]
    results: list[dict] = [{} for _ in prompts]
    for group in _length_groups([len(e) for e in encoded]):
        answers = _generate_group(lm, [encoded[i] for i in group], max_new_tokens, scores)
        for i, answer in zip(group, answers, strict=True):
            results[i] = {"prompt_ids": encoded[i], **answer}
    return results


@torch.inference_mode()
def _generate_group(lm: RealModel, encoded: list[list[int]], max_new_tokens: int,
                    scores: bool) -> list[dict]:
    tokenizer = lm.tokenizer
    ids, mask = _left_padded(encoded, _pad_id(tokenizer))
    out = lm.model.generate(
        input_ids=ids,
        attention_mask=mask,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=_pad_id(tokenizer),
        return_dict_in_generate=True,
        output_logits=scores,
    )
    answers = []
    for row, sequence in enumerate(out.sequences[:, ids.shape[1]:].tolist()):
        eos = tokenizer.eos_token_id
        answer_ids = sequence[: sequence.index(eos)] if eos in sequence else sequence
        answer = {"answer_ids": answer_ids}
        if scores:
            logp = torch.log_softmax(
                torch.stack([step[row] for step in out.logits[: len(answer_ids)]]).float(), -1)
            chosen = logp[torch.arange(len(answer_ids)), torch.tensor(answer_ids, dtype=torch.long)]
            answer.update({
                "tokens": [tokenizer.decode([t]) for t in answer_ids],
                "logprob": chosen.tolist(),
                "prob": chosen.exp().tolist(),
                "entropy": (-(logp.exp() * logp).sum(-1)).tolist(),
            })
        answers.append(answer)
    return answers


def generate_ids(lm: RealModel, prompt: str, max_new_tokens: int = 48) -> tuple[list, list]:
    """Greedy-decode from a raw ``prompt`` string; return (prompt ids, answer ids)."""
    result = generate_batch(lm, [prompt], max_new_tokens)[0]
    return result["prompt_ids"], result["answer_ids"]


def generate_answers(lm: RealModel, questions: list[str], max_new_tokens: int = 48,
                     system: str | None = None) -> list[str]:
    """Ask each question in the chat template; return the greedy answers as text, in order."""
    prompts = [chat_prompt(lm.tokenizer, q, system) for q in questions]
    return [lm.tokenizer.decode(r["answer_ids"], skip_special_tokens=True).strip()
            for r in generate_batch(lm, prompts, max_new_tokens)]


def generate_answer(
    lm: RealModel, question: str, max_new_tokens: int = 48, system: str | None = None
) -> str:
    """Ask ``question`` in the chat template and return the greedy answer as text."""
    return generate_answers(lm, [question], max_new_tokens, system)[0]


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



# Per model: the chat template's opening tokens and their key/value cache.
_PREFIXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _template_prefix(lm) -> tuple[list[int], object]:
    """Token ids every chat prompt starts with (system message, start of the user turn) and
    their key/value cache; ``([], None)`` for a tokenizer without a chat template."""
    if lm.model in _PREFIXES:
        return _PREFIXES[lm.model]
    ids, cache = [], None
    if getattr(lm.tokenizer, "chat_template", None):
        marked = chat_prompt(lm.tokenizer, "\x00")
        ids = encode_text(lm.tokenizer, marked[: marked.index("\x00")])
        with float32_matmuls():  # computed once, so computed exactly
            cache = lm.model(input_ids=torch.tensor([ids]), use_cache=True, logits_to_keep=1).cache
    _PREFIXES[lm.model] = (ids, cache)
    return ids, cache


@torch.inference_mode()
def score_batch(lm: RealModel, prompts: list[str], continuations: list[list[str]],
                progress: bool = False) -> list[list[dict]]:
    """Log-likelihood of each continuation of each raw prompt: one list of dicts per prompt.

    Each dict has ``sum`` (total log-probability, nats), ``mean`` (per token) and
    ``n_tokens``. Every prompt is tokenised on its own, so each of its choices is scored after
    exactly the same prompt tokens. Prompts are read in batches (once each); each prompt's
    key/value cache is then shared by its continuations, which run as a batch of their own.
    """
    prompt_ids = [encode_text(lm.tokenizer, p) for p in prompts]
    choice_ids = [[encode_text(lm.tokenizer, c) for c in choices] for choices in continuations]
    if not all(ids for choices in choice_ids for ids in choices):
        raise ValueError("every continuation needs at least one token")
    with bfloat16_batches():
        prefix, prefix_cache = _template_prefix(lm)
        if not all(len(p) > len(prefix) and p[: len(prefix)] == prefix for p in prompt_ids):
            prefix, prefix_cache = [], None
        results: list[list[dict]] = [[] for _ in prompts]
        groups = _length_groups([len(p) for p in prompt_ids])
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(prompts), desc="scoring")
        for group in groups:
            scored = _score_group(lm, len(prefix), prefix_cache, [prompt_ids[i] for i in group],
                                  [choice_ids[i] for i in group])
            for i, result in zip(group, scored, strict=True):
                results[i] = result
            if bar is not None:
                bar.update(len(group))
        if bar is not None:
            bar.close()
    return results


def _score_group(lm, n_prefix: int, prefix_cache, prompt_ids: list[list[int]],
                 choice_ids: list[list[list[int]]]) -> list[list[dict]]:
    """Score one batch of prompts of similar length, all starting with the same prefix.

    Layout: ``[prefix | left padding | rest of the prompt]``, then each continuation after
    its prompt. The attention mask hides the padding; positions count real tokens only.
    """
    pad = _pad_id(lm.tokenizer)
    ids, mask = _left_padded([p[n_prefix:] for p in prompt_ids], pad)
    mask = torch.cat([torch.ones((len(prompt_ids), n_prefix), dtype=torch.long), mask], dim=1)
    cache = None
    if prefix_cache is not None:
        cache = copy.deepcopy(prefix_cache)
        cache.batch_repeat_interleave(len(prompt_ids))
    out = lm.model(input_ids=ids, attention_mask=mask, position_ids=_positions(mask)[:, n_prefix:],
                   cache=cache, use_cache=True, logits_to_keep=1)
    first = torch.log_softmax(out.logits[:, -1].float(), -1)  # (prompts, vocab): first tokens

    # The continuations' later tokens: one row per continuation of two or more tokens.
    pairs = [(i, c) for i, choices in enumerate(choice_ids) for c in choices]
    later = {}
    multi = [k for k, (_, c) in enumerate(pairs) if len(c) > 1]
    for sub in _length_groups([len(pairs[k][1]) for k in multi], max_batch=4 * MAX_BATCH):
        rows = [multi[j] for j in sub]
        owners = torch.tensor([pairs[k][0] for k in rows])
        cache = copy.deepcopy(out.cache)
        cache.batch_select_indices(owners)
        ids2, mask2 = _right_padded([pairs[k][1][:-1] for k in rows], pad)
        mask2 = torch.cat([mask[owners], mask2], dim=1)
        logits = lm.model(input_ids=ids2, attention_mask=mask2,
                          position_ids=_positions(mask2)[:, mask.shape[1]:], cache=cache).logits
        logp = torch.log_softmax(logits.float(), -1)
        for row, k in enumerate(rows):
            c = pairs[k][1]
            later[k] = logp[row, torch.arange(len(c) - 1), torch.tensor(c[1:])].sum().item()

    results, k = [], 0
    for i, choices in enumerate(choice_ids):
        scored = []
        for c in choices:
            total = first[i, c[0]].item() + later.get(k, 0.0)
            scored.append({"sum": total, "mean": total / len(c), "n_tokens": len(c)})
            k += 1
        results.append(scored)
    return results


def _right_padded(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def _positions(mask: torch.Tensor) -> torch.Tensor:
    """Position of each token among the real (unmasked) ones of its row."""
    return (mask.cumsum(1) - 1).clamp(min=0)


def score_continuations(lm: RealModel, prompt: str, continuations: list[str]) -> list[dict]:
    """Log-likelihood of each continuation of a raw ``prompt`` (see ``score_batch``)."""
    return score_batch(lm, [prompt], [continuations])[0]
