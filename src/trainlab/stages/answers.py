"""Ask the tiny model about the timeline's facts and judge its answers by string rules.

Answers are graded by rules, not by another model: an answer is ``correct`` if it names the
fact's call, ``abstain`` if it is a clean "I don't know" (the abstention sentence and nothing
else), ``garbled`` if it mixes "don't know" with something else ("I don't know.where(t,
cond)."), ``old_api`` if it names the same task's call from the pre-rewrite ``quiver 1`` (an
invented call for ``quiver 2``), and ``other`` otherwise. ``answer_format`` says whether the
answer is one short sentence and then stops, the habit instruction tuning teaches.

Example:
    >>> judge(" Use quiver.load_table(path).", {"lib": "quiver", "ver": 2, "call": "quiver.read(path)"})
    'old_api'
    >>> grade_answers(model, tokenizer, split_facts()["known"])["correct"]     # doctest: +SKIP
"""
import re

from trainlab.stages.pretrain import sample
from trainlab.stages.timeline import ABSTAIN, ask, make_facts

VERDICTS = ("correct", "abstain", "garbled", "old_api", "other")
CLEAN_ABSTENTIONS = {ABSTAIN, ABSTAIN.split(".")[0] + "."}  # the whole sentence, or "I don't know."
_CALL = re.compile(r"[\w]+\.[\w]+\([^)]*\)|len\(t\)")
# One sentence, then the end of text: " Use quiver.read(path)." or the abstention.
_ANSWER_FORMAT = re.compile(r"^ (Use \S+( \S+)?\.|" + re.escape(ABSTAIN) + ")$")


def extract_call(text: str) -> str | None:
    """The first API call named in ``text`` (``quiver.read(path)``, ``len(t)``), or None."""
    match = _CALL.search(text)
    return match.group(0) if match else None


def judge(answer: str, fact: dict) -> str:
    """Grade one answer about ``fact``: one of :data:`VERDICTS`."""
    if answer.strip() in CLEAN_ABSTENTIONS:
        return "abstain"
    if "know" in answer.lower():
        return "garbled"
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


def verdict_shares(rows: list[dict]) -> dict:
    """Share of ``rows`` in each verdict, e.g. ``{"correct": 0.9, "abstain": 0.0, ...}``."""
    verdicts = [r["verdict"] for r in rows]
    return {v: verdicts.count(v) / len(verdicts) for v in VERDICTS}


def grade_answers(model, tokenizer, facts: list[dict], prompt_fn=ask) -> dict:
    """Share of answers in each verdict, and ``answer_format``: the share that is one short
    answer and then stops, as SFT teaches."""
    rows = answer_questions(model, tokenizer, facts, prompt_fn)
    shares = verdict_shares(rows)
    shares["answer_format"] = sum(r["answer_format"] for r in rows) / len(rows)
    return shares
