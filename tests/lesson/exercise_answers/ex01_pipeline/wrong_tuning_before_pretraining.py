# Wrong: instruction tuning before pretraining.
# Message: instruction tuning.*pretrain|pretrain.*instruction tuning
pipeline = ["training data", "instruction tuning", "pretraining", "preference tuning"]
