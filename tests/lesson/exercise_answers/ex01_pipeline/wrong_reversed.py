# Wrong: the whole order reversed.
# Message: pretrain
pipeline = ["preference tuning", "instruction tuning", "pretraining", "training data"]
