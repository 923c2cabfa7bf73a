# Wrong: one string instead of a list of four.
# Message: expected a list
pipeline = "training data, pretraining, instruction tuning, preference tuning"
