# Wrong: the period before the first one that falls below the bar.
# Message: last period at or above
def estimate_cutoff(accuracy, chance):
    bar = chance + (accuracy.max() - chance) / 2
    previous = None
    for period, score in accuracy.items():
        if score < bar:
            return previous
        previous = period
    return previous
