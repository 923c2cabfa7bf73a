# Wrong: writes -100 into input_ids itself.
# Message: work on a copy
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids
    for b, n in enumerate(prompt_lengths):
        labels[b, :n] = -100
    labels[attention_mask == 0] = -100
    return labels
