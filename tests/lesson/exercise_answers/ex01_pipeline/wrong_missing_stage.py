# Wrong: a stage left out.
# Message: missing \['training data'\]
pipeline = ["pretraining", "instruction tuning", "preference tuning"]
