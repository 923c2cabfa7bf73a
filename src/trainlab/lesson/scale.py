"""Scale and cost: published training runs beside the tiny model trained on this machine.

Training compute is estimated as ``6·N·D`` (parameters × tokens × 6; Kaplan et al. 2020). The
published runs below give N and D from their papers or model cards; where a paper also states
its compute, the estimate agrees with it to within rounding (GPT-3: 3.14e23 FLOPs; Llama 3.1
405B: 3.8e25). The tiny model's point is *measured*: its parameters, the tokens it really saw,
and the wall time it really took, so its FLOP/s is this machine's.

Sources: GPT-3 (Brown et al. 2020), Chinchilla (Hoffmann et al. 2022), Llama 2 (Touvron et al.
2023), Llama 3 herd (Grattafiori et al. 2024), SmolLM2 (Ben Allal et al. 2025).
"""
from __future__ import annotations

import pandas as pd

# Where each label sits, in points from its marker: the three runs near 1e11 parameters and
# 5e23 FLOPs would otherwise print on top of each other.
LABEL_OFFSETS = {"Llama 2 7B": (-8, -10), "Llama 3 8B": (-8, 2), "Chinchilla 70B": (0, -16),
                 "Llama 2 70B": (0, 8), "GPT-3 175B": (6, -2), "Llama 3.1 405B": (-8, -3)}
PUBLISHED_RUNS = [
    # name, parameters, training tokens, year
    ("SmolLM2-135M", 135e6, 2e12, 2024),
    ("GPT-3 175B", 175e9, 300e9, 2020),
    ("Chinchilla 70B", 70e9, 1.4e12, 2022),
    ("Llama 2 7B", 7e9, 2e12, 2023),
    ("Llama 2 70B", 70e9, 2e12, 2023),
    ("Llama 3 8B", 8e9, 15e12, 2024),
    ("Llama 3.1 405B", 405e9, 15.6e12, 2024),
]


def published_runs() -> pd.DataFrame:
    """The published runs with their 6·N·D compute and tokens per parameter."""
    df = pd.DataFrame(PUBLISHED_RUNS, columns=["model", "parameters", "tokens", "year"])
    df["train_flops"] = 6.0 * df["parameters"] * df["tokens"]
    df["tokens_per_param"] = df["tokens"] / df["parameters"]
    return df


def measured_run(name: str, parameters: int, tokens: int, seconds: float) -> dict:
    """A run timed on this machine: its compute and the FLOP/s it achieved."""
    flops = 6.0 * parameters * tokens
    return {"model": name, "parameters": float(parameters), "tokens": float(tokens),
            "train_flops": flops, "seconds": seconds, "flops_per_s": flops / max(seconds, 1e-9)}


def seconds_on_this_machine(flops: float, measured: dict) -> float:
    """How long ``flops`` would take at the FLOP/s the measured run achieved here."""
    return flops / measured["flops_per_s"]


def plot_compute_scale(measured: dict, ax=None):
    """Log-log plot of parameters against training compute, the measured run highlighted."""
    import matplotlib.pyplot as plt

    runs = published_runs()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    ax.scatter(runs["parameters"], runs["train_flops"], color="tab:blue", label="published runs (6·N·D)")
    for _, row in runs.iterrows():
        dx, dy = LABEL_OFFSETS.get(row["model"], (6, -3))
        ax.annotate(row["model"], (row["parameters"], row["train_flops"]), fontsize=8,
                    xytext=(dx, dy), textcoords="offset points",
                    ha="right" if dx < 0 else "left" if dx > 0 else "center")
    ax.scatter([measured["parameters"]], [measured["train_flops"]], color="tab:red", marker="*",
               s=160, label=f"{measured['model']} (trained here, {measured['seconds']:.0f} s)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("training compute (FLOPs)")
    import math

    span = math.log10(runs["train_flops"].max() / measured["train_flops"])
    largest = runs.loc[runs["train_flops"].idxmax(), "model"]
    ax.set_title(f"Training compute: {span:.0f} powers of ten from the run here to {largest}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return ax
