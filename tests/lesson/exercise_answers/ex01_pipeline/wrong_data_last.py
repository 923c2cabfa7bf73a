# Wrong: the training data after the tuning stages.
# Message: training data
pipeline = ["pretraining", "instruction tuning", "preference tuning", "training data"]
