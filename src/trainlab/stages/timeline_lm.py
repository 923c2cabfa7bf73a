"""The world model: a tiny LM pretrained on the dated world up to its cutoff, and its grader.

This is the base model that the recency and singleton experiments probe and that instruction
tuning (:mod:`trainlab.sft`) and preference tuning (:mod:`trainlab.dpo`) start from. Its
answers are graded by string rules, not by another model: an answer is ``correct`` if it
names the fact's call, ``abstain`` if it says it does not know, ``old_api`` if it names the
same task's call from the pre-rewrite ``quiver 1`` (an invented call for ``quiver 2``), and
``other`` otherwise.

Example:
    >>> model, tokenizer = train_world_lm(steps=300)
    >>> grade_answers(model, tokenizer, [f for f in make_facts() if f["known"]])["correct"]
"""
import re

import torch

from trainlab.pretrain import encode_documents, sample, train_tiny_lm
from trainlab.seed import set_seed
from trainlab.tinylm import TinyConfig, build_tiny_lm, train_tokenizer
from trainlab.world import ABSTAIN, ask, make_facts, make_instruction_pairs, make_preference_pairs, make_world

WORLD_CONFIG = TinyConfig(n_layer=2, n_head=4, n_embd=64, block_size=64, vocab_size=1024)
_CALL = re.compile(r"[\w]+\.[\w]+\([^)]*\)|len\(t\)")
# One sentence, then the end of text: " Use quiver.read(path)." or the abstention.
_ANSWER_FORMAT = re.compile(r"^ (Use \S+( \S+)?\.|" + re.escape(ABSTAIN) + ")$")


def pre_cutoff_texts(world: dict) -> list[str]:
    """The documents a model trained up to the cutoff has read."""
    return [d["text"] for d in world["documents"] if d["date"] <= world["cutoff"]]


def train_world_lm(steps: int = 300, batch_size: int = 32, lr: float = 5e-3,
                   config: TinyConfig = WORLD_CONFIG, seed: int = 0, callback=None,
                   progress: bool = True):
    """Pretrain a tiny LM on the world's pre-cutoff documents; return ``(model, tokenizer, history)``.

    The tokenizer is trained on the same documents, and on the instruction and preference
    texts that later stages use, so every stage shares one vocabulary; ``quiver 2``'s new
    calls appear in it only as byte pieces, like any word a real tokenizer never saw.
    """
    set_seed(seed)
    world = make_world(seed=seed)
    texts = pre_cutoff_texts(world)
    known = [f for f in world["facts"] if f["known"]]
    prompts = [r["prompt"] + r["completion"] for r in make_instruction_pairs(known)]
    tokenizer = train_tokenizer(texts + prompts + [ABSTAIN], vocab_size=config.vocab_size)
    sizes = TinyConfig(**{**config.__dict__, "vocab_size": len(tokenizer)})
    model = build_tiny_lm(sizes, eos_token_id=tokenizer.eos_token_id)
    tokens = encode_documents(texts, tokenizer)  # (N,)
    history = train_tiny_lm(model, tokens, steps=steps, batch_size=batch_size, lr=lr, seed=seed,
                            callback=callback, progress=progress)
    return model, tokenizer, history


def extract_call(text: str) -> str | None:
    """The first API call named in ``text`` (``quiver.read(path)``, ``len(t)``), or None."""
    match = _CALL.search(text)
    return match.group(0) if match else None


def judge(answer: str, fact: dict) -> str:
    """Grade one answer about ``fact``: ``correct``, ``abstain``, ``old_api`` or ``other``."""
    if "don't know" in answer:
        return "abstain"
    call = extract_call(answer)
    if call == fact["call"]:
        return "correct"
    old = {f["call"] for f in make_facts() if f["lib"] == "quiver" and f["ver"] == 1}
    if fact["lib"] == "quiver" and fact["ver"] == 2 and call in old:
        return "old_api"
    return "other"


def answer_questions(model, tokenizer, facts: list[dict], prompt_fn=ask,
                     max_new_tokens: int = 20) -> list[dict]:
    """Ask about each fact greedily; return ``{"prompt", "answer", "expected", "verdict"}`` rows.

    The answer is cut at the first newline: a base model that runs on into a new paragraph
    has stopped answering.
    """
    rows = []
    for f in facts:
        prompt = prompt_fn(f["task"], f["lib"], f["ver"])
        answer = sample(model, tokenizer, prompt, max_new_tokens=max_new_tokens).split("\n")[0]
        rows.append({"prompt": prompt, "answer": answer, "expected": f["call"], "verdict": judge(answer, f),
                     "answer_format": bool(_ANSWER_FORMAT.match(answer))})
    return rows


def grade_answers(model, tokenizer, facts: list[dict], prompt_fn=ask) -> dict:
    """Share of answers in each verdict, e.g. ``{"correct": 0.9, "abstain": 0.0, ...}``, and
    ``answer_format``: the share that is one short answer and then stops, as SFT teaches."""
    rows = answer_questions(model, tokenizer, facts, prompt_fn)
    verdicts = [r["verdict"] for r in rows]
    shares = {v: verdicts.count(v) / len(verdicts) for v in ("correct", "abstain", "old_api", "other")}
    shares["answer_format"] = sum(r["answer_format"] for r in rows) / len(rows)
    return shares


def split_facts(seed: int = 0) -> dict:
    """Facts split for tuning and evaluation: ``{"known", "singleton", "unknown_train", "unknown_test"}``.

    Unknown (post-cutoff) facts are split in half so that abstention is measured on
    questions DPO never trained on.
    """
    g = torch.Generator().manual_seed(seed)
    facts = make_facts()
    unknown = [f for f in facts if not f["known"]]
    order = torch.randperm(len(unknown), generator=g).tolist()
    half = len(unknown) // 2
    return {
        "known": [f for f in facts if f["known"] and not f["singleton"]],
        "singleton": [f for f in facts if f["singleton"]],
        "unknown_train": [unknown[i] for i in order[:half]],
        "unknown_test": [unknown[i] for i in order[half:]],
    }


def make_tuning_data(seed: int = 0) -> dict:
    """SFT records (the known common facts) and DPO records (those plus half the unknown ones).

    SFT sees only questions the model can answer, as instruction data is written by people who
    know the answers: it teaches the answer format, and nothing about what to do when the
    answer is unknown. That is left to the preference pairs.
    """
    split = split_facts(seed)
    return {
        "sft": make_instruction_pairs(split["known"]),
        "dpo": make_preference_pairs(split["known"] + split["unknown_train"], seed=seed),
    }
