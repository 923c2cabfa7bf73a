# Right: a copy, then one row at a time: the prompt slice, then the padded positions.
def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.clone()
    for row, n_prompt in enumerate(prompt_lengths):
        labels[row, :n_prompt] = -100
        labels[row][attention_mask[row] == 0] = -100
    return labels
