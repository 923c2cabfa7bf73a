# Right: masked_fill; padding found from each row's length (the attention mask's sum).
import torch


def mask_labels(input_ids, attention_mask, prompt_lengths):
    positions = torch.arange(input_ids.size(1)).expand_as(input_ids)
    lengths = attention_mask.sum(dim=1, keepdim=True)
    prompt = torch.as_tensor(prompt_lengths).unsqueeze(1)
    return input_ids.masked_fill((positions < prompt) | (positions >= lengths), -100)
