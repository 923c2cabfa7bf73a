"""Fast mode: small trained checkpoints of every lab stage, and the command that rebuilds them.

A student short of time, and the autograder (nbgrader sets ``NBGRADER_EXECUTION`` while it
autogrades or validates), load these instead of training; :func:`fast_mode` says which path
to take, and ``TRAINLAB_FAST=0`` or ``=1`` overrides it. The checkpoints are rebuilt, with the
lab's default settings, by::

    python -m trainlab.checkpoints

which trains the code model, the world model, its SFT and DPO successors, saves them as
float16 safetensors beside this file (about 2 MB in all) and writes ``summary.json``: the
effects each checkpoint shows, measured on the saved weights, so a test can re-measure them.

Example:
    >>> if fast_mode():
    ...     model, tokenizer = load_checkpoint("world_dpo")
"""
import copy
import json
import os
from pathlib import Path

from trainlab.tinylm import load_tiny_lm, save_tiny_lm

CHECKPOINT_DIR = Path(__file__).parent
NAMES = ("code_lm", "world_base", "world_sft", "world_dpo")
CODE_STEPS = 600  # more than the live demo (240): the shipped model writes more convincing code


def fast_mode() -> bool:
    """True when training should be skipped: under nbgrader, or if ``TRAINLAB_FAST=1``."""
    flag = os.environ.get("TRAINLAB_FAST")
    if flag is not None:
        return flag == "1"
    return "NBGRADER_EXECUTION" in os.environ


def load_checkpoint(name: str, directory: Path = CHECKPOINT_DIR):
    """Load a shipped checkpoint (one of ``NAMES``) as ``(model, tokenizer)``, float32, eval mode."""
    if name not in NAMES:
        raise ValueError(f"unknown checkpoint {name!r}: choose one of {NAMES}")
    path = Path(directory) / name
    if not (path / "model.safetensors").exists():
        raise FileNotFoundError(f"{path} is missing: rebuild with `python -m trainlab.checkpoints`")
    return load_tiny_lm(path)


def measure_checkpoints(directory: Path = CHECKPOINT_DIR) -> dict:
    """The effects the lesson claims, measured on the saved checkpoints (greedy, so repeatable)."""
    from trainlab.codelm import code_splits, encode_chunks
    from trainlab.data_experiments import run_recency_experiment, run_singleton_experiment
    from trainlab.pretrain import evaluate_loss
    from trainlab.worldlm import grade_answers, split_facts

    code, code_tok = load_checkpoint("code_lm", directory)
    _, held_out = code_splits("general")
    split = split_facts()
    summary = {"code_lm": {"held_out_loss": evaluate_loss(code, encode_chunks(held_out, code_tok),
                                                          code.config.n_positions)}}
    base, tok = load_checkpoint("world_base", directory)
    summary["world_base"] = {"singleton": run_singleton_experiment(base, tok),
                             "recency_quiver2": run_recency_experiment(base, tok)["quiver 2"]}
    for name in ("world_base", "world_sft", "world_dpo"):
        model, tok = load_checkpoint(name, directory)
        summary.setdefault(name, {})["known"] = grade_answers(model, tok, split["known"])
        summary[name]["unknown_test"] = grade_answers(model, tok, split["unknown_test"])
    return summary


def build_checkpoints(directory: Path = CHECKPOINT_DIR, progress: bool = True) -> dict:
    """Train every stage with the lab's defaults, save the checkpoints, write and return the summary."""
    from trainlab.codelm import train_code_lm
    from trainlab.dpo import train_dpo
    from trainlab.seed import set_threads
    from trainlab.sft import train_sft
    from trainlab.worldlm import make_tuning_data, train_world_lm

    set_threads()
    directory = Path(directory)
    code, code_tok, _ = train_code_lm(steps=CODE_STEPS, progress=progress)
    save_tiny_lm(code, code_tok, directory / "code_lm")
    base, tok, _ = train_world_lm(progress=progress)
    save_tiny_lm(base, tok, directory / "world_base")
    data = make_tuning_data()
    tuned = copy.deepcopy(base)
    train_sft(tuned, tok, data["sft"], progress=progress)
    save_tiny_lm(tuned, tok, directory / "world_sft")
    train_dpo(tuned, tok, data["dpo"], progress=progress)
    save_tiny_lm(tuned, tok, directory / "world_dpo")
    summary = {"regenerate": "python -m trainlab.checkpoints", **measure_checkpoints(directory)}
    (directory / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
