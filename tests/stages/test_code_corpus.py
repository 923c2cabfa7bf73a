"""The shipped code corpus, its licence, the corruptions and the curation documents."""
import random

from trainlab.stages.code_corpus import (
    CODE_DOMAINS,
    DATA_DIR,
    EXCERPT_PATH,
    chunk_documents,
    corrupt_text,
    load_code_corpus,
    load_curation_documents,
    split_held_out,
)


def test_excerpt_is_small_licensed_and_complete():
    assert EXCERPT_PATH.stat().st_size < 300_000  # a few hundred KB compressed at most
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in (DATA_DIR / "PSF_LICENSE.txt").read_text()
    records = load_code_corpus()
    assert {r["domain"] for r in records} == set(CODE_DOMAINS)
    assert len(records) == sum(len(files) for files in CODE_DOMAINS.values())
    # Enough text to train on, small enough to train in a minute.
    assert 500_000 < sum(len(r["text"]) for r in records) < 1_000_000
    assert all(r["domain"] == "asyncio" for r in load_code_corpus("asyncio"))


def test_held_out_chunks_are_disjoint_from_training_chunks():
    chunks = chunk_documents(load_code_corpus("general"))
    train, held_out = split_held_out(chunks)
    assert len(held_out) == len(chunks) // 10
    assert not {c["text"] for c in train} & {c["text"] for c in held_out}


def test_each_corruption_damages_the_text():
    text = "".join(f"line_{i} = {i}\n" for i in range(40))
    for kind in ("shuffle", "noise", "repeat"):
        damaged = corrupt_text(text, random.Random(0), kind)
        assert damaged != text, kind
    assert sorted(corrupt_text(text, random.Random(0), "shuffle").splitlines()) == sorted(text.splitlines())


def test_curation_documents_are_labelled_and_duplicates_follow_originals():
    docs = load_curation_documents()
    kinds = {d["kind"] for d in docs}
    assert kinds == {"clean", "duplicate", "noise", "repeat", "short"}
    seen = set()
    for d in docs:
        assert d["keep"] == (d["kind"] == "clean")
        if d["kind"] == "duplicate":
            assert d["text"] in seen
        else:
            assert d["text"] not in seen
        seen.add(d["text"])
    assert load_curation_documents() == docs  # deterministic
