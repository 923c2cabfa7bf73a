"""Greedy answers from the real model, with the confidence of each token if asked.

Greedy decoding, so a re-run gives the same text. The prompts of a batch are read once
(:func:`.prompts.read_prompts`), then :func:`greedy_decode` runs the model one token at a
time on the key/value cache (:func:`.lean.forward`): the tokens
``model.generate(do_sample=False)`` chooses (a test checks it), without its per-token
bookkeeping (logits processors, stopping criteria, input preparation, a cache that grows by
concatenation).
With ``scores``, each chosen token's probability and the entropy of the distribution it
was chosen from are read from the logits the decoding computed.

Example:
    >>> lm = load_model()                                   # doctest: +SKIP
    >>> generate_answer(lm, "What year is it?")             # doctest: +SKIP
    'The year is 2023.'
"""
from __future__ import annotations

import torch

from trainlab.memory import release_freed_memory
from trainlab.smollm import lean
from trainlab.smollm.kv_cache import KVCache
from trainlab.smollm.loader import RealModel
from trainlab.smollm.packed import bfloat16_batches, product_threads
from trainlab.smollm.prompts import chat_prompt, encode_text, length_groups, pad_id, read_prompts
from trainlab.smollm.scoring import encode_choices, read_and_score

# Rows decoded together from which a step uses the prompt-reading thread count.
DECODE_ROWS_FOR_BATCH_THREADS = 4


@torch.inference_mode()
def greedy_decode(model, cache, mask: torch.Tensor, last_ids: list[int], max_new_tokens: int,
                  eos_id: int | None, pad: int, scores: bool = False):
    """Decode greedily from each row's last prompt token; the rest of the prompts is in ``cache``.

    ``mask`` (rows, cached tokens) marks the real tokens in ``cache`` (None: none cached).
    A row that has produced ``eos_id`` gets ``pad`` from then on; decoding stops when every
    row has ended or after ``max_new_tokens``. Returns the new ids (rows, steps) and, with
    ``scores``, per step the log-probability of the chosen token and the entropy (rows, steps).
    """
    rows = len(last_ids)
    if cache is None:
        cache, mask = KVCache.empty(model.config, rows, max_new_tokens), torch.ones((rows, 0), dtype=torch.long)
    cache.reserve(max_new_tokens)
    # Which columns each row's next tokens see: the real ones of the prompt, then every new one.
    seen = torch.ones((rows, cache.length + max_new_tokens), dtype=torch.bool)
    seen[:, : mask.shape[1]] = mask.bool()
    padded = not bool(seen.all())
    tokens = torch.tensor(last_ids).unsqueeze(1)
    position = mask.sum(1, keepdim=True)  # each row's last token comes after its real tokens
    done = torch.zeros(rows, dtype=torch.bool)
    chosen, logprob, entropy = [], [], []
    for _ in range(max_new_tokens):
        allowed = seen[:, None, None, : cache.length + 1] if padded else None
        logits = lean.forward(model, tokens, position, allowed, cache, logits_at="last")
        token = logits.argmax(-1)
        if scores:
            logp = torch.log_softmax(logits.float(), -1)
            logprob.append(logp.gather(1, token[:, None])[:, 0])
            entropy.append(-(logp.exp() * logp).sum(-1))
        token = token.masked_fill(done, pad)
        chosen.append(token)
        if eos_id is not None:
            done |= token == eos_id
            if done.all():
                break
        tokens, position = token[:, None], position + 1
    ids = torch.stack(chosen, 1)
    return (ids, torch.stack(logprob, 1), torch.stack(entropy, 1)) if scores else ids


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
    choice_ids = encode_choices(lm, continuations) if continuations is not None else None
    results: list[dict] = [{} for _ in prompts]
    for group in length_groups([len(e) for e in encoded]):
        answers = _generate_group(lm, [encoded[i] for i in group], max_new_tokens, scores,
                                  [choice_ids[i] for i in group] if choice_ids else None)
        for i, answer in zip(group, answers, strict=True):
            results[i] = {"prompt_ids": encoded[i], **answer}
    release_freed_memory()  # the batches' caches, freed but kept by the allocator
    return results


@torch.inference_mode()
def _generate_group(lm: RealModel, encoded: list[list[int]], max_new_tokens: int, scores: bool,
                    choice_ids: list[list[list[int]]] | None) -> list[dict]:
    tokenizer, eos = lm.tokenizer, lm.tokenizer.eos_token_id
    scored = None
    with bfloat16_batches():
        if choice_ids is None:
            cache, mask, _ = read_prompts(lm, encoded, room=max_new_tokens)
        else:
            cache, mask, scored = read_and_score(lm, encoded, choice_ids, room=max_new_tokens)
    # One row's decoding step is many small operations, which a second thread slows down; the
    # products of several rows at once split well over the threads that read prompts.
    with product_threads(getattr(lm, "batch_threads", 0) if len(encoded) >= DECODE_ROWS_FOR_BATCH_THREADS else 0):
        out = greedy_decode(lm.model, cache, mask, [e[-1] for e in encoded], max_new_tokens, eos,
                            pad_id(tokenizer), scores)
    ids, logprob, entropy = out if scores else (out, None, None)
    answers = []
    for row, sequence in enumerate(ids.tolist()):
        n = sequence.index(eos) if eos in sequence else len(sequence)
        answer = {"answer_ids": sequence[:n]}
        if scores:
            answer.update({
                "tokens": [tokenizer.decode([t]) for t in sequence[:n]],
                "logprob": logprob[row, :n].tolist(),
                "prob": logprob[row, :n].exp().tolist(),
                "entropy": entropy[row, :n].tolist(),
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
