# Right: a dict of components, the output layer added only when untied.
def count_parameters(config):
    c = config
    hd = c["hidden_size"] // c["num_attention_heads"]
    parts = {
        "embed": c["vocab_size"] * c["hidden_size"],
        "q_o": 2 * c["hidden_size"] ** 2,
        "k_v": 2 * c["hidden_size"] * c["num_key_value_heads"] * hd,
        "mlp": 3 * c["hidden_size"] * c["intermediate_size"],
        "norms": 2 * c["hidden_size"],
    }
    total = parts["embed"] + c["num_hidden_layers"] * (parts["q_o"] + parts["k_v"] + parts["mlp"] + parts["norms"])
    total += c["hidden_size"]
    total += 0 if c["tie_word_embeddings"] else c["vocab_size"] * c["hidden_size"]
    return total
