"""Open weights: parameter counts, the layer table, the quantisation levels, the plots."""
import matplotlib
import pytest

from model_fixtures import lm  # noqa: F401  (session fixture)
from trainlab.open_weights import (count_levels, count_parameters, plot_parameter_counts,
                                   plot_weight_histograms, tabulate_layers)

matplotlib.use("Agg")


@pytest.mark.model
def test_counts_add_up_to_the_model(lm):
    counts = count_parameters(lm.model)
    # 134,515,008 is the size measured for this file (134.5M); the tied output layer counts once.
    assert counts["parameters"].sum() == sum(p.numel() for p in lm.model.parameters())
    assert counts["parameters"].sum() == 134_515_008
    assert counts["share"].sum() == pytest.approx(1.0)
    assert counts.iloc[0]["component"] == "MLP (SwiGLU)"
    assert "other" not in set(counts["component"])
    assert plot_parameter_counts(counts).patches


@pytest.mark.model
def test_layer_table_lists_every_block(lm):
    table = tabulate_layers(lm.model)
    assert table["block"].dropna().nunique() == lm.model.config.num_hidden_layers
    assert (table["parameters"] > 0).all() and (table["std"] >= 0).all()
    q0 = table.set_index("name").loc["model.layers.0.self_attn.q_proj.weight"]
    assert q0["shape"] == (576, 576) and q0["component"] == "attention"


@pytest.mark.model
def test_four_bit_weights_show_at_most_16_levels_per_block(lm):
    levels = count_levels(lm.model.model.layers[0].mlp.down_proj.weight)
    assert levels.index.max() <= 16 and levels.sum() == 576 * 1536 // 32


@pytest.mark.model
def test_weight_histograms_plot(lm):
    ax = plot_weight_histograms(lm.model)
    assert len(ax.patches) == 4 and ax.get_legend() is not None
