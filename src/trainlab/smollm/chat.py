"""Generate from the real model and score text with it: the primitives the probes share.

Everything goes through the model's chat template (``chat_prompt``), since an instruction-
tuned model answers questions only when they arrive in the format it was tuned on. Two kinds
of measurement follow:

- ``generate_answer`` / ``generate_ids``: greedy decoding, so a re-run gives the same text.
- ``score_tokens`` / ``score_continuations``: log-probabilities (nats) the model assigns to
  given tokens; the first also gives the entropy of each next-token distribution.

Log-probabilities read from ``model(...).logits`` agree with ``generate(output_scores=True)``
(measured when this project started), so scoring text after generating it is sound.

Example:
    >>> lm = load_model()                                   # doctest: +SKIP
    >>> generate_answer(lm, "What year is it?")             # doctest: +SKIP
    'The year is 2023.'
"""
from __future__ import annotations

import torch

from trainlab.smollm.loader import RealModel


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


@torch.inference_mode()
def generate_ids(lm: RealModel, prompt: str, max_new_tokens: int = 48) -> tuple[list, list]:
    """Greedy-decode from a raw ``prompt`` string; return (prompt ids, answer ids)."""
    ids = torch.tensor([encode_text(lm.tokenizer, prompt)])
    out = lm.model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=lm.tokenizer.eos_token_id,
    )
    answer = out[0, ids.shape[1]:].tolist()
    if answer and answer[-1] == lm.tokenizer.eos_token_id:
        answer = answer[:-1]
    return ids[0].tolist(), answer


def generate_answer(
    lm: RealModel, question: str, max_new_tokens: int = 48, system: str | None = None
) -> str:
    """Ask ``question`` in the chat template and return the greedy answer as text."""
    _, answer = generate_ids(lm, chat_prompt(lm.tokenizer, question, system), max_new_tokens)
    return lm.tokenizer.decode(answer, skip_special_tokens=True).strip()


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


@torch.inference_mode()
def score_continuations(lm: RealModel, prompt: str, continuations: list[str]) -> list[dict]:
    """Log-likelihood of each continuation of a raw ``prompt``.

    Each result has ``sum`` (total log-probability, nats), ``mean`` (per token) and
    ``n_tokens``. The prompt runs through the model once; its key/value cache is then
    shared by all continuations, which run as one right-padded batch (causal attention
    never lets a real token see the padding after it, so no mask is needed). The prompt is
    tokenised on its own, so every choice is scored after exactly the same prompt tokens.
    """
    prompt_ids = encode_text(lm.tokenizer, prompt)
    conts = [encode_text(lm.tokenizer, c) for c in continuations]
    if not all(conts):
        raise ValueError("every continuation needs at least one token")
    out = lm.model(input_ids=torch.tensor([prompt_ids]), use_cache=True)
    first = torch.log_softmax(out.logits[0, -1].float(), -1)  # (V,) scores each first token
    width = max(len(c) for c in conts) - 1
    rest = None
    if width > 0:
        cache = out.cache
        cache.batch_repeat_interleave(len(conts))
        ids = torch.full((len(conts), width), lm.tokenizer.eos_token_id)
        for i, c in enumerate(conts):
            ids[i, : len(c) - 1] = torch.tensor(c[:-1])
        logits = lm.model(input_ids=ids, cache=cache).logits  # (N, width, V)
        rest = torch.log_softmax(logits.float(), -1)
    results = []
    for i, c in enumerate(conts):
        total = first[c[0]].item()
        for j, token in enumerate(c[1:]):
            total += rest[i, j, token].item()
        results.append({"sum": total, "mean": total / len(c), "n_tokens": len(c)})
    return results
