# Wrong: masks the response and keeps the prompt.
# Message: prompt positions \[0, 1, 2\] should be -100
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    for b, n in enumerate(prompt_lengths):
        labels[b, n:] = -100
    labels[attention_mask == 0] = -100
    return labels
