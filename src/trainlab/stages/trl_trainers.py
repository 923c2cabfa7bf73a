"""The lab's DPO loss checked against the tool practitioners use: TRL's ``DPOTrainer``.

The lesson's main path is the short loops of :mod:`.sft` and :mod:`.dpo`, where the answer
mask, the frozen reference and the loss stay in sight. The records they train on already use
TRL's keys (:mod:`.tuning_data`), so a learner can hand them to TRL 1.16 (huggingface/trl)
unchanged. :func:`make_dpo_trainer` builds a ``DPOTrainer`` with the settings a tiny CPU
model needs: ``bf16=False`` (TRL turns it on by default), the tokenizer as
``processing_class``, ``max_length`` rather than ``max_seq_length``, and the loss
``["sigmoid", "sft"]`` that keeps a tiny model's text intact. :func:`compare_dpo_losses`
shows that the hand-written loss and TRL's agree on one batch.

Example:
    >>> losses = compare_dpo_losses(policy, reference, tokenizer, records[:8])  # doctest: +SKIP
    >>> abs(losses["trl"] - losses["trainlab"]) < 1e-6                         # doctest: +SKIP
    True
"""
import copy
import tempfile

import torch

from trainlab.stages.dpo import collate_preferences, preference_step

_COMMON = dict(bf16=False, fp16=False, report_to="none", save_strategy="no", logging_steps=1,
               use_cpu=True, dataloader_num_workers=0)


def _dataset(records: list[dict]):
    from datasets import Dataset

    return Dataset.from_list(records)


def make_dpo_trainer(model, tokenizer, records: list[dict], reference=None, epochs: int = 6,
                     batch_size: int = 8, lr: float = 5e-4, beta: float = 0.1, sft_weight: float = 1.0,
                     seed: int = 0, output_dir: str | None = None):
    """A ``DPOTrainer`` for ``model`` against ``reference`` (default: a frozen copy of ``model``),
    with the loss sigmoid + ``sft_weight`` * sft."""
    from trl import DPOConfig, DPOTrainer

    loss_type, weights = (["sigmoid", "sft"], [1.0, sft_weight]) if sft_weight else (["sigmoid"], [1.0])
    args = DPOConfig(output_dir=output_dir or tempfile.mkdtemp(), num_train_epochs=epochs,
                     per_device_train_batch_size=batch_size, learning_rate=lr, lr_scheduler_type="constant",
                     warmup_steps=0, weight_decay=0.0, beta=beta, loss_type=loss_type, loss_weights=weights,
                     max_length=model.config.n_positions, seed=seed, **_COMMON)
    reference = reference if reference is not None else copy.deepcopy(model).eval()
    return DPOTrainer(model=model, ref_model=reference, args=args, train_dataset=_dataset(records),
                      processing_class=tokenizer)


def compare_dpo_losses(policy, reference, tokenizer, records: list[dict], beta: float = 0.1) -> dict:
    """The plain sigmoid DPO loss on one batch of ``records``, by TRL and by :mod:`.dpo`.

    Returns ``{"trl": float, "trainlab": float}``. TRL tokenizes and collates the batch itself.
    """
    # TRL patches the reference's forward, so it gets a copy, and ours the original.
    trainer = make_dpo_trainer(policy, tokenizer, records, reference=copy.deepcopy(reference),
                               beta=beta, sft_weight=0.0)
    examples = [trainer.train_dataset[i] for i in range(len(records))]
    inputs = trainer.data_collator(examples)
    policy.eval()
    with torch.no_grad():
        trl_loss = trainer.compute_loss(policy, inputs).item()
        ours = preference_step(policy, reference, collate_preferences(records, tokenizer), beta, 0.0)
    return {"trl": trl_loss, "trainlab": ours["dpo"].item()}
