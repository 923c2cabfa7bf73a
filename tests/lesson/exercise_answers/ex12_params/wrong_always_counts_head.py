# Wrong: the output layer is counted even when it is tied to the embedding table.
# Message: tied to the embedding table
def count_parameters(config):
    d, v = config["hidden_size"], config["vocab_size"]
    kv = config["num_key_value_heads"] * (d // config["num_attention_heads"])
    block = 2 * d * d + 2 * d * kv + 3 * d * config["intermediate_size"] + 2 * d
    return 2 * v * d + config["num_hidden_layers"] * block + d
