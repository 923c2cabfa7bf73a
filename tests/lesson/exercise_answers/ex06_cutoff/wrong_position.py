# Wrong: returns the position of the period, not the period itself.
# Message: position of 2019, not the period
import numpy as np


def estimate_cutoff(accuracy, chance):
    bar = chance + (accuracy.max() - chance) / 2
    return int(np.flatnonzero(accuracy.to_numpy() >= bar)[-1])
