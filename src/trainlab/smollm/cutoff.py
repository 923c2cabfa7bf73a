"""Recall-horizon probe: quiz the real model on dated facts and read off where its recall ends.

``data/dated_facts.csv`` holds one fact per row: the date it became true, a question, an
answer stem that restates the question, the correct answer, three wrong ones of the same kind
and ``older``: the wrong options that had been the right answer to the same question before
that date (the previous prime minister, a company's earlier product), ``|``-separated, empty
when none was. Every fact was unknowable before its date (no scheduled events, announced
missions, next version numbers or features known from betas); most are about software. Each
choice is scored as the continuation of the stem, after the question in the model's chat
template::

    <|im_start|>user  Which company agreed to buy GitHub in June 2018?  <|im_start|>assistant
    In June 2018, GitHub agreed to be bought by| Microsoft   <- log P(choice | question, stem)

Why this framing: a 135M-parameter model cannot pick a letter from a list it has read
(MMLU-style), but it can complete a sentence ("cloze" scoring, as in lm-evaluation-harness).
The stem makes the choice the natural next words, so the model's own answer is compared,
not its opinion of how answers begin. The default score is the summed log-probability,
i.e. the probability that the model says exactly that answer; ``normalise="mean"`` (per
token) is offered for comparison.

Accuracy is grouped by period and a two-level step function is fitted to the per-fact
outcomes (``fit_cutoff_changepoint``). Where the step falls is a *recall horizon*: the last
period whose facts the model still picks out reliably. It is not the date its data ends: a
small model keeps mostly what its data repeated, and recent events have had little time to
be written about. :func:`older_answers` looks at what the model picks after the horizon:
answers that used to be right, or not.

Cites: Cheng et al., "Dated Data: Tracing Knowledge Cutoffs in Large Language Models"
(COLM 2024); Holtzman et al., "Surface Form Competition" (EMNLP 2021) on scoring answer
strings by likelihood.

Example:
    >>> result = probe_cutoff(load_model())                 # doctest: +SKIP
    >>> result.changepoint["horizon"]                       # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from trainlab.smollm.generation import generate_answers
from trainlab.smollm.loader import RealModel
from trainlab.smollm.prompts import chat_prompt
from trainlab.smollm.scoring import score_batch

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

    Returns one row per fact with ``predicted``, ``correct_choice`` (bool), ``margin``
    (score of the correct answer minus the best wrong one, nats; > 0 means right),
    ``older`` (the options that used to be right, a list) and ``picked_older`` (bool).
    """
    facts = load_dated_facts() if facts is None else facts
    items = [(fact, [fact.correct] + [getattr(fact, w) for w in WRONG])
             for fact in facts.itertuples(index=False)]
    scored = score_batch(lm, [chat_prompt(lm.tokenizer, fact.question) + fact.stem for fact, _ in items],
                         [[" " + c for c in choices] for _, choices in items])
    rows = []
    for (fact, choices), result in zip(items, scored, strict=True):
        scores = [s[normalise] for s in result]
        older = [o for o in getattr(fact, "older", "").split("|") if o]
        predicted = choices[int(np.argmax(scores))]
        rows.append({
            "date": fact.date,
            "question": fact.question,
            "answer": fact.correct,
            "predicted": predicted,
            "correct_choice": bool(np.argmax(scores) == 0),
            "margin": scores[0] - max(scores[1:]),
            "older": older,
            "picked_older": predicted in older,
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
    a period with many facts weighs more than one with few. The result's ``horizon`` is the
    last period before the step (the recall horizon); ``drop`` is
    ``acc_before - acc_after``, and ``None`` for the horizon means no step down fits the data.
    """
    periods = np.asarray(periods, dtype=float)
    correct = np.asarray(correct, dtype=float)
    order = np.argsort(periods, kind="stable")
    periods, correct = periods[order], correct[order]
    best = {"horizon": None, "acc_before": float(correct.mean()),
            "acc_after": float(correct.mean()), "drop": 0.0,
            "sse": float(((correct - correct.mean()) ** 2).sum())}
    for boundary in np.unique(periods)[:-1]:
        before, after = correct[periods <= boundary], correct[periods > boundary]
        if before.mean() <= after.mean():
            continue
        sse = ((before - before.mean()) ** 2).sum() + ((after - after.mean()) ** 2).sum()
        if sse < best["sse"]:
            best = {"horizon": float(boundary), "acc_before": float(before.mean()),
                    "acc_after": float(after.mean()),
                    "drop": float(before.mean() - after.mean()), "sse": float(sse)}
    return best


def probe_cutoff(lm: RealModel, facts=None, period: str = "year", normalise: str = "sum"):
    """Score the dated facts, group them by ``period`` and fit the changepoint."""
    scores = score_facts(lm, facts, normalise)
    by_period = accuracy_by_period(scores, period)
    fit = fit_cutoff_changepoint(period_of(scores["date"], period), scores["correct_choice"])
    return CutoffProbe(scores, by_period, fit)


def older_answers(result: CutoffProbe, period: str = "year") -> tuple[pd.DataFrame, dict]:
    """What the model picks after its recall horizon, where some options used to be right.

    Returns the facts after the horizon that have at least one once-right option (question,
    the answer, the model's pick, whether the pick used to be right) and a summary: how
    many such facts, how many picks used to be right, and how many blind guessing would pick
    on average (each fact contributes its number of once-right options over four), with the
    accuracy on all facts after the horizon beside chance.
    """
    horizon = result.changepoint["horizon"]
    scores = result.scores.assign(period=period_of(result.scores["date"], period))
    after = scores[scores["period"] > horizon] if horizon is not None else scores.iloc[0:0]
    with_older = after[after["older"].map(len) > 0]
    table = pd.DataFrame({
        "date": with_older["date"].dt.strftime("%Y-%m"),
        "question": with_older["question"],
        "right answer": with_older["answer"],
        "its pick": with_older["predicted"],
        "pick used to be right": with_older["picked_older"],
    }).reset_index(drop=True)
    summary = {
        "after_horizon": int(len(after)),
        "right_after": int(after["correct_choice"].sum()),
        "chance": 1 / (1 + len(WRONG)),
        "with_older": int(len(with_older)),
        "picked_older": int(with_older["picked_older"].sum()),
        "expected_by_guessing": float((with_older["older"].map(len) / (1 + len(WRONG))).sum()),
    }
    return table, summary


def ask_about_time(lm: RealModel, questions=None, max_new_tokens: int = 40) -> pd.DataFrame:
    """Ask the model directly (chat template, greedy) what it believes about the present."""
    questions = questions or DIRECT_QUESTIONS
    answers = generate_answers(lm, questions, max_new_tokens)
    return pd.DataFrame({"question": questions, "answer": answers})


def plot_cutoff(result: CutoffProbe, ax=None):
    """Accuracy per period (marker size ~ number of facts), chance, and the fitted step."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    table, fit = result.by_period, result.changepoint
    ax.scatter(table["period"], table["accuracy"], s=10 * table["n"], zorder=3,
               label="share right among the period's facts")
    ax.axhline(table["chance"].iloc[0], color="grey", ls=":", label="blind guessing (1 in 4)")
    if fit["horizon"] is not None:
        # The step sits between the horizon period and the next one.
        edge = (fit["horizon"] + table["period"][table["period"] > fit["horizon"]].min()) / 2
        ax.step([table["period"].min(), edge, table["period"].max()],
                [fit["acc_before"], fit["acc_after"], fit["acc_after"]],
                where="post", color="C3", label="fitted step")
        ax.axvspan(edge, table["period"].max() + 0.5, color="C3", alpha=0.08)
        ax.set_title(f"Recall horizon: {fit['horizon']:g} (facts after it: {fit['acc_after']:.0%} right)")
    ax.set_xlabel("year the fact became true")
    ax.set_ylabel("share right")
    ax.set_xticks(table["period"], [f"{p:g}" for p in table["period"]], rotation=45)
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper right", fontsize=8)
    return ax
