# Wrong: the stages renamed instead of the given strings.
# Message: not among
pipeline = ["Data", "Pretraining", "SFT", "RLHF"]
