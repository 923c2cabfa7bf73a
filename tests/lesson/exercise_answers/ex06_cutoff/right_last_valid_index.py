# Right: mask the periods below the bar, ask pandas for the last one left.
def estimate_cutoff(accuracy, chance):
    halfway = chance + (accuracy.max() - chance) / 2
    return accuracy.where(accuracy >= halfway).last_valid_index()
