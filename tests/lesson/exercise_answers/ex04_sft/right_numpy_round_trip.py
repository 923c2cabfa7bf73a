# Right: the work done in NumPy, a tensor returned.
import numpy as np
import torch


def mask_labels(input_ids, attention_mask, prompt_lengths):
    labels = input_ids.numpy().copy()
    cols = np.arange(labels.shape[1])
    labels[cols[None, :] < np.asarray(prompt_lengths)[:, None]] = -100
    labels[attention_mask.numpy() == 0] = -100
    return torch.from_numpy(labels)
