# Wrong: the whole order reversed.
# Message: tuning starts from a pretrained model
pipeline = ["preference tuning", "instruction tuning", "pretraining", "training data"]
