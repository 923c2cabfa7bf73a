"""The dated world: deterministic, with a real cutoff and singleton facts."""
import trainlab  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch starts its threads)

from trainlab.world import (ABSTAIN, CUTOFF, ask, cue, make_facts, make_instruction_pairs,
                            make_preference_pairs, make_world)


def _pre_cutoff(world):
    return [d["text"] for d in world["documents"] if d["date"] <= CUTOFF]


def test_world_is_deterministic_and_dated():
    world = make_world()
    assert world == make_world()
    for d in world["documents"]:
        assert d["text"].startswith(d["date"])
        assert d["after_cutoff"] == (d["date"] > CUTOFF)


def test_post_cutoff_facts_never_appear_before_the_cutoff():
    text = " ".join(_pre_cutoff(make_world()))
    for f in make_facts():
        if not f["known"]:
            assert f"{f['lib']} {f['ver']}" not in text
            if f["lib"] != "quiver":
                assert f["lib"] not in text


def test_singletons_appear_in_exactly_one_document_and_common_facts_in_many():
    docs = _pre_cutoff(make_world())
    for f in make_facts():
        if not f["known"]:
            continue
        n = sum(f["call"] in d and f"{f['lib']} {f['ver']}" in d and f["task"] in d for d in docs)
        assert n == 1 if f["singleton"] else n >= 10, f


def test_abstention_words_are_in_the_pretraining_text():
    assert any(ABSTAIN in d for d in _pre_cutoff(make_world()))


def test_records_use_trl_keys():
    facts = make_facts()
    assert set(make_instruction_pairs(facts)[0]) == {"prompt", "completion"}
    pairs = make_preference_pairs(facts)
    assert all(set(p) == {"prompt", "chosen", "rejected"} for p in pairs)
    for f, p in zip(facts, pairs):
        assert p["prompt"] == ask(f["task"], f["lib"], f["ver"])
        assert p["chosen"] != p["rejected"]
        assert (p["chosen"] == " " + ABSTAIN) == (not f["known"])
    assert cue("load a table", "quiver", 2).endswith("call")
