# Wrong: returns a NumPy array, not a tensor.
# Message: return a torch tensor
import numpy as np


def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = np.array(input_ids)
    for b, n in enumerate(prompt_lengths):
        labels[b, :n] = -100
    labels[np.array(attention_mask) == 0] = -100
    return labels
