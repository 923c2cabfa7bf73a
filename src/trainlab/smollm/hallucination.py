"""Hallucination probe: answers about real and made-up APIs, their confidence, and grounding.

Three measurements on the real model:

1. ``probe_hallucination`` asks the same question about APIs that exist and about APIs
   that do not (``pandas.DataFrame.fast_merge``), and records each answer with the model's
   token-level confidence: the probability it gave each token it chose, and the entropy
   of its next-token distribution (nats; 0 = certain). Both are summarised over the whole
   answer and over the *claim tokens*: content words that do not echo the question, the
   ones that say what the API does. Whether the two groups differ, and by how much, is
   what the numbers show; the summary states the difference, not a verdict.
2. ``resolve_api`` looks a dotted name up in the installed packages (import, then
   ``getattr``), so a claim such as "call ``json.dumps_pretty``" can be checked.
3. ``ground_with_docs`` asks which parameters an API takes, without and with its real
   documentation (``inspect.getdoc``) in the prompt, and measures how many of the real
   parameter names (``inspect.signature``) the answer mentions, and the log-probability
   per token of a reference answer that lists them.

Cites: Kalai, Nachum, Vempala and Zhang, "Why Language Models Hallucinate" (2025) on
training that rewards confident guessing; Kadavath et al., "Language Models (Mostly) Know
What They Know" (2022, arXiv:2207.05221) on token probabilities as confidence; Lewis et al.,
"Retrieval-Augmented Generation" (NeurIPS 2020) on putting sources in the context.

Example:
    >>> resolve_api("json.dumps") is not None, resolve_api("json.dumps_pretty")
    (True, None)
"""
from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trainlab.smollm.generation import generate_batch
from trainlab.smollm.loader import RealModel
from trainlab.smollm.prompts import chat_prompt

REAL_APIS = [
    "pandas.DataFrame.merge", "pandas.DataFrame.dropna", "json.dumps", "os.path.join",
    "itertools.chain", "collections.Counter.most_common", "re.findall", "math.isclose",
]
MADE_UP_APIS = [
    "pandas.DataFrame.fast_merge", "pandas.DataFrame.auto_clean", "json.dumps_pretty",
    "os.path.smartjoin", "itertools.interleave_all", "collections.Counter.top_share",
    "re.findall_overlapping", "math.is_near_zero",
]
GROUNDING_APIS = ["json.dumps", "os.makedirs", "pandas.DataFrame.dropna", "subprocess.run"]
QUESTION = "What does the Python function `{name}` do? Answer in two sentences."
PARAMS_QUESTION = "Which parameters does the Python function `{name}` take? List their names."
# Short function words carry grammar, not the claim; everything else that is new is content.
STOPWORDS = set("""a an the and or but of to in on at by for with from as is are was were be
been it its this that these those which who what when where how than then also can will
would should could may might into over under about your you their there here such each
any all some more most other not no yes two one used use uses using function""".split())


@dataclass
class HallucinationProbe:
    answers: pd.DataFrame  # one row per question
    summary: pd.DataFrame  # one row per group (real / made-up)


def resolve_api(dotted_name: str):
    """Return the object a dotted name refers to in the installed packages, or None.

    The longest importable module prefix is imported, then the remaining parts are looked
    up with ``getattr``: ``pandas.DataFrame.merge`` is ``pandas`` + ``DataFrame.merge``.
    """
    parts = dotted_name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            if not hasattr(obj, attr):
                return None
            obj = getattr(obj, attr)
        return obj
    return None


def is_claim_token(token: str, question: str) -> bool:
    """A content word (not a stop word, 3+ letters) that does not echo the question."""
    word = re.sub(r"[^a-z0-9_]", "", token.lower())
    return len(word) >= 3 and word not in STOPWORDS and word not in question.lower()


def answer_with_confidence(lm: RealModel, question: str, max_new_tokens: int = 32) -> dict:
    """Greedy answer plus, per token, the probability of the chosen token and the entropy."""
    generated = generate_batch(lm, [chat_prompt(lm.tokenizer, question)], max_new_tokens, scores=True)
    return _with_confidence(lm, question, generated[0])


def _with_confidence(lm: RealModel, question: str, generated: dict) -> dict:
    """The answer's text and a table of its tokens (from ``generate_batch(scores=True)``)."""
    tokens = pd.DataFrame({k: generated[k] for k in ("tokens", "logprob", "prob", "entropy")})
    tokens["claim"] = [is_claim_token(t, question) for t in tokens["tokens"]]
    answer = lm.tokenizer.decode(generated["answer_ids"], skip_special_tokens=True).strip()
    return {"answer": answer, "tokens": tokens}


def _summarise(tokens: pd.DataFrame) -> dict:
    claim = tokens[tokens["claim"]]
    return {
        "prob_all": tokens["prob"].mean(),
        "entropy_all": tokens["entropy"].mean(),
        "prob_claim": claim["prob"].mean() if len(claim) else np.nan,
        "entropy_claim": claim["entropy"].mean() if len(claim) else np.nan,
        "n_claim": len(claim),
    }


def probe_hallucination(lm: RealModel, real=None, made_up=None, max_new_tokens: int = 32):
    """Ask about real and made-up APIs; return answers, confidences and a per-group summary.

    ``summary`` has the mean token probability and entropy of each group over the whole
    answer and over the claim tokens, and ``exists`` (checked with ``resolve_api``).
    """
    items = [(group, name) for group, names in (("real", real or REAL_APIS),
                                                ("made-up", made_up or MADE_UP_APIS))
             for name in names]
    questions = [QUESTION.format(name=name) for _, name in items]
    generated = generate_batch(lm, [chat_prompt(lm.tokenizer, q) for q in questions],
                               max_new_tokens, scores=True)
    rows = []
    for (group, name), question, one in zip(items, questions, generated, strict=True):
        result = _with_confidence(lm, question, one)
        rows.append({"api": name, "group": group, "exists": resolve_api(name) is not None,
                     "answer": result["answer"], **_summarise(result["tokens"])})
    answers = pd.DataFrame(rows)
    measures = ["prob_all", "prob_claim", "entropy_all", "entropy_claim", "exists"]
    summary = answers.groupby("group", sort=False)[measures].mean().reset_index()
    return HallucinationProbe(answers, summary)


def plot_confidence(result: HallucinationProbe, ax=None):
    """Mean token probability per answer, real vs made-up, whole answer and claim tokens."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    for i, measure in enumerate(["prob_all", "prob_claim"]):
        for j, group in enumerate(["real", "made-up"]):
            values = result.answers.loc[result.answers["group"] == group, measure]
            x = i * 3 + j
            ax.bar(x, values.mean(), color=f"C{j}", alpha=0.4,
                   label=f"{group} APIs" if i == 0 else None)
            ax.scatter(np.full(len(values), x), values, color=f"C{j}", s=12, zorder=3)
    ax.set_xticks([0.5, 3.5], ["whole answer", "claim tokens"])
    ax.set_ylabel("mean probability of the chosen token")
    ax.set_ylim(0, 1)
    ax.set_title("How sure the model sounds: real vs made-up APIs")
    ax.legend(fontsize=8)
    return ax


def parameter_names(dotted_name: str) -> list[str]:
    """Named parameters of a real API (no ``self``, ``*args`` or ``**kwargs``)."""
    params = inspect.signature(resolve_api(dotted_name)).parameters.values()
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in params if p.name != "self" and p.kind not in skip]


def grounded_question(dotted_name: str, max_doc_chars: int = 2500) -> str:
    """The parameters question preceded by the API's real documentation (truncated)."""
    doc = inspect.getdoc(resolve_api(dotted_name))[:max_doc_chars]
    return (f"Here is the documentation of `{dotted_name}`:\n\n{doc}\n\n"
            + PARAMS_QUESTION.format(name=dotted_name))


def ground_with_docs(lm: RealModel, apis=None, max_new_tokens: int = 40,
                     max_doc_chars: int = 2500) -> pd.DataFrame:
    """Ask for each API's parameters without and with its documentation in the prompt.

    Returns one row per API and condition (``docs`` False/True) with the answer,
    ``param_recall`` (share of the real parameter names the answer mentions) and
    ``reference_logprob`` (mean log-probability per token of the answer
    "The parameters are: <the real names>." given the prompt).
    """
    cases = [(name, docs, parameter_names(name)) for name in apis or GROUNDING_APIS
             for docs in (False, True)]
    prompts = [chat_prompt(lm.tokenizer, grounded_question(name, max_doc_chars) if docs
                           else PARAMS_QUESTION.format(name=name)) for name, docs, _ in cases]
    # The reference answer is scored from the same reading of each (long) prompt.
    generated = generate_batch(lm, prompts, max_new_tokens, continuations=[
        ["The parameters are: " + ", ".join(params) + "."] for _, _, params in cases])
    rows = []
    for (name, docs, params), one in zip(cases, generated, strict=True):
        answer = lm.tokenizer.decode(one["answer_ids"], skip_special_tokens=True).strip()
        mentioned = [p for p in params if re.search(rf"\b{re.escape(p)}\b", answer)]
        rows.append({
            "api": name, "docs": docs, "answer": answer,
            "param_recall": len(mentioned) / len(params),
            "reference_logprob": one["continuations"][0]["mean"],
            "prompt_tokens": len(one["prompt_ids"]),
        })
    return pd.DataFrame(rows)


def plot_grounding(table: pd.DataFrame, ax=None):
    """Log-probability per token of the true parameter list, per API, without and with the docs.

    This is the measure that moves: the answers a 135M model writes rarely name the real
    parameters even with the docs in the prompt, but the true list becomes far more likely.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    wide = table.pivot(index="api", columns="docs", values="reference_logprob")
    x = np.arange(len(wide))
    for offset, docs, label in ((-0.2, False, "question only"), (0.2, True, "documentation in the prompt")):
        bars = ax.bar(x + offset, wide[docs], width=0.4, label=label)
        ax.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
    ax.set_xticks(x, [name.replace("pandas.DataFrame.", "DataFrame.") for name in wide.index], fontsize=8)
    ax.set_ylabel("log-prob per token of the true list (nats)")
    ax.set_ylim(min(wide.min().min() * 1.25, -1), 0)
    ax.set_title("With the docs, the true parameter list becomes more likely")
    ax.legend(fontsize=8, loc="lower left")
    return ax
