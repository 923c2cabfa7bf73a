# Wrong: one string instead of a list of four.
# Message: list
pipeline = "training data, pretraining, instruction tuning, preference tuning"
