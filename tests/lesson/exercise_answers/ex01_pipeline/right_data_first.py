# Right: the data is chosen and cleaned before pretraining reads it.
pipeline = ["training data", "pretraining", "instruction tuning", "preference tuning"]
