"""The student's own code in the training loops: an exercise's answer trains the tiny model.

After the loss (Exercise 2), the label mask (Exercise 4) and the DPO loss (Exercise 5), the
notebook runs one short training twice, once with the student's function plugged into the
lab's loop and once with the lab's own, and plots both runs on the same axes. A wrong answer
shows up as a wrong curve, not only as a failed assert. A function that is not answered yet,
or that fails, is reported in one sentence and the reference runs alone: these demos never
stop the notebook.

Example:
    >>> runs = compare_pretraining(next_token_loss, steps=60)      # doctest: +SKIP
    >>> note_failures(runs, exercise=2, name="next_token_loss")   # doctest: +SKIP
    >>> plot_pretraining(runs)                                     # doctest: +SKIP
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import torch


@dataclass
class Run:
    """One training run of a comparison: whose function it used, what it recorded, what failed."""

    label: str
    history: dict = field(default_factory=dict)
    model: object = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _run(label: str, train) -> Run:
    """Call ``train()`` -> ``(history, model)``; turn any failure of the student's code into a note.

    Warnings raised inside are dropped: a failing answer gets one sentence, not a wall of text.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history, model = train()
    except NotImplementedError:
        return Run(label, error="not answered yet")
    except Exception as error:  # the student's function may fail in any way: report, do not stop
        return Run(label, error=_first_line(error))
    return Run(label, history, model)


def note_failures(runs: list[Run], exercise: int, name: str) -> None:
    """Print one sentence per run that could not train, saying what to do."""
    for run in runs:
        if run.error == "not answered yet":
            print(f"Exercise {exercise} is not answered yet: showing the reference run alone. "
                  f"Answer it, run its cells, then run this cell again to train with your {name}.")
        elif run.error:
            print(f"Your {name} could not train the model ({run.error}); showing the reference run alone.")


def _students(fn, label: str, runs: list[Run], train) -> list[Run]:
    if fn is None:
        return runs + [Run(label, error="not answered yet")]
    return runs + [_run(label, train)]


# --- Exercise 2: the next-token loss ------------------------------------------------------

def _trainable(loss_fn):
    """Wrap a student's loss so that a result gradients cannot flow through fails clearly."""
    def checked(logits, token_ids):
        try:
            out = loss_fn(logits, token_ids)
        except (RuntimeError, TypeError) as error:
            if "numpy" in str(error).lower():
                raise TypeError("it turns the logits into NumPy, which cuts the gradient; "
                                "use torch operations on the tensors it is given") from None
            raise
        if not torch.is_tensor(out) or out.grad_fn is None:
            raise TypeError("it returns a plain number, so no gradient can flow back to the model; "
                            "build the loss from torch operations and return the tensor")
        return out.reshape(())
    return checked


def compare_pretraining(your_loss, steps: int = 60, batch_size: int = 16, seed: int = 0) -> list[Run]:
    """Train two fresh copies of the code model for ``steps`` steps: the lab's loss, then yours.

    Both runs see the same batches in the same order and are evaluated the same way (the
    held-out next-token loss every 10 steps), so any gap between them comes from the loss.
    """
    from trainlab.seed import set_seed
    from trainlab.stages.code_model import CODE_CONFIG, code_splits, code_tokenizer, encode_chunks
    from trainlab.stages.model import TinyConfig, build_tiny_lm
    from trainlab.stages.pretrain import shifted_cross_entropy, train_tiny_lm

    tokenizer = code_tokenizer(CODE_CONFIG.vocab_size)
    train, held_out = code_splits("general")
    train_tokens, val_tokens = encode_chunks(train, tokenizer), encode_chunks(held_out, tokenizer)
    sizes = TinyConfig(**{**CODE_CONFIG.__dict__, "vocab_size": len(tokenizer)})

    def trainer(loss_fn, desc):
        def train():
            set_seed(seed)
            model = build_tiny_lm(sizes, eos_token_id=tokenizer.eos_token_id)
            history = train_tiny_lm(model, train_tokens, steps=steps, batch_size=batch_size, seed=seed,
                                    val_tokens=val_tokens, eval_every=10, loss_fn=loss_fn,
                                    progress=desc)
            return history, model
        return train

    runs = [_run("reference loss", trainer(shifted_cross_entropy, "reference loss"))]
    return _students(your_loss, "your next_token_loss", runs,
                     trainer(_trainable(your_loss) if your_loss else None, "your next_token_loss"))


def plot_pretraining(runs: list[Run]):
    """Left: the loss each run minimised. Right: the held-out next-token loss, measured alike."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    for run, style in zip(runs, ("-", "--"), strict=False):
        if not run.ok:
            continue
        left.plot(run.history["step"], run.history["loss"], style, lw=1, label=run.label)
        right.plot(run.history["val_step"], run.history["val_loss"], style + "o", ms=3, label=run.label)
    left.set(xlabel="step", ylabel="loss the run minimised", title="What each loss reports")
    right.set(xlabel="step", ylabel="nats per token", title="Held-out next-token loss (same yardstick)")
    for ax in (left, right):
        ax.legend(fontsize=8)
    return fig


# --- Exercise 4: the label mask -----------------------------------------------------------

def compare_sft(your_mask, base_model, tokenizer, records: list[dict], seed: int = 0) -> list[Run]:
    """Instruction-tune two copies of ``base_model`` on ``records``: the lab's labels, then yours."""
    from trainlab.stages.sft import train_sft

    return _compare_tuning(train_sft, "mask_fn", your_mask, base_model, tokenizer, records, seed,
                           ("reference labels", "your mask_labels"))


def plot_sft(runs: list[Run]):
    """The loss on the answer tokens (as the reference labels define them), step by step."""
    fig, _ = _plot_by_step(runs, "answer_loss", "nats per answer token", "Loss on the answers while tuning")
    return fig


def _compare_tuning(train_fn, fn_keyword: str, your_fn, start_model, tokenizer, records, seed,
                    labels: tuple[str, str]) -> list[Run]:
    """Run ``train_fn`` on two copies of ``start_model``: the lab's piece, then the student's."""
    def trainer(fn):
        def train():
            model = copy.deepcopy(start_model)
            history = train_fn(model, tokenizer, records, seed=seed, progress=False, **{fn_keyword: fn})
            return history, model
        return train

    reference, yours = labels
    return _students(your_fn, yours, [_run(reference, trainer(None))], trainer(your_fn))


def _plot_by_step(runs: list[Run], key: str, ylabel: str, title: str):
    """One line per run that trained: ``history[key]`` against the step."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
    for run, style in zip(runs, ("-", "--"), strict=False):
        if run.ok:
            ax.plot(run.history["step"], run.history[key], style, label=run.label)
    ax.set(xlabel="step", ylabel=ylabel, title=title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    return fig, ax


# --- Exercise 5: the DPO loss -------------------------------------------------------------

def compare_dpo(your_loss, sft_model, tokenizer, records: list[dict], seed: int = 0) -> list[Run]:
    """Preference-tune two copies of ``sft_model`` on ``records``: the lab's DPO loss, then yours.

    The supervised term on the chosen answers and the logged rewards are the lab's in both runs,
    so only the DPO term differs.
    """
    from trainlab.stages.dpo import train_dpo

    return _compare_tuning(train_dpo, "loss_fn", your_loss, sft_model, tokenizer, records, seed,
                           ("reference DPO loss", "your dpo_loss"))


def plot_dpo(runs: list[Run]):
    """The reward margin (chosen minus rejected), step by step, for each run."""
    fig, ax = _plot_by_step(runs, "reward_margin", "reward margin", "Chosen minus rejected reward while tuning")
    ax.axhline(0, color="grey", lw=0.8)
    return fig
