# Right: the stages as the lesson's table numbers them.
pipeline = ["pretraining", "training data", "instruction tuning", "preference tuning"]
