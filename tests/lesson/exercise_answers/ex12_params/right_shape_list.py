# Right: list every weight's shape, then add up the products.
def count_parameters(config):
    d, v, f = config["hidden_size"], config["vocab_size"], config["intermediate_size"]
    head_dim = d // config["num_attention_heads"]
    kv = config["num_key_value_heads"] * head_dim
    shapes = [(v, d)]
    for _ in range(config["num_hidden_layers"]):
        shapes += [(d, d), (d, kv), (d, kv), (d, d)]      # q, k, v, o
        shapes += [(d, f), (d, f), (f, d)]                # gate, up, down
        shapes += [(d, 1), (d, 1)]                        # two norms
    shapes.append((d, 1))                                 # final norm
    if not config["tie_word_embeddings"]:
        shapes.append((d, v))
    return sum(a * b for a, b in shapes)
