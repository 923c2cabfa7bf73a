"""Generating and scoring with the real model: batches agree with one-at-a-time, fast with float32,
the lean greedy loop with ``model.generate``."""

import pytest
import torch

from trainlab.smollm import generation, packed, scoring
from trainlab.smollm.prompts import chat_prompt, encode_text, pad_id, read_prompts

from model_fixtures import lm  # noqa: F401  (session fixture)


@pytest.mark.model
def test_batched_choice_scores_match_token_by_token_scores(lm):
    prompt = chat_prompt(lm.tokenizer, "Name a fruit.") + "A fruit is"
    choices = [" an apple", " a banana split", " pear"]
    prompt_ids = encode_text(lm.tokenizer, prompt)
    with packed.float32_matmuls():  # the batching itself, with no rounding in between
        batched = scoring.score_continuations(lm, prompt, choices)
        for choice, scored in zip(choices, batched, strict=True):
            ids = encode_text(lm.tokenizer, choice)
            tokens = scoring.score_tokens(lm, prompt_ids, ids)
            assert scored["sum"] == pytest.approx(sum(tokens["logprob"]), abs=1e-3)
            assert scored["n_tokens"] == len(ids)
            assert all(p <= 1 and e >= 0 for p, e in zip(tokens["prob"], tokens["entropy"], strict=True))
    with pytest.raises(ValueError):
        scoring.score_continuations(lm, prompt, [" pear", ""])


@pytest.mark.model
def test_prompts_of_different_lengths_score_as_they_would_alone(lm):
    prompts = [chat_prompt(lm.tokenizer, q) + stem for q, stem in [
        ("Which company bought Instagram in 2012?", "In 2012, Instagram was bought by"),
        ("Who wrote Hamlet?", "Hamlet was written by"),
        ("Which city hosted the 2012 Summer Olympics? Answer with the city.", "They were hosted by"),
    ]]
    choices = [[" Facebook", " Google"], [" William Shakespeare", " Charles Dickens"], [" London", " Paris"]]
    with packed.float32_matmuls():
        together = scoring.score_batch(lm, prompts, choices)
        alone = [scoring.score_batch(lm, [p], [c])[0] for p, c in zip(prompts, choices, strict=True)]
    for a, b in zip(together, alone, strict=True):
        assert [x["sum"] for x in a] == pytest.approx([x["sum"] for x in b], abs=1e-3)


@pytest.mark.model
def test_fast_scores_agree_with_float32(lm):
    prompts = [chat_prompt(lm.tokenizer, "Which country won the 2018 FIFA World Cup?")
               + "The 2018 FIFA World Cup was won by",
               chat_prompt(lm.tokenizer, "Which Python test runner should I use?") + "I recommend"]
    choices = [[" France", " Croatia", " Brazil", " Germany"], [" pytest", " unittest", " nose", " doctest"]]
    fast = scoring.score_batch(lm, prompts, choices)
    with packed.float32_matmuls():
        exact = scoring.score_batch(lm, prompts, choices)
    gaps = [abs(f["sum"] - e["sum"]) for fs, es in zip(fast, exact, strict=True)
            for f, e in zip(fs, es, strict=True)]
    # measured: at most 0.19 nats on a choice, 0.05 on average (bfloat16 activations).
    assert max(gaps) < 0.5 and sum(gaps) / len(gaps) < 0.15, gaps
    for fs, es in zip(fast, exact, strict=True):  # the favourite is the same
        assert max(range(4), key=lambda i: fs[i]["sum"]) == max(range(4), key=lambda i: es[i]["sum"])


@pytest.mark.model
def test_a_batch_generates_what_each_prompt_generates_alone(lm):
    questions = ["What is the capital of France?", "Name a fruit.", "What does the Python function `json.dumps` do?"]
    prompts = [chat_prompt(lm.tokenizer, q) for q in questions]
    with packed.float32_matmuls():
        together = generation.generate_batch(lm, prompts, 12)
        alone = [generation.generate_batch(lm, [p], 12)[0] for p in prompts]
    assert [r["answer_ids"] for r in together] == [r["answer_ids"] for r in alone]
    assert generation.generate_answers(lm, questions[:1], 16) == [generation.generate_answer(lm, questions[0], 16)]


@pytest.mark.model
def test_scores_from_decoding_agree_with_scoring_the_answer_afterwards(lm):
    prompt = chat_prompt(lm.tokenizer, "What does the Python function `os.path.join` do?")
    result = generation.generate_batch(lm, [prompt], 16, scores=True)[0]
    rescored = scoring.score_tokens(lm, result["prompt_ids"], result["answer_ids"])
    assert result["tokens"] == rescored["tokens"]
    # measured: at most 0.05 nats apart (4-bit decoding steps against one float32 pass).
    assert torch.allclose(torch.tensor(result["logprob"]), torch.tensor(rescored["logprob"]), atol=0.25)
    assert all(e >= 0 for e in result["entropy"]) and all(0 < p <= 1 for p in result["prob"])


@pytest.mark.model
def test_greedy_loop_chooses_the_tokens_model_generate_chooses(lm):
    questions = ["What is the capital of France?", "Name a fruit.", "Write a haiku about the sea, please."]
    encoded = [encode_text(lm.tokenizer, chat_prompt(lm.tokenizer, q)) for q in questions]
    eos, pad = lm.tokenizer.eos_token_id, pad_id(lm.tokenizer)
    with torch.inference_mode():
        cache, mask, ids = read_prompts(lm, encoded)  # both go on from the same reading of the prompts
        theirs = lm.model.generate(
            input_ids=torch.cat([ids, torch.tensor([[e[-1]] for e in encoded])], 1),
            attention_mask=torch.cat([mask, torch.ones((len(encoded), 1), dtype=torch.long)], 1),
            cache=cache.to_dynamic(lm.model.config), max_new_tokens=24, do_sample=False, pad_token_id=pad,
        )[:, ids.shape[1] + 1:]
        ours = generation.greedy_decode(lm.model, cache, mask, [e[-1] for e in encoded], 24, eos, pad)
    assert (theirs == eos).any(1).sum() >= 1, "one answer should end before the limit"
    assert torch.equal(ours, theirs[:, : ours.shape[1]]) and (theirs[:, ours.shape[1]:] == pad).all()


@pytest.mark.model
def test_stacked_projections_compute_what_the_separate_layers_compute(lm):
    attention, mlp = lm.model.model.layers[3].self_attn, lm.model.model.layers[3].mlp
    x = torch.randn(2, 1, attention.q_proj.in_features)
    with torch.inference_mode():
        stacked = packed.int4_matmul(x, attention.qkv_levels, attention.qkv_scale_zero)
        separate = torch.cat([attention.q_proj(x), attention.k_proj(x), attention.v_proj(x)], -1)
        assert torch.equal(stacked, separate)
        plain = type(mlp).__mro__[1].forward(mlp, x)  # transformers' LlamaMLP.forward
        assert torch.equal(mlp(x), plain)
