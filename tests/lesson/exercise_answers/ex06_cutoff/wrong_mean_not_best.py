# Wrong: halfway from chance to the mean accuracy instead of the best.
# Message: best period's accuracy, not the mean
def estimate_cutoff(accuracy, chance):
    bar = chance + (accuracy.mean() - chance) / 2
    return accuracy[accuracy >= bar].index[-1]
