# Wrong: returns the position of the period, not the period itself.
# Message: label|index|position
import numpy as np


def estimate_cutoff(accuracy, chance):
    bar = chance + (accuracy.max() - chance) / 2
    return int(np.flatnonzero(accuracy.to_numpy() >= bar)[-1])
