# Wrong: the stages renamed instead of the given strings.
# Message: are not among
pipeline = ["Data", "Pretraining", "SFT", "RLHF"]
