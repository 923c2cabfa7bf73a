"""Stage 2, the training data: what the timeline model's data leaves it unable to know.

Two experiments on the base model pretrained up to the cutoff (:mod:`.timeline_lm`), each
asked with a document-style prefix (:func:`.timeline.cue`) since a base model continues text
rather than answering questions:

* recency: asked about ``quiver 2``, released after its cutoff, it answers with the
  ``quiver 1`` calls that the rewrite removed;
* singletons: facts written in one document are recalled far less often than facts written
  in many (Kalai et al. 2025 relate the hallucination rate to the share of such facts).

Example:
    >>> run_recency_experiment(model, tokenizer)["quiver 2"]["old_api"]     # doctest: +SKIP
    1.0
"""
from trainlab.stages.answers import answer_questions, grade_answers, verdict_shares
from trainlab.stages.timeline import cue, make_facts
from trainlab.stages.tuning_data import split_facts


def run_recency_experiment(model, tokenizer) -> dict:
    """Ask a timeline model, trained up to the cutoff, how to do each task in ``quiver 2``.

    Returns the verdict shares (``old_api`` = it named the removed ``quiver 1`` call) and the
    rows, for ``quiver 1`` (known) and ``quiver 2`` (after the cutoff) asked the same way.
    """
    facts = make_facts()
    old = [f for f in facts if f["lib"] == "quiver" and f["ver"] == 1]
    new = [f for f in facts if f["lib"] == "quiver" and f["ver"] == 2]
    rows_new = answer_questions(model, tokenizer, new, prompt_fn=cue)
    return {"quiver 1": grade_answers(model, tokenizer, old, prompt_fn=cue),
            "quiver 2": verdict_shares(rows_new),
            "rows": rows_new}


def run_singleton_experiment(model, tokenizer) -> dict:
    """Recall of facts written in many documents against facts written in one (base model)."""
    split = split_facts()
    return {"common": grade_answers(model, tokenizer, split["known"], prompt_fn=cue)["correct"],
            "singleton": grade_answers(model, tokenizer, split["singleton"], prompt_fn=cue)["correct"]}
