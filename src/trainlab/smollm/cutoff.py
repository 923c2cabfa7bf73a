"""Knowledge-cutoff probe: score the real model on dated facts and read its cutoff off the curve.

``data/dated_facts.csv`` holds one fact per row: the date it became true, a question, an
answer stem that restates the question, the correct answer and three wrong ones of the
same kind. Each choice is scored as the continuation of the stem, after the question in
the model's chat template::

    <|im_start|>user  Which country won the 2018 FIFA World Cup?  <|im_start|>assistant
    The 2018 FIFA World Cup was won by| France   <- log P(choice | question, stem)

Why this framing: a 135M-parameter model cannot pick a letter from a list it has read
(MMLU-style), but it can complete a sentence ("cloze" scoring, as in lm-evaluation-harness).
The stem makes the choice the natural next words, so the model's own answer is compared,
not its opinion of how answers begin. The default score is the summed log-probability,
i.e. the probability that the model says exactly that answer; ``normalise="mean"`` (per
token) is offered for comparison, but it favours multi-token names whose later pieces are
nearly certain once the first is chosen. Either way a small model's prior for common
strings shows through (it answers "2.7" to most Python-version questions).

Accuracy is grouped by period and a two-level step function is fitted to the per-fact
outcomes (``fit_cutoff_changepoint``); where the step falls is the *effective* cutoff:
the last period the model knows about reliably, which can be earlier than the date its
data was collected, since the web keeps writing about an event for years after it.

Cites: Cheng et al., "Dated Data: Tracing Knowledge Cutoffs in Large Language Models"
(COLM 2024); Holtzman et al., "Surface Form Competition" (EMNLP 2021)
on scoring answer strings by likelihood.

Example:
    >>> result = probe_cutoff(load_model())                 # doctest: +SKIP
    >>> result.changepoint["cutoff"]                        # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from trainlab.smollm.chat import chat_prompt, generate_answers, score_batch
from trainlab.smollm.loader import RealModel

WRONG = ["wrong_1", "wrong_2", "wrong_3"]
DIRECT_QUESTIONS = [
    "What year is it?",
    "What is the newest version of Python?",
    "What is your knowledge cutoff date?",
    "Who won the most recent FIFA World Cup?",
]


@dataclass
class CutoffProbe:
    scores: pd.DataFrame  # one row per fact
    by_period: pd.DataFrame  # one row per period
    changepoint: dict  # fit_cutoff_changepoint's result


def load_dated_facts(path=None) -> pd.DataFrame:
    """Read the dated facts table (the shipped CSV unless ``path`` is given)."""
    source = path or resources.files("trainlab") / "data" / "dated_facts.csv"
    facts = pd.read_csv(source, dtype=str, keep_default_na=False)
    facts["date"] = pd.to_datetime(facts["date"], format="%Y-%m")
    return facts


def period_of(dates: pd.Series, period: str = "year") -> pd.Series:
    """Map dates to periods as floats: 2019.0 for a year, 2019.0 or 2019.5 for half-years."""
    if period == "year":
        return dates.dt.year.astype(float)
    if period == "half":
        return dates.dt.year + np.where(dates.dt.month > 6, 0.5, 0.0)
    raise ValueError(f"period must be 'year' or 'half', not {period!r}")


def score_facts(lm: RealModel, facts: pd.DataFrame | None = None, normalise: str = "sum"):
    """Score every fact: which choice the model finds most likely, and by what margin.

    Returns one row per fact with ``predicted``, ``correct_choice`` (bool) and ``margin``
    (score of the correct answer minus the best wrong one, nats; > 0 means right).
    """
    facts = load_dated_facts() if facts is None else facts
    items = [(fact, [fact.correct] + [getattr(fact, w) for w in WRONG])
             for fact in facts.itertuples(index=False)]
    scored = score_batch(lm, [chat_prompt(lm.tokenizer, fact.question) + fact.stem for fact, _ in items],
                         [[" " + c for c in choices] for _, choices in items])
    rows = []
    for (fact, choices), result in zip(items, scored, strict=True):
        scores = [s[normalise] for s in result]
        rows.append({
            "date": fact.date,
            "question": fact.question,
            "answer": fact.correct,
            "predicted": choices[int(np.argmax(scores))],
            "correct_choice": bool(np.argmax(scores) == 0),
            "margin": scores[0] - max(scores[1:]),
        })
    return pd.DataFrame(rows)


def accuracy_by_period(scores: pd.DataFrame, period: str = "year") -> pd.DataFrame:
    """Accuracy and number of facts per period, with the chance level (one in four)."""
    grouped = scores.assign(period=period_of(scores["date"], period)).groupby("period")
    table = grouped["correct_choice"].agg(accuracy="mean", n="size").reset_index()
    table["chance"] = 1 / (1 + len(WRONG))
    return table


def fit_cutoff_changepoint(periods, correct) -> dict:
    """Fit a two-level step (knows / does not know) to per-fact outcomes by least squares.

    Every boundary between consecutive distinct periods is tried; the outcomes before it
    are modelled by their mean ``acc_before`` and those after by ``acc_after``. Only steps
    down (``acc_before > acc_after``) are allowed, and the boundary with the smallest sum
    of squared errors wins. Per-fact outcomes rather than per-period means are fitted, so
    a period with many facts weighs more than one with few. The result's ``cutoff`` is the
    last period before the step; ``drop`` is ``acc_before - acc_after``, and ``None`` for
    the cutoff means no step down fits the data.
    """
    periods = np.asarray(periods, dtype=float)
    correct = np.asarray(correct, dtype=float)
    order = np.argsort(periods, kind="stable")
    periods, correct = periods[order], correct[order]
    best = {"cutoff": None, "acc_before": float(correct.mean()),
            "acc_after": float(correct.mean()), "drop": 0.0,
            "sse": float(((correct - correct.mean()) ** 2).sum())}
    for boundary in np.unique(periods)[:-1]:
        before, after = correct[periods <= boundary], correct[periods > boundary]
        if before.mean() <= after.mean():
            continue
        sse = ((before - before.mean()) ** 2).sum() + ((after - after.mean()) ** 2).sum()
        if sse < best["sse"]:
            best = {"cutoff": float(boundary), "acc_before": float(before.mean()),
                    "acc_after": float(after.mean()),
                    "drop": float(before.mean() - after.mean()), "sse": float(sse)}
    return best


def probe_cutoff(lm: RealModel, facts=None, period: str = "year", normalise: str = "sum"):
    """Score the dated facts, group them by ``period`` and fit the changepoint."""
    scores = score_facts(lm, facts, normalise)
    by_period = accuracy_by_period(scores, period)
    fit = fit_cutoff_changepoint(period_of(scores["date"], period), scores["correct_choice"])
    return CutoffProbe(scores, by_period, fit)


def ask_about_time(lm: RealModel, questions=None, max_new_tokens: int = 40) -> pd.DataFrame:
    """Ask the model directly (chat template, greedy) what it believes about the present."""
    questions = questions or DIRECT_QUESTIONS
    answers = generate_answers(lm, questions, max_new_tokens)
    return pd.DataFrame({"question": questions, "answer": answers})


def plot_cutoff(result: CutoffProbe, ax=None):
    """Accuracy per period (marker size ~ number of facts), chance, and the fitted step."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    table, fit = result.by_period, result.changepoint
    ax.scatter(table["period"], table["accuracy"], s=12 * table["n"], zorder=3,
               label="accuracy on the period's facts")
    ax.axhline(table["chance"].iloc[0], color="grey", ls=":", label="chance (1 in 4)")
    if fit["cutoff"] is not None:
        # Draw the step between the cutoff period and the next one, where the fit puts it.
        step_at = (fit["cutoff"] + table["period"][table["period"] > fit["cutoff"]].min()) / 2
        ax.step([table["period"].min(), step_at, table["period"].max()],
                [fit["acc_before"], fit["acc_after"], fit["acc_after"]],
                where="post", color="C3", label="fitted step")
        ax.axvline(step_at, color="C3", ls="--", alpha=0.5)
        ax.set_title(f"Effective knowledge cutoff: last well-known period {fit['cutoff']:g}")
    ax.set_xlabel("date the fact became true")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper right", fontsize=8)
    return ax
