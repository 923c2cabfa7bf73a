"""Open weights: what holding a model's parameters lets you see, on the real model.

A closed model is an API; an open-weight model is a file of numbers you can load and
inspect. Here that is SmolLM2-135M-Instruct (:mod:`.loader`): a Llama-style decoder
with ``n_layer`` = 30 blocks, ``n_embd`` = 576, 9 query heads sharing 3 key/value heads
(grouped-query attention), a SwiGLU MLP of width 1536, and an output layer that reuses
(ties) the token-embedding matrix. The functions count its parameters by component, list
every tensor in a table, and plot the distribution of the weights.

The file shipped is mostly 4-bit (GGUF Q4_1: blocks of 32 weights stored as 16 levels plus a
scale and an offset); transformers de-quantises it on load, so each block of 32 weights of
an attention or MLP matrix holds at most 16 distinct values (the embedding matrix, stored
more finely, up to 32).

What the 4-bit rounding costs cannot be measured here (the original bf16 weights are not
shipped, and nothing is downloaded). :func:`add_rounding_noise` gives an estimate: it adds a
second dose of rounding error of the same size (uniform, up to half a Q4_1 step of each block)
to every 4-bit matrix, so that ``benchmarks/quantisation.py`` can measure what one dose costs
on the dated-facts quiz.

Cites: Touvron et al., "LLaMA" (2023) for the architecture; Ainslie et al., "GQA" (2023);
Shazeer, "GLU Variants Improve Transformer" (2020); the ggml GGUF format for Q4_1.

Example:
    >>> parameters_by_component(load_model().model)["parameters"].sum()    # doctest: +SKIP
    134515008
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import torch

# (pattern on the parameter name, component), first match wins.
COMPONENTS = [
    (r"embed_tokens", "token embeddings (tied with the output layer)"),
    (r"self_attn\.(q|k|v|o)_proj", "attention"),
    (r"mlp\.", "MLP (SwiGLU)"),
    (r"norm", "RMSNorm scales"),
    (r"lm_head", "output layer"),
]


def component_of(name: str) -> str:
    """Which part of the model a parameter name belongs to."""
    for pattern, component in COMPONENTS:
        if re.search(pattern, name):
            return component
    return "other"


def tabulate_layers(model: torch.nn.Module) -> pd.DataFrame:
    """One row per parameter tensor: name, block index, component, shape, count and stats.

    ``named_parameters`` lists a tied tensor once, so the counts add up to the true total.
    """
    rows = []
    for name, p in model.named_parameters():
        block = re.search(r"layers\.(\d+)\.", name)
        w = p.detach().float()
        rows.append({
            "name": name,
            "block": int(block.group(1)) if block else None,
            "component": component_of(name),
            "shape": tuple(p.shape),
            "parameters": p.numel(),
            "dtype": str(p.dtype).replace("torch.", ""),
            "mean": w.mean().item(),
            "std": w.std().item() if p.numel() > 1 else 0.0,
        })
    table = pd.DataFrame(rows)
    table["block"] = table["block"].astype("Int64")
    return table


def parameters_by_component(model: torch.nn.Module) -> pd.DataFrame:
    """Parameters per component, with their share of the total, largest first."""
    table = tabulate_layers(model).groupby("component")["parameters"].sum()
    table = table.sort_values(ascending=False).reset_index()
    table["share"] = table["parameters"] / table["parameters"].sum()
    return table


def plot_parameter_counts(counts: pd.DataFrame, ax=None):
    """Bar chart of parameters per component (millions)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3), layout="constrained")
    millions = counts["parameters"] / 1e6
    bars = ax.barh(counts["component"], millions)
    ax.bar_label(bars, labels=[f"{m:.2f}M" if m < 1 else f"{m:.1f}M" for m in millions],
                 fontsize=8, padding=3)
    ax.invert_yaxis()
    ax.set_xlim(0, millions.max() * 1.15)
    ax.set_xlabel("parameters (millions)")
    ax.set_title(f"{counts['parameters'].sum() / 1e6:.1f}M parameters by component")
    return ax


def weight_samples(model: torch.nn.Module, names: list[str] | None = None) -> dict:
    """The weight tensors to compare: by default embeddings, first and last block matrices."""
    params = dict(model.named_parameters())
    if names is None:
        last = max(int(m.group(1)) for n in params if (m := re.search(r"layers\.(\d+)\.", n)))
        names = ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                 f"model.layers.{last}.self_attn.q_proj.weight",
                 f"model.layers.{last}.mlp.down_proj.weight"]
    return {n: params[n].detach().float().flatten() for n in names}


def plot_weight_histograms(model: torch.nn.Module, names: list[str] | None = None,
                           bins: int = 200, ax=None):
    """Overlaid density histograms (log scale) of a few weight matrices."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    for name, w in weight_samples(model, names).items():
        lo, hi = np.quantile(w[:: max(1, w.numel() // 200_000)].numpy(), [0.0005, 0.9995])
        ax.hist(w.numpy(), bins=bins, range=(lo, hi), density=True, histtype="step",
                log=True, label=name.replace("model.", "").replace(".weight", ""))
    ax.set_xlabel("weight value (central 99.9%)")
    ax.set_ylabel("density (log)")
    ax.set_title("Distributions of weights in the open model")
    ax.legend(fontsize=7)
    return ax



@torch.no_grad()
def add_rounding_noise(model: torch.nn.Module, seed: int = 0, doses: float = 1.0) -> int:
    """Add ``doses`` times the rounding error of 4-bit Q4_1 to every attention and MLP matrix.

    Q4_1 stores each block of 32 consecutive weights (along the input dimension) as 16 levels
    between the block's minimum and maximum, so its rounding error is uniform within half a
    step ``(max - min) / 15``. The same noise, drawn anew, is added in place; the embedding
    (stored in 8 bits) and the norms (32-bit floats) are left alone. Returns how many matrices
    were changed.
    """
    generator = torch.Generator().manual_seed(seed)
    changed = 0
    for name, weight in model.named_parameters():
        if weight.dim() != 2 or component_of(name) not in ("attention", "MLP (SwiGLU)"):
            continue
        blocks = weight.data.reshape(-1, 32)  # (n_blocks, 32): a view, so the update is in place
        step = (blocks.max(1, keepdim=True).values - blocks.min(1, keepdim=True).values) / 15
        noise = (torch.rand(blocks.shape, generator=generator) - 0.5) * step * doses ** 0.5
        blocks.add_(noise)
        changed += 1
    return changed
