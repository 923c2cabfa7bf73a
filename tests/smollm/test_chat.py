"""Generating and scoring with the real model: batched choice scores agree with token-by-token ones."""
import pytest

from trainlab.smollm import chat

from model_fixtures import lm  # noqa: F401  (session fixture)


@pytest.mark.model
def test_batched_choice_scores_match_token_by_token_scores(lm):
    prompt = chat.chat_prompt(lm.tokenizer, "Name a fruit.") + "A fruit is"
    choices = [" an apple", " a banana split", " pear"]
    batched = chat.score_continuations(lm, prompt, choices)
    prompt_ids = chat.encode_text(lm.tokenizer, prompt)
    for choice, scored in zip(choices, batched, strict=True):
        ids = chat.encode_text(lm.tokenizer, choice)
        tokens = chat.score_tokens(lm, prompt_ids, ids)
        assert scored["sum"] == pytest.approx(sum(tokens["logprob"]), abs=1e-3)
        assert scored["n_tokens"] == len(ids)
        assert all(p <= 1 and e >= 0 for p, e in zip(tokens["prob"], tokens["entropy"], strict=True))
    with pytest.raises(ValueError):
        chat.score_continuations(lm, prompt, [" pear", ""])
