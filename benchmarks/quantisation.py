"""Estimate what rounding SmolLM2's matrices to 4 bits costs its recall of dated facts.

The original bf16 weights are not shipped, so the first rounding cannot be undone. Instead
this adds a *second* dose of the same rounding error (see ``trainlab.smollm.weights
.add_rounding_noise``) and re-scores the dated facts: the drop from one more dose estimates
what the first one cost. Each seed is a fresh model load (a few seconds from the cache) and a
full quiz (about a minute on 2 cores).

Usage:
    python benchmarks/quantisation.py --seeds 3

The last line is machine-readable:
    quantisation: shipped_acc=<share right> noisy_acc=<mean over seeds> shipped_logp=<nats> noisy_logp=<nats>
"""
from __future__ import annotations

import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY and offline mode before torch loads)

# isort: split
import argparse

import numpy as np

from trainlab.smollm.cutoff import WRONG, load_dated_facts
from trainlab.smollm.loader import load_model
from trainlab.smollm.prompts import chat_prompt
from trainlab.smollm.scoring import score_continuations
from trainlab.smollm.weights import add_rounding_noise


def quiz(lm, facts) -> tuple[float, float]:
    """Share of facts right, and mean log-probability (nats) of the right answer."""
    right, logp = [], []
    for fact in facts.itertuples(index=False):
        choices = [fact.correct] + [getattr(fact, w) for w in WRONG]
        prompt = chat_prompt(lm.tokenizer, fact.question) + fact.stem
        scores = [s["sum"] for s in score_continuations(lm, prompt, [" " + c for c in choices])]
        right.append(int(np.argmax(scores)) == 0)
        logp.append(scores[0])
    return float(np.mean(right)), float(np.mean(logp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    facts = load_dated_facts()
    lm = load_model()
    original = {name: p.detach().clone() for name, p in lm.model.named_parameters()}
    shipped = quiz(lm, facts)
    print(f"as shipped: {shipped[0]:.3f} right, right answer {shipped[1]:.2f} nats", flush=True)
    noisy = []
    for seed in range(args.seeds):
        for name, p in lm.model.named_parameters():
            p.data.copy_(original[name])
        add_rounding_noise(lm.model, seed=seed)
        noisy.append(quiz(lm, facts))
        print(f"one more dose, seed {seed}: {noisy[-1][0]:.3f} right, right answer {noisy[-1][1]:.2f} nats", flush=True)
    acc, logp = np.mean([n[0] for n in noisy]), np.mean([n[1] for n in noisy])
    print(f"quantisation: shipped_acc={shipped[0]:.3f} noisy_acc={acc:.3f} "
          f"shipped_logp={shipped[1]:.2f} noisy_logp={logp:.2f}")


if __name__ == "__main__":
    main()
