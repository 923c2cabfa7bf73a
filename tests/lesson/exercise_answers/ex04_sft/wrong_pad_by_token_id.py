# Wrong: padding found by token id 0 instead of the attention mask.
# Message: by attention_mask, not by token id
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    for b, n in enumerate(prompt_lengths):
        labels[b, :n] = -100
    labels[input_ids == 0] = -100
    return labels
