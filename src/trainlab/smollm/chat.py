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


def generate_batch(lm: RealModel, prompts: list[str], max_new_tokens: int = 48, scores: bool = False,
                   continuations: list[list[str]] | None = None) -> list[dict]:
    """Greedy-decode each raw prompt string; one dict per prompt, in order.

    Each has ``prompt_ids`` and ``answer_ids`` (without the end-of-turn token); with
    ``scores``, also ``tokens`` (text of each answer token), ``logprob``, ``prob`` and
    ``entropy`` (nats) of each answer token, from the logits the decoding itself computed.
    With ``continuations`` (a list of strings per prompt), also ``continuations``: their
    scores as ``score_batch`` gives them, from the same reading of the prompt.
    """
    encoded = [encode_text(lm.tokenizer, p) for p in prompts]
    choice_ids = _encode_choices(lm, continuations) if continuations is not None else None
    results: list[dict] = [{} for _ in prompts]
    for group in _length_groups([len(e) for e in encoded]):
        answers = _generate_group(lm, [encoded[i] for i in group], max_new_tokens, scores,
                                  [choice_ids[i] for i in group] if choice_ids else None)
        for i, answer in zip(group, answers, strict=True):
            results[i] = {"prompt_ids": encoded[i], **answer}
    return results


@torch.inference_mode()
def _generate_group(lm: RealModel, encoded: list[list[int]], max_new_tokens: int, scores: bool,
                    choice_ids: list[list[list[int]]] | None) -> list[dict]:
    tokenizer = lm.tokenizer
    cache, mask, ids = _read_prompts(lm, encoded)
    scored = None
    if choice_ids is not None:
        with bfloat16_batches():
            scored = _score_choices(lm, encoded, cache, mask, choice_ids)
    # generate() finds all but the last prompt token in the cache and starts from that one.
    out = lm.model.generate(
        input_ids=torch.cat([ids, torch.tensor([[e[-1]] for e in encoded])], dim=1),
        attention_mask=torch.cat([mask, torch.ones((len(encoded), 1), dtype=torch.long)], dim=1),
        cache=cache,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=_pad_id(tokenizer),
        return_dict_in_generate=True,
        output_logits=scores,
    )
    answers = []
    for row, sequence in enumerate(out.sequences[:, ids.shape[1] + 1:].tolist()):
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
        if scored is not None:
            answer["continuations"] = scored[row]
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


def _read_prompts(lm, encoded: list[list[int]]):
    """Read all but the last token of each prompt, as one left-padded batch.

    Returns the key/value cache, the attention mask over it and the token ids it holds
    (``[template opening | padding | rest of the prompt]`` per row). Generation and scoring
    both go on from each prompt's last token.
    """
    prefix, prefix_cache = _template_prefix(lm)
    if not all(len(e) > len(prefix) and e[: len(prefix)] == prefix for e in encoded):
        prefix, prefix_cache = [], None
    ids, mask = _left_padded([e[len(prefix):-1] for e in encoded], _pad_id(lm.tokenizer))
    ids = torch.cat([torch.tensor([prefix] * len(encoded), dtype=torch.long).reshape(len(encoded), -1), ids], 1)
    mask = torch.cat([torch.ones((len(encoded), len(prefix)), dtype=torch.long), mask], dim=1)
    cache = None
    if prefix_cache is not None:
        cache = copy.deepcopy(prefix_cache)
        cache.batch_repeat_interleave(len(encoded))
    if ids.shape[1] > len(prefix):
        cache = lm.model(input_ids=ids[:, len(prefix):], attention_mask=mask,
                         position_ids=_positions(mask)[:, len(prefix):], cache=cache,
                         use_cache=True, logits_to_keep=1).cache
    return cache, mask, ids


def _encode_choices(lm, continuations: list[list[str]]) -> list[list[list[int]]]:
    choice_ids = [[encode_text(lm.tokenizer, c) for c in choices] for choices in continuations]
    if not all(ids for choices in choice_ids for ids in choices):
        raise ValueError("every continuation needs at least one token")
    return choice_ids


def _score_choices(lm, encoded, cache, mask, choice_ids) -> list[list[dict]]:
    """Score each prompt's continuations after its last token, from the cache of the rest.

    One row per prompt holds all its continuations side by side, each as ``[last prompt token,
    continuation minus its last token]``: a 4D attention mask lets each token see its
    prompt and the earlier tokens of its own continuation only, and positions restart at the
    prompt's end for every continuation. So one forward pass scores the whole batch, and the
    prompts' cache is neither copied nor changed.
    """
    segments = [[[encoded[i][-1]] + c[:-1] for c in choices] for i, choices in enumerate(choice_ids)]
    width = max(sum(map(len, row)) for row in segments)
    n_rows, n_cached = len(segments), mask.shape[1]
    ids = torch.full((n_rows, width), _pad_id(lm.tokenizer))
    positions = torch.zeros((n_rows, width), dtype=torch.long)
    allowed = torch.zeros((n_rows, 1, width, n_cached + width), dtype=torch.bool)
    starts = mask.sum(1)  # the last prompt token's position: the number of tokens before it
    for i, row in enumerate(segments):
        allowed[i, 0, :, :n_cached] = mask[i].bool()
        at = 0
        for segment in row:
            span = slice(at, at + len(segment))
            ids[i, span] = torch.tensor(segment)
            positions[i, span] = starts[i] + torch.arange(len(segment))
            allowed[i, 0, span, n_cached + at: n_cached + at + len(segment)] = torch.ones(
                len(segment), len(segment), dtype=torch.bool).tril()
            at += len(segment)
        allowed[i, 0, at:, n_cached + at:] = torch.eye(width - at, dtype=torch.bool)  # padding: itself
    logits = lm.model(input_ids=ids, attention_mask=_as_model_mask(lm.model, allowed), position_ids=positions,
                      cache=_shallow_copy(cache)).logits.float()
    norm = logits.logsumexp(-1)  # log-probabilities without a second vocabulary-sized copy
    results = []
    for i, choices in enumerate(choice_ids):
        scored, at = [], 0
        for c in choices:
            span = torch.arange(at, at + len(c))
            total = (logits[i, span, torch.tensor(c)] - norm[i, span]).sum().item()
            scored.append({"sum": total, "mean": total / len(c), "n_tokens": len(c)})
            at += len(c)
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
    choice_ids = _encode_choices(lm, continuations)
    results: list[list[dict]] = [[] for _ in prompts]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(prompts), desc="scoring")
    with bfloat16_batches():
        for group in _length_groups([len(e) for e in encoded]):
            cache, mask, _ = _read_prompts(lm, [encoded[i] for i in group])
            scored = _score_choices(lm, [encoded[i] for i in group], cache, mask, [choice_ids[i] for i in group])
            for i, result in zip(group, scored, strict=True):
                results[i] = result
            if bar is not None:
                bar.update(len(group))
    if bar is not None:
        bar.close()
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
