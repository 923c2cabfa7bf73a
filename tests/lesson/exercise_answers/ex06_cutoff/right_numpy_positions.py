# Right: positions with NumPy, then the label at the last one.
import numpy as np


def estimate_cutoff(accuracy, chance):
    values = accuracy.to_numpy()
    threshold = chance + 0.5 * (values.max() - chance)
    return accuracy.index[np.flatnonzero(values >= threshold)[-1]]
