# Wrong: uses the first row's prompt length for every row.
# Message: prompt_lengths\[1\]
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    labels[:, : prompt_lengths[0]] = -100
    labels[attention_mask == 0] = -100
    return labels
