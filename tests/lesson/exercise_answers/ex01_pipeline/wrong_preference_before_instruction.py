# Wrong: preference tuning before instruction tuning.
# Message: preference tuning.*instruction tuning|instruction tuning.*preference tuning
pipeline = ["pretraining", "training data", "preference tuning", "instruction tuning"]
