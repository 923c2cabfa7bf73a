# Wrong: normalisation vectors left out.
# Message: normalisation vectors per block
def count_parameters(config):
    d, v = config["hidden_size"], config["vocab_size"]
    kv = config["num_key_value_heads"] * (d // config["num_attention_heads"])
    block = 2 * d * d + 2 * d * kv + 3 * d * config["intermediate_size"]
    head = 0 if config["tie_word_embeddings"] else v * d
    return v * d + config["num_hidden_layers"] * block + head
