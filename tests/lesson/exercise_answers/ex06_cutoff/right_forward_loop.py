# Right: a forward loop that remembers the latest period at or above the bar.
def estimate_cutoff(accuracy, chance):
    best = accuracy.max()
    latest = None
    for period in accuracy.index:
        if accuracy[period] - chance >= (best - chance) / 2:
            latest = period
    return latest
