# Wrong: the training data after the tuning stages.
# Message: a model goes through 'training data' first
pipeline = ["pretraining", "instruction tuning", "preference tuning", "training data"]
