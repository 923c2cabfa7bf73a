# Right: torch.where with a "keep" mask built by broadcasting.
import torch


def mask_labels(input_ids, attention_mask, prompt_lengths):
    T = input_ids.shape[1]
    starts = torch.tensor(list(prompt_lengths)).view(-1, 1)             # (B, 1)
    keep = (torch.arange(T).view(1, -1) >= starts) & attention_mask.bool()  # (B, T)
    return torch.where(keep, input_ids, torch.full_like(input_ids, -100))
