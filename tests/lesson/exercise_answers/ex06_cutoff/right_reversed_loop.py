# Right: walk the periods from the last one back; the first at or above the bar is the answer.
def estimate_cutoff(accuracy, chance):
    bar = (max(accuracy) + chance) / 2
    for period, score in reversed(list(accuracy.items())):
        if score >= bar:
            return period
