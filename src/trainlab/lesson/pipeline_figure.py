"""The four-stage training pipeline as a figure: what goes in, what each stage adds.

Each box is one stage; the arrow under it names the data it consumes, and the text inside says
what the model gains. The lesson's later sections each come back to one box.
"""
from __future__ import annotations

STAGES = [
    # (name, what it does, what the model gains, the data it consumes)
    ("1. Pretraining", "predict the next token", "grammar, facts,\ncoding patterns",
     "trillions of tokens\nof text and code"),
    ("2. Training data", "choose, clean, weight", "the limits of\nwhat it knows", "coverage, quality,\nrecency"),
    ("3. Instruction tuning", "fine-tune on\nrequest → response", "the habit of\nfollowing requests",
     "thousands of curated\ndemonstrations"),
    ("4. Preference tuning", "tune toward\npreferred answers", "helpful, honest,\nharmless",
     "human (or model)\nrankings of answers"),
]


def plot_pipeline(ax=None):
    """Draw the four stages left to right and return the Axes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.4))
    colours = ["#4C72B0", "#8172B2", "#55A868", "#C44E52"]
    for i, (name, action, gain, data) in enumerate(STAGES):
        x = i * 2.6
        ax.add_patch(FancyBboxPatch((x, 0.9), 2.1, 1.7, boxstyle="round,pad=0.05",
                                    facecolor=colours[i], alpha=0.18, edgecolor=colours[i]))
        ax.text(x + 1.05, 2.35, name, ha="center", va="center", fontsize=10, weight="bold")
        ax.text(x + 1.05, 1.8, action, ha="center", va="center", fontsize=8.5)
        ax.text(x + 1.05, 1.2, gain, ha="center", va="center", fontsize=8.5, style="italic")
        ax.text(x + 1.05, 0.35, data, ha="center", va="center", fontsize=7.5, color="0.35")
        if i < len(STAGES) - 1:
            ax.add_patch(FancyArrowPatch((x + 2.15, 1.75), (x + 2.55, 1.75),
                                         arrowstyle="-|>", mutation_scale=14, color="0.3"))
    ax.set_xlim(-0.2, len(STAGES) * 2.6 - 0.3)
    ax.set_ylim(0, 2.8)
    ax.axis("off")
    ax.set_title("Each stage starts from the model the previous one produced", fontsize=10)
    return ax
