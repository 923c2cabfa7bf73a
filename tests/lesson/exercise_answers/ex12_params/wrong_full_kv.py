# Wrong: key and value projections counted hidden x hidden (no grouped KV heads).
# Message: num_key_value_heads × head_dim
def count_parameters(config):
    d, v = config["hidden_size"], config["vocab_size"]
    block = 4 * d * d + 3 * d * config["intermediate_size"] + 2 * d
    head = 0 if config["tie_word_embeddings"] else v * d
    return v * d + config["num_hidden_layers"] * block + d + head
