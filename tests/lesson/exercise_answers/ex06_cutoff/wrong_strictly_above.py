# Wrong: strictly above the bar, so a period exactly at it does not count.
# Message: compare with >=
def estimate_cutoff(accuracy, chance):
    bar = chance + (accuracy.max() - chance) / 2
    return accuracy[accuracy > bar].index[-1]
