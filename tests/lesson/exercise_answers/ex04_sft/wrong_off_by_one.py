# Wrong: masks one token too many (the first response token too).
# Message: response positions \[3\] should keep their token ids
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    for b, n in enumerate(prompt_lengths):
        labels[b, : n + 1] = -100
    labels[attention_mask == 0] = -100
    return labels
