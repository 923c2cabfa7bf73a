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


def test_held_out_sets_never_reach_the_tuning_data():
    split, data = split_facts(), make_tuning_data()
    assert [len(split[k]) for k in ("tuned", "held_out", "singleton", "abstain_train", "abstain_test", "rewrite")] \
        == [10, 10, 12, 6, 6, 8]
    prompts = {r["prompt"] for r in data["sft"] + data["dpo"]}
    for part in ("held_out", "singleton", "abstain_test", "rewrite"):
        assert not any(ask(f["task"], f["lib"], f["ver"]) in prompts for f in split[part]), part
    tuned = {ask(f["task"], f["lib"], f["ver"]) for f in split["tuned"] + split["abstain_train"]}
    assert {r["prompt"] for r in data["dpo"]} == tuned
    # The rewrite is the whole of quiver 2; the abstention libraries are the two new ones.
    assert {f["lib"] for f in split["abstain_train"] + split["abstain_test"]} == {"sprocket", "wren"}
    assert all(f["lib"] == "quiver" and f["ver"] == 2 for f in split["rewrite"])
    assert split["known"] == sorted(split["tuned"] + split["held_out"], key=split["known"].index)


def test_sft_records_are_the_tuned_facts_only():
    split, data = split_facts(), make_tuning_data()
    assert data["sft"] == make_instruction_pairs(split["tuned"])
    assert all(ABSTAIN not in r["completion"] for r in data["sft"])
