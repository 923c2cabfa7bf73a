# Wrong: labels come back as floats (cross-entropy needs integer class labels).
# Message: keep input_ids's dtype


def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone().float()
    for b, n in enumerate(prompt_lengths):
        labels[b, :n] = -100
    labels[attention_mask == 0] = -100
    return labels
