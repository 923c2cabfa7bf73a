# Right: head_dim with true division (a float), the total rounded back to an int.
def count_parameters(config):
    h = config["hidden_size"]
    head_dim = h / config["num_attention_heads"]
    attention = 2 * h * h + 2 * h * config["num_key_value_heads"] * head_dim
    mlp = 3 * h * config["intermediate_size"]
    per_layer = attention + mlp + 2 * h
    embeddings = config["vocab_size"] * h * (1 if config["tie_word_embeddings"] else 2)
    return int(round(embeddings + config["num_hidden_layers"] * per_layer + h))
