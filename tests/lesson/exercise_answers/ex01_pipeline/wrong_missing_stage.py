# Wrong: a stage left out.
# Message: exactly once.*missing|missing
pipeline = ["pretraining", "instruction tuning", "preference tuning"]
