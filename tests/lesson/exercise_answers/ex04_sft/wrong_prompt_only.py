# Wrong: the prompt is masked, the padding is not.
# Message: padding positions \[5, 6\] should be -100
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    for b, n in enumerate(prompt_lengths):
        labels[b, :n] = -100
    return labels
