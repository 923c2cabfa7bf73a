"""Inherited-bias probe on the real model: shares per decision and the chart."""
import matplotlib
import numpy as np
import pytest

from trainlab.smollm.bias import CHOICES, plot_preferences, probe_preferences

from model_fixtures import lm  # noqa: F401  (session fixture)

matplotlib.use("Agg")


@pytest.mark.model
def test_preferences_are_shares_and_far_from_uniform(lm):
    table = probe_preferences(lm)
    assert set(table["choice"]) == set(CHOICES)
    sums = table.groupby("choice")["share"].sum()
    assert np.allclose(sums, 1.0)
    assert (table["logprob"] < 0).all()
    top = table[table["rank"] == 1].set_index("choice")["share"].sort_index()
    n_options = table.groupby("choice").size().sort_index()
    # Measured: the favourite holds 0.39-0.97 of the probability. Uniform would be 1/n.
    assert (top > 2 / n_options).sum() >= len(CHOICES) // 2 + 1, top
    ax = plot_preferences(table)
    assert len(ax.patches) == len(table)


@pytest.mark.model
def test_preference_does_not_depend_on_option_order(lm):
    question, options = CHOICES["test runner"]
    forward = probe_preferences(lm, {"t": (question, options)}).set_index("option")["share"]
    backward = probe_preferences(lm, {"t": (question, options[::-1])}).set_index("option")["share"]
    assert np.allclose(forward.sort_index(), backward.sort_index(), atol=1e-4)
