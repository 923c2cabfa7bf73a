# Wrong: preference tuning before instruction tuning.
# Message: goes through 'instruction tuning' first
pipeline = ["pretraining", "training data", "preference tuning", "instruction tuning"]
