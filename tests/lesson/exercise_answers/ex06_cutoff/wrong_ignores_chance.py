# Wrong: halfway from zero to the best, chance ignored.
# Message: chance counts
def estimate_cutoff(accuracy, chance):
    bar = accuracy.max() / 2
    return accuracy[accuracy >= bar].index[-1]
