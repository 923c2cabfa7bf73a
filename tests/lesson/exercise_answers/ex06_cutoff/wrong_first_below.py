# Wrong: the first period below the bar (one too late).
# Message: last year at or above
def estimate_cutoff(accuracy, chance):
    bar = chance + (accuracy.max() - chance) / 2
    below = accuracy[accuracy < bar]
    return below.index[0]
