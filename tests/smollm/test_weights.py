"""Open weights: parameters by component, the layer table, the quantisation levels, the plots."""
import matplotlib
import pytest

from trainlab.smollm.weights import (
    add_rounding_noise,
    parameters_by_component,
    plot_parameter_counts,
    plot_weight_histograms,
    tabulate_layers,
)

from model_fixtures import lm  # noqa: F401  (session fixture)

matplotlib.use("Agg")


@pytest.mark.model
def test_counts_add_up_to_the_model(lm):
    counts = parameters_by_component(lm.model)
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
    # Q4_1 stores 4-bit codes per block of 32 weights: a de-quantised block holds at most 16
    # distinct values, where weights trained in full precision would show 32.
    w = lm.model.model.layers[0].mlp.down_proj.weight.detach().flatten().reshape(-1, 32)  # (n_blocks, 32)
    levels = (w.sort(dim=1).values.diff(dim=1) != 0).sum(dim=1) + 1  # (n_blocks,)
    assert len(levels) == 576 * 1536 // 32 and levels.max().item() <= 16


@pytest.mark.model
def test_weight_histograms_plot(lm):
    ax = plot_weight_histograms(lm.model)
    assert len(ax.patches) == 4 and ax.get_legend() is not None


def test_rounding_noise_touches_only_the_4_bit_matrices_and_stays_within_half_a_step():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    changed = add_rounding_noise(model, seed=0)
    assert changed == 2 * 7  # q, k, v, o and the three MLP matrices of each block
    for name, p in model.named_parameters():
        moved = not torch.equal(p, before[name])
        assert moved == (".self_attn." in name or ".mlp." in name), name
        if moved:
            blocks = before[name].reshape(-1, 32)
            step = (blocks.max(1, keepdim=True).values - blocks.min(1, keepdim=True).values) / 15
            assert ((p.detach().reshape(-1, 32) - blocks).abs() <= step / 2 + 1e-7).all(), name
