"""Inherited-bias probe: which tool the real model reaches for when a developer asks.

For each everyday choice (web framework, test runner, plotting library...) the model is
asked in its chat template, without the options being listed (a list would add its own
bias: order and position), and the answer is started for it with a neutral stem such as
"I recommend". Each candidate is then scored as the continuation of that stem: its
probability is the product of its tokens' probabilities, so a name of several tokens is
compared fairly with a one-token name. The probabilities are renormalised over the
candidates into shares that sum to one per question.

A share is not a judgement of quality: the model has no test results or benchmarks, only
the text it was trained on. Read the shares as an echo of how often, and in what company,
each name appeared there.

Cites: Brown et al., "Language Models are Few-Shot Learners" (2020) on scoring candidate
completions by likelihood; Bender et al., "On the Dangers of Stochastic Parrots" (FAccT
2021) on models reproducing what their training data over-represents.

Example:
    >>> table = probe_preferences(load_model())           # doctest: +SKIP
    >>> plot_preferences(table)                           # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from trainlab.smollm.loader import RealModel
from trainlab.smollm.prompts import chat_prompt
from trainlab.smollm.scoring import score_batch

STEM = "I recommend"
CHOICES = {
    "web framework": ("Which Python web framework should I use for a new web app?",
                      ["Django", "Flask", "FastAPI", "Pyramid", "Tornado"]),
    "test runner": ("Which Python test runner should I use?",
                    ["pytest", "unittest", "nose", "doctest"]),
    "plotting library": ("Which Python plotting library should I use?",
                         ["Matplotlib", "Seaborn", "Plotly", "Bokeh"]),
    "frontend framework": ("Which JavaScript framework should I use for a new frontend?",
                           ["React", "Vue", "Angular", "Svelte"]),
    "database": ("Which database should I use for a new web app?",
                 ["PostgreSQL", "MySQL", "SQLite", "MongoDB"]),
    "backend language": ("Which programming language should I use for a new web backend?",
                         ["Python", "JavaScript", "Java", "Go", "Rust"]),
    "cloud provider": ("Which cloud provider should I use to host my app?",
                       ["AWS", "Azure", "Google Cloud", "DigitalOcean"]),
}


def probe_preferences(lm: RealModel, choices: dict | None = None, stem: str = STEM):
    """Score each candidate answer per question; return a tidy DataFrame of shares.

    Columns: ``choice`` (the decision), ``option``, ``logprob`` (nats, whole name after
    the stem), ``share`` (probability renormalised over the options, sums to 1 per
    choice) and ``rank`` (1 = the model's favourite).
    """
    items = list((choices or CHOICES).items())
    scored = score_batch(lm, [chat_prompt(lm.tokenizer, question) + stem for _, (question, _) in items],
                         [[" " + o for o in options] for _, (_, options) in items])
    rows = []
    for (decision, (_, options)), result in zip(items, scored, strict=True):
        logprobs = np.array([s["sum"] for s in result])
        shares = np.exp(logprobs - logprobs.max())
        shares /= shares.sum()
        ranks = (-shares).argsort().argsort() + 1
        rows += [{"choice": decision, "option": o, "logprob": lp, "share": s, "rank": r}
                 for o, lp, s, r in zip(options, logprobs, shares, ranks, strict=True)]
    return pd.DataFrame(rows)


def plot_preferences(table: pd.DataFrame, ax=None):
    """Horizontal stacked bars: one bar per decision, split into the options' shares."""
    import matplotlib.pyplot as plt

    decisions = list(dict.fromkeys(table["choice"]))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.55 * len(decisions) + 1.2), layout="constrained")
    for y, decision in enumerate(decisions):
        rows = table[table["choice"] == decision].sort_values("share", ascending=False)
        left = 0.0
        for k, row in enumerate(rows.itertuples()):
            ax.barh(y, row.share, left=left, color=f"C{k}", edgecolor="white")
            if row.share > 0.07:
                ax.text(left + row.share / 2, y, row.option, ha="center", va="center",
                        fontsize=7, color="white")
            left += row.share
    ax.set_yticks(range(len(decisions)), decisions)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the model's probability among the options")
    ax.set_title("What the model recommends, knowing nothing of your project")
    return ax
