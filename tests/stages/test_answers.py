"""Judging the timeline model's answers: the call it names, the verdict, the answer format."""
from trainlab.stages.answers import VERDICTS, answer_questions, extract_call, judge, verdict_shares
from trainlab.stages.checkpoints import load_checkpoint
from trainlab.stages.timeline import ABSTAIN, make_facts
from trainlab.stages.tuning_data import split_facts

FACTS = {(f["lib"], f["ver"], f["task"]): f for f in make_facts()}


def test_extract_call_finds_the_first_call():
    assert extract_call(" Use quiver.load_table(path). Then quiver.where(t, c).") == "quiver.load_table(path)"
    assert extract_call(" Use len(t).") == "len(t)"
    assert extract_call(" quiver 1, call quiver.") is None


def test_judge_tells_correct_abstain_old_api_and_other_apart():
    new = FACTS[("quiver", 2, "load a table")]
    assert judge(" Use quiver.read(path).", new) == "correct"
    assert judge(" " + ABSTAIN, new) == "abstain"
    assert judge(" Use quiver.load_table(path).", new) == "old_api"
    assert judge(" Use pebble.get_page(url).", new) == "other"
    assert judge(" Use quiver.load_table(path).", FACTS[("quiver", 1, "load a table")]) == "correct"


def test_only_a_clean_i_dont_know_counts_as_an_abstention():
    new = FACTS[("quiver", 2, "filter rows")]
    assert judge(" I don't know.", new) == "abstain"
    for garbled in (" I don't know.where(t, cond).", " I don't know. That is after quiver.load_table(path).",
                    " I don't know the filter."):
        assert judge(garbled, new) == "garbled", garbled


def test_verdict_shares_count_every_verdict():
    rows = [{"verdict": v} for v in ("correct", "correct", "abstain", "other")]
    assert verdict_shares(rows) == {"correct": 0.5, "abstain": 0.25, "garbled": 0.0, "old_api": 0.0, "other": 0.25}
    assert tuple(verdict_shares(rows)) == VERDICTS


def test_base_model_continues_the_text_instead_of_answering():
    model, tokenizer = load_checkpoint("timeline_base")
    rows = answer_questions(model, tokenizer, split_facts()["known"])
    assert sum(r["answer_format"] for r in rows) / len(rows) <= 0.2  # measured 0.0
