"""Recall-horizon probe: the facts table, the changepoint fit, and the probe on the real model."""
import re

import matplotlib
import numpy as np
import pytest

from trainlab.smollm.cutoff import (
    WRONG,
    accuracy_by_period,
    ask_about_time,
    fit_cutoff_changepoint,
    load_dated_facts,
    older_answers,
    period_of,
    plot_cutoff,
    probe_cutoff,
)

from model_fixtures import lm  # noqa: F401  (session fixture)

matplotlib.use("Agg")


def test_dated_facts_are_well_formed():
    facts = load_dated_facts()
    years = facts["date"].dt.year
    # Enough facts a year that one noisy year cannot move the step (see the real-model test).
    assert years.value_counts().min() >= 9, "each year needs several facts to score"
    assert years.min() <= 2010 and years.max() >= 2025
    # Most are about software: languages, libraries, tools, AI models, security.
    assert facts["topic"].isin(["software", "ai", "security"]).mean() >= 0.6
    for row in facts.itertuples():
        choices = [row.correct] + [getattr(row, w) for w in WRONG]
        assert len(set(choices)) == 4 and all(choices), row.question
        # No choice may be a prefix of another: the shorter would always score higher.
        assert not any(a != b and b.startswith(a + " ") for a in choices for b in choices)
        # The answer is not given away by the stem, and "older" names wrong options only.
        assert row.correct.lower() not in row.stem.lower(), row.stem
        assert set(filter(None, row.older.split("|"))) <= set(choices[1:]), row.question


def test_changepoint_recovers_a_planted_step():
    rng = np.random.default_rng(0)
    periods = np.repeat(np.arange(2010, 2026), 12)
    correct = rng.random(periods.size) < np.where(periods <= 2019, 0.8, 0.25)
    fit = fit_cutoff_changepoint(periods, correct)
    assert fit["horizon"] in (2018, 2019, 2020)
    assert 0.4 < fit["drop"] < 0.7


def test_changepoint_reports_no_cutoff_when_accuracy_only_rises():
    periods = np.repeat(np.arange(2015, 2020), 4)
    fit = fit_cutoff_changepoint(periods, periods >= 2017)
    assert fit["horizon"] is None and fit["drop"] == 0


def test_half_year_periods():
    facts = load_dated_facts()
    halves = period_of(facts["date"], "half")
    assert set(np.round(halves % 1, 1)) == {0.0, 0.5}
    with pytest.raises(ValueError):
        period_of(facts["date"], "month")


@pytest.mark.model
def test_real_model_recall_horizon_is_read_off_the_curve(lm):
    result = probe_cutoff(lm)
    assert len(result.scores) == len(load_dated_facts())
    assert result.by_period["n"].sum() == len(result.scores)
    fit = result.changepoint
    # Measured: horizon 2019, 56% right up to it, 20% after (chance 25%); leaving out any one
    # year gives 2019 again, or 2018 when 2019 itself is left out.
    assert fit["horizon"] is not None and 2016 <= fit["horizon"] <= 2021, fit
    assert fit["drop"] >= 0.2, fit
    assert fit["acc_before"] >= 0.45 and fit["acc_after"] <= 0.32, fit
    years = result.scores["date"].dt.year
    for left_out in sorted(years.unique()):
        keep = years != left_out
        again = fit_cutoff_changepoint(years[keep], result.scores["correct_choice"][keep])["horizon"]
        assert abs(again - fit["horizon"]) <= 1, (left_out, again)
    late = result.scores[years >= 2024]
    assert late["correct_choice"].mean() <= 0.3, "facts from 2024 on should be near chance"
    picks, counted = older_answers(result)
    # Measured: 25 facts after the horizon with a once-right option; it picked one 16 times,
    # blind guessing 12.75 on average.
    assert counted["with_older"] == len(picks) >= 15
    assert counted["picked_older"] == picks["pick used to be right"].sum()
    assert counted["picked_older"] >= counted["expected_by_guessing"] - 3
    ax = plot_cutoff(result)
    assert len(ax.collections) >= 1 and "Recall horizon" in ax.get_title()
    half = accuracy_by_period(result.scores, "half")
    assert half["n"].sum() == len(result.scores)


@pytest.mark.model
def test_real_model_says_what_year_it_thinks_it_is(lm):
    table = ask_about_time(lm, max_new_tokens=24)
    assert list(table.columns) == ["question", "answer"] and table["answer"].str.len().min() > 0
    years = [int(y) for y in re.findall(r"\b(20\d\d)\b", table["answer"].iloc[0])]
    # Measured: "The year is 2023." A model trained on data up to 2024 cannot name later.
    assert years and all(2015 <= y <= 2025 for y in years), table["answer"].iloc[0]
