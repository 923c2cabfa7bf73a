"""Grading of the world model's answers, and the fact splits the tuning stages use."""
import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch starts its threads)

from trainlab.checkpoints import load_checkpoint
from trainlab.world import ABSTAIN, make_facts
from trainlab.worldlm import answer_questions, extract_call, judge, make_tuning_data, split_facts

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


def test_splits_keep_evaluation_questions_out_of_dpo():
    split = split_facts()
    train = {f["call"] for f in split["unknown_train"]}
    assert train.isdisjoint(f["call"] for f in split["unknown_test"])
    assert len(split["unknown_test"]) == 10 and len(split["known"]) == 20
    data = make_tuning_data()
    dpo_prompts = {r["prompt"] for r in data["dpo"]}
    assert not any(f["task"] in p and f"{f['lib']} {f['ver']}?" in p
                   for f in split["unknown_test"] for p in dpo_prompts)


def test_base_model_continues_the_text_instead_of_answering():
    model, tokenizer = load_checkpoint("world_base")
    rows = answer_questions(model, tokenizer, split_facts()["known"])
    assert sum(r["answer_format"] for r in rows) / len(rows) <= 0.2
