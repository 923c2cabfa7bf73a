"""Stage 4, preference tuning: Direct Preference Optimization with a frozen reference model.

DPO (Rafailov et al. 2023) trains on ``{"prompt", "chosen", "rejected"}`` records. For each
answer it sums the policy's log-probabilities of the answer tokens, subtracts the same sum
under a frozen copy of the starting model (the *reference*), and pushes the chosen answer's
log-ratio above the rejected one's:

    loss = -log sigmoid(beta * ((pc - rc) - (pr - rr)))

``beta * (pc - rc)`` is the chosen answer's implicit *reward*; the reward margin is chosen
minus rejected. On a tiny model plain DPO can lower both answers' probabilities and wreck the
text while the reward accuracy reads 1.0, so the loop adds an SFT term on the chosen answers
(mean negative log-likelihood per token), as TRL does with ``loss_type=["sigmoid", "sft"]``.
The batch layout is TRL's: all chosen rows, then all rejected rows.

Example:
    >>> history = train_dpo(model, tokenizer, records, epochs=6)
    >>> history["reward_accuracy"][-1], history["reward_margin"][-1]
"""
import copy

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from trainlab.seed import make_generator


def collate_preferences(records: list[dict], tokenizer) -> dict:
    """Tokenize records into one right-padded batch: chosen rows, then rejected rows.

    ``completion_mask`` is 1 on answer tokens (end-of-text included) and 0 on prompt and padding.
    """
    rows, masks = [], []
    for key in ("chosen", "rejected"):
        for r in records:
            prompt_ids = tokenizer(r["prompt"]).input_ids
            answer_ids = tokenizer(r[key]).input_ids + [tokenizer.eos_token_id]
            rows.append(prompt_ids + answer_ids)
            masks.append([0] * len(prompt_ids) + [1] * len(answer_ids))
    length = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), length), tokenizer.pad_token_id)  # (2B, T)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)  # (2B, T)
    completion_mask = torch.zeros((len(rows), length), dtype=torch.long)  # (2B, T)
    for i, (ids, mask) in enumerate(zip(rows, masks, strict=True)):
        input_ids[i, :len(ids)] = torch.tensor(ids)
        attention_mask[i, :len(ids)] = 1
        completion_mask[i, :len(ids)] = torch.tensor(mask)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "completion_mask": completion_mask}


def token_logps(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probability of each answer token given what precedes it, and the answer mask.

    Returns ``(logps, mask)`` of shape ``(2B, T-1)``: position t scores token t+1.
    """
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # (2B, T, V)
    logprobs = F.log_softmax(logits[:, :-1, :], dim=-1)  # (2B, T-1, V)
    targets = batch["input_ids"][:, 1:]  # (2B, T-1)
    logps = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (2B, T-1)
    mask = batch["completion_mask"][:, 1:].float()  # (2B, T-1)
    return logps * mask, mask


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float = 0.1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The sigmoid DPO loss from summed answer log-probabilities, each of shape ``(B,)``.

    Returns ``(loss, chosen_rewards, rejected_rewards)``; the loss is the batch mean.
    """
    chosen_rewards = beta * (policy_chosen - ref_chosen)  # (B,)
    rejected_rewards = beta * (policy_rejected - ref_rejected)  # (B,)
    loss = -F.logsigmoid(chosen_rewards - rejected_rewards).mean()
    return loss, chosen_rewards.detach(), rejected_rewards.detach()


def preference_step(policy, reference, batch: dict, beta: float, sft_weight: float, loss_fn=None) -> dict:
    """DPO loss plus ``sft_weight`` times the chosen answers' mean token NLL, on one batch.

    ``loss_fn(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)``, if given,
    replaces the DPO term (it returns the scalar loss only); the logged rewards and margins are
    always :func:`dpo_loss`'s, so runs with different losses are measured alike.
    """
    logps, mask = token_logps(policy, batch)  # (2B, T-1), (2B, T-1)
    with torch.no_grad():
        ref_logps, _ = token_logps(reference, batch)  # (2B, T-1)
    policy_chosen, policy_rejected = logps.sum(-1).chunk(2)  # (B,), (B,)
    ref_chosen, ref_rejected = ref_logps.sum(-1).chunk(2)  # (B,), (B,)
    loss, chosen_rewards, rejected_rewards = dpo_loss(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    if loss_fn is not None:
        loss = loss_fn(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)
    chosen_logps, _ = logps.chunk(2)  # (B, T-1)
    chosen_mask, _ = mask.chunk(2)  # (B, T-1)
    sft = -chosen_logps.sum() / chosen_mask.sum()
    margins = chosen_rewards - rejected_rewards  # (B,)
    return {"loss": loss + sft_weight * sft, "dpo": loss.detach(), "sft": sft.detach(),
            "reward_margin": margins.mean().item(), "reward_accuracy": (margins > 0).float().mean().item()}


def train_dpo(model, tokenizer, records: list[dict], epochs: int = 12, batch_size: int = 8,
              lr: float = 5e-4, beta: float = 0.1, sft_weight: float = 1.0, seed: int = 0,
              reference=None, progress: bool = True, loss_fn=None) -> dict:
    """Preference-tune ``model`` in place against a frozen reference; return the history.

    The reference defaults to a copy of ``model`` as it starts. ``history`` has per-step
    ``loss``, ``reward_margin`` and ``reward_accuracy``. Set ``sft_weight=0`` for plain DPO
    (and then look at the answers, not just the margins). ``loss_fn`` replaces the DPO term
    (see :func:`preference_step`), as the lesson does with the student's own loss.

    The defaults (12 epochs, lr 5e-4, beta 0.1, sft_weight 1) were chosen on the training
    pairs alone: the tuned facts stay right and the tuned post-cutoff questions get a clean
    abstention; other settings garbled answers into "I don't know.<call>".
    """
    reference = (reference if reference is not None else copy.deepcopy(model)).eval()
    for p in reference.parameters():
        p.requires_grad_(False)
    generator = make_generator(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    history = {"step": [], "loss": [], "reward_margin": [], "reward_accuracy": []}
    steps_per_epoch = (len(records) + batch_size - 1) // batch_size
    bar = tqdm(total=epochs * steps_per_epoch, desc="DPO", disable=not progress)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(records), generator=generator).tolist()
        for start in range(0, len(order), batch_size):
            batch = collate_preferences([records[i] for i in order[start:start + batch_size]], tokenizer)
            out = preference_step(model, reference, batch, beta, sft_weight, loss_fn)
            optimizer.zero_grad(set_to_none=True)
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            history["step"].append(len(history["step"]))
            history["loss"].append(out["loss"].item())
            history["reward_margin"].append(out["reward_margin"])
            history["reward_accuracy"].append(out["reward_accuracy"])
            bar.update(1)
    bar.close()
    model.eval()
    return history


@torch.no_grad()
def make_logp_batch(policy, reference, tokenizer, records: list[dict]) -> dict:
    """Summed answer log-probabilities under two models, for checking a DPO loss by hand.

    Returns ``{"policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected"}``, each ``(B,)``.
    """
    batch = collate_preferences(records, tokenizer)
    policy_chosen, policy_rejected = token_logps(policy, batch)[0].sum(-1).chunk(2)  # (B,), (B,)
    ref_chosen, ref_rejected = token_logps(reference, batch)[0].sum(-1).chunk(2)  # (B,), (B,)
    return {"policy_chosen": policy_chosen, "policy_rejected": policy_rejected,
            "ref_chosen": ref_chosen, "ref_rejected": ref_rejected}
