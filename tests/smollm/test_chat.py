"""Generating and scoring with the real model: batches agree with one-at-a-time, fast with float32."""
import pytest
import torch

from trainlab.smollm import chat, loader

from model_fixtures import lm  # noqa: F401  (session fixture)


@pytest.mark.model
def test_batched_choice_scores_match_token_by_token_scores(lm):
    prompt = chat.chat_prompt(lm.tokenizer, "Name a fruit.") + "A fruit is"
    choices = [" an apple", " a banana split", " pear"]
    prompt_ids = chat.encode_text(lm.tokenizer, prompt)
    with loader.float32_matmuls():  # the batching itself, with no rounding in between
        batched = chat.score_continuations(lm, prompt, choices)
        for choice, scored in zip(choices, batched, strict=True):
            ids = chat.encode_text(lm.tokenizer, choice)
            tokens = chat.score_tokens(lm, prompt_ids, ids)
            assert scored["sum"] == pytest.approx(sum(tokens["logprob"]), abs=1e-3)
            assert scored["n_tokens"] == len(ids)
            assert all(p <= 1 and e >= 0 for p, e in zip(tokens["prob"], tokens["entropy"], strict=True))
    with pytest.raises(ValueError):
        chat.score_continuations(lm, prompt, [" pear", ""])


@pytest.mark.model
def test_prompts_of_different_lengths_score_as_they_would_alone(lm):
    prompts = [chat.chat_prompt(lm.tokenizer, q) + stem for q, stem in [
        ("Which company bought Instagram in 2012?", "In 2012, Instagram was bought by"),
        ("Who wrote Hamlet?", "Hamlet was written by"),
        ("Which city hosted the 2012 Summer Olympics? Answer with the city.", "They were hosted by"),
    ]]
    choices = [[" Facebook", " Google"], [" William Shakespeare", " Charles Dickens"], [" London", " Paris"]]
    with loader.float32_matmuls():
        together = chat.score_batch(lm, prompts, choices)
        alone = [chat.score_batch(lm, [p], [c])[0] for p, c in zip(prompts, choices, strict=True)]
    for a, b in zip(together, alone, strict=True):
        assert [x["sum"] for x in a] == pytest.approx([x["sum"] for x in b], abs=1e-3)


@pytest.mark.model
def test_fast_scores_agree_with_float32(lm):
    prompts = [chat.chat_prompt(lm.tokenizer, "Which country won the 2018 FIFA World Cup?")
               + "The 2018 FIFA World Cup was won by",
               chat.chat_prompt(lm.tokenizer, "Which Python test runner should I use?") + "I recommend"]
    choices = [[" France", " Croatia", " Brazil", " Germany"], [" pytest", " unittest", " nose", " doctest"]]
    fast = chat.score_batch(lm, prompts, choices)
    with loader.float32_matmuls():
        exact = chat.score_batch(lm, prompts, choices)
    gaps = [abs(f["sum"] - e["sum"]) for fs, es in zip(fast, exact, strict=True)
            for f, e in zip(fs, es, strict=True)]
    # measured: at most 0.19 nats on a choice, 0.05 on average (bfloat16 activations).
    assert max(gaps) < 0.5 and sum(gaps) / len(gaps) < 0.15, gaps
    for fs, es in zip(fast, exact, strict=True):  # the favourite is the same
        assert max(range(4), key=lambda i: fs[i]["sum"]) == max(range(4), key=lambda i: es[i]["sum"])


@pytest.mark.model
def test_a_batch_generates_what_each_prompt_generates_alone(lm):
    questions = ["What is the capital of France?", "Name a fruit.", "What does the Python function `json.dumps` do?"]
    prompts = [chat.chat_prompt(lm.tokenizer, q) for q in questions]
    with loader.float32_matmuls():
        together = chat.generate_batch(lm, prompts, 12)
        alone = [chat.generate_batch(lm, [p], 12)[0] for p in prompts]
    assert [r["answer_ids"] for r in together] == [r["answer_ids"] for r in alone]
    assert chat.generate_answers(lm, questions[:1], 16) == [chat.generate_answer(lm, questions[0], 16)]


@pytest.mark.model
def test_scores_from_decoding_agree_with_scoring_the_answer_afterwards(lm):
    prompt = chat.chat_prompt(lm.tokenizer, "What does the Python function `os.path.join` do?")
    result = chat.generate_batch(lm, [prompt], 16, scores=True)[0]
    rescored = chat.score_tokens(lm, result["prompt_ids"], result["answer_ids"])
    assert result["tokens"] == rescored["tokens"]
    # measured: at most 0.05 nats apart (4-bit decoding steps against one float32 pass).
    assert torch.allclose(torch.tensor(result["logprob"]), torch.tensor(rescored["logprob"]), atol=0.25)
    assert all(e >= 0 for e in result["entropy"]) and all(0 < p <= 1 for p in result["prob"])
