"""The tuning records: TRL's keys, and no evaluation question among the preference pairs."""
from trainlab.stages.timeline import ABSTAIN, ask, make_facts
from trainlab.stages.tuning_data import make_instruction_pairs, make_preference_pairs, make_tuning_data, split_facts


def test_records_use_trl_keys():
    facts = make_facts()
    assert set(make_instruction_pairs(facts)[0]) == {"prompt", "completion"}
    pairs = make_preference_pairs(facts)
    assert all(set(p) == {"prompt", "chosen", "rejected"} for p in pairs)
    for f, p in zip(facts, pairs, strict=True):
        assert p["prompt"] == ask(f["task"], f["lib"], f["ver"])
        assert p["chosen"] != p["rejected"]
        assert (p["chosen"] == " " + ABSTAIN) == (not f["known"])


def test_splits_keep_evaluation_questions_out_of_dpo():
    split = split_facts()
    train = {f["call"] for f in split["unknown_train"]}
    assert train.isdisjoint(f["call"] for f in split["unknown_test"])
    assert len(split["unknown_test"]) == 10 and len(split["known"]) == 20
    data = make_tuning_data()
    dpo_prompts = {r["prompt"] for r in data["dpo"]}
    assert not any(f["task"] in p and f"{f['lib']} {f['ver']}?" in p
                   for f in split["unknown_test"] for p in dpo_prompts)


def test_sft_records_are_the_known_common_facts_only():
    split, data = split_facts(), make_tuning_data()
    assert data["sft"] == make_instruction_pairs(split["known"])
    assert all(ABSTAIN not in r["completion"] for r in data["sft"])
