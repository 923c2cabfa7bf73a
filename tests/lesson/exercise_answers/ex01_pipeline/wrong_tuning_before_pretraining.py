# Wrong: instruction tuning before pretraining.
# Message: tuning starts from a pretrained model
pipeline = ["training data", "instruction tuning", "pretraining", "preference tuning"]
