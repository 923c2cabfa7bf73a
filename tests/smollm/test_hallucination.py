"""Hallucination probe: the API checker, claim tokens, confidence and grounding on the real model."""
import json

import matplotlib
import pytest

from trainlab.smollm.hallucination import (
    GROUNDING_APIS,
    MADE_UP_APIS,
    REAL_APIS,
    answer_with_confidence,
    ground_with_docs,
    grounded_question,
    is_claim_token,
    parameter_names,
    plot_confidence,
    plot_grounding,
    probe_hallucination,
    resolve_api,
)

from model_fixtures import lm  # noqa: F401  (session fixture)

matplotlib.use("Agg")


def test_resolve_api_finds_real_names_and_rejects_made_up_ones():
    assert resolve_api("json.dumps") is json.dumps
    assert resolve_api("os.path") is not None and resolve_api("collections.Counter.most_common")
    assert resolve_api("json.dumps_pretty") is None
    assert resolve_api("no_such_package_xyz.thing") is None
    assert all(resolve_api(n) is not None for n in REAL_APIS + GROUNDING_APIS)
    assert all(resolve_api(n) is None for n in MADE_UP_APIS)


def test_claim_tokens_skip_echoes_and_function_words():
    question = "What does `json.dumps` do?"
    assert is_claim_token(" serializes", question)
    assert not is_claim_token(" json", question) and not is_claim_token(" the", question)
    assert not is_claim_token(".", question)


def test_grounded_question_holds_the_real_docs_and_names():
    assert parameter_names("os.makedirs") == ["name", "mode", "exist_ok"]
    assert "self" not in parameter_names("pandas.DataFrame.dropna")
    assert "exist_ok" in grounded_question("os.makedirs")


@pytest.mark.model
def test_confidence_on_real_and_made_up_apis(lm):
    result = probe_hallucination(lm)
    answers, summary = result.answers, result.summary.set_index("group")
    assert len(answers) == len(REAL_APIS) + len(MADE_UP_APIS)
    assert answers["answer"].str.len().min() > 20 and answers["n_claim"].min() >= 1
    # Measured: whole answer 0.69 real vs 0.67 made-up; claim tokens 0.55 vs 0.41;
    # claim-token entropy 1.7 vs 2.5 nats. Bounds a re-run meets, not exact values:
    gap_all = summary.loc["real", "prob_all"] - summary.loc["made-up", "prob_all"]
    gap_claim = summary.loc["real", "prob_claim"] - summary.loc["made-up", "prob_claim"]
    gap_entropy = summary.loc["made-up", "entropy_claim"] - summary.loc["real", "entropy_claim"]
    assert abs(gap_all) < 0.12, "over the whole answer both groups read about as sure"
    assert gap_claim > 0.05 and gap_entropy > 0.3, "the claim tokens tell them apart"
    assert summary.loc["real", "exists"] == 1 and summary.loc["made-up", "exists"] == 0
    ax = plot_confidence(result)
    assert len(ax.patches) == 4


@pytest.mark.model
def test_documentation_in_the_prompt_grounds_the_answer(lm):
    table = ground_with_docs(lm)
    wide = table.pivot(index="api", columns="docs", values="reference_logprob")
    gain = wide[True] - wide[False]
    # Measured: +1.0 to +2.1 nats per token of the reference answer, +1.8 on average.
    assert (gain > 0.5).all() and gain.mean() > 1.0, gain
    # Measured: no real parameter name without the docs; 0.07 of them on average with.
    recall = table.groupby("docs")["param_recall"].mean()
    assert recall[True] > recall[False], recall
    ax = plot_grounding(table)
    assert len(ax.patches) == 2 * len(GROUNDING_APIS)


@pytest.mark.model
def test_token_confidence_of_one_answer(lm):
    result = answer_with_confidence(lm, "What does `os.path.smartjoin` do?", max_new_tokens=16)
    tokens = result["tokens"]
    assert len(tokens) >= 4 and result["answer"]
    assert tokens["prob"].between(0, 1).all() and (tokens["entropy"] >= 0).all()
