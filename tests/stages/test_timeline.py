"""The timeline: deterministic, with a real cutoff and singleton facts."""
from trainlab.stages.timeline import ABSTAIN, CUTOFF, ask, cue, make_facts, make_timeline


def _pre_cutoff(timeline):
    return [d["text"] for d in timeline["documents"] if d["date"] <= CUTOFF]


def test_timeline_is_deterministic_and_dated():
    timeline = make_timeline()
    assert timeline == make_timeline()
    for d in timeline["documents"]:
        assert d["text"].startswith(d["date"])
        assert d["after_cutoff"] == (d["date"] > CUTOFF)


def test_post_cutoff_facts_never_appear_before_the_cutoff():
    text = " ".join(_pre_cutoff(make_timeline()))
    for f in make_facts():
        if not f["known"]:
            assert f"{f['lib']} {f['ver']}" not in text
            if f["lib"] != "quiver":
                assert f["lib"] not in text


def test_singletons_appear_in_exactly_one_document_and_common_facts_in_many():
    docs = _pre_cutoff(make_timeline())
    for f in make_facts():
        if not f["known"]:
            continue
        n = sum(f["call"] in d and f"{f['lib']} {f['ver']}" in d and f["task"] in d for d in docs)
        assert n == 1 if f["singleton"] else n >= 10, f


def test_abstention_words_are_in_the_pretraining_text():
    assert any(ABSTAIN in d for d in _pre_cutoff(make_timeline()))



def test_questions_and_cues():
    assert ask("load a table", "quiver", 2) == "Question: How do I load a table in quiver 2?\nAnswer:"
    assert cue("load a table", "quiver", 2).endswith("call")
