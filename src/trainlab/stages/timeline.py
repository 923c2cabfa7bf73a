"""A timeline of dated documents about made-up software libraries, with a knowledge cutoff.

The timeline is generated deterministically (no downloads) so that the lab controls exactly
what the tiny model could have read. Four libraries exist before the cutoff (``quiver``
tables, ``pebble`` HTTP, ``lumen`` logging, ``tarn`` command lines). After the cutoff
``quiver 2`` ships a rewrite with a new API, and two new libraries appear (``sprocket``,
``wren``).

Facts are ``(lib, version, task, call)``. *Common* facts are repeated across many documents;
*singleton* facts appear in exactly one document, the case that Kalai et al. (2025, "Why
language models hallucinate") tie to hallucination. Some documents also contain the words of
an honest abstention (``ABSTAIN``): preference tuning can only promote an answer whose words
the model has read. The questions asked about the facts are :func:`ask` (the instruction
format that tuning teaches) and :func:`cue` (a document-style prefix for a base model).

Example:
    >>> timeline = make_timeline()
    >>> docs = [d["text"] for d in timeline["documents"] if d["date"] < CUTOFF]
    >>> ask("load a table", "quiver", 2)
    'Question: How do I load a table in quiver 2?\\nAnswer:'
"""
import random

CUTOFF = "2024-06-30"
ABSTAIN = "I don't know. That is after my training data."

# (lib, version, task, call): tasks are unique within a library version.
_KNOWN = {
    ("quiver", 1): [("load a table", "quiver.load_table(path)"), ("save a table", "quiver.dump_table(t, path)"),
                    ("filter rows", "quiver.where(t, cond)"), ("join two tables", "quiver.merge_tables(a, b)"),
                    ("sort rows", "quiver.order_by(t, key)"), ("count rows", "quiver.row_count(t)"),
                    ("pick columns", "quiver.select_cols(t, names)"), ("group rows", "quiver.group_rows(t, key)")],
    ("pebble", 1): [("fetch a page", "pebble.get_page(url)"), ("send json", "pebble.post_json(url, data)"),
                    ("set a timeout", "pebble.with_timeout(s)"), ("read headers", "pebble.header_map(r)"),
                    ("retry a call", "pebble.retry_call(fn)"), ("open a session", "pebble.open_session()"),
                    ("download a file", "pebble.save_body(r, path)"), ("add a cookie", "pebble.put_cookie(k, v)")],
    ("lumen", 1): [("make a logger", "lumen.make_logger(name)"), ("set the level", "lumen.set_level(n)"),
                   ("log to a file", "lumen.to_file(path)"), ("add a field", "lumen.add_field(k, v)"),
                   ("flush the logs", "lumen.flush_all()"), ("mute a logger", "lumen.silence(name)"),
                   ("rotate the file", "lumen.rotate_at(size)"), ("print as json", "lumen.json_lines()")],
    ("tarn", 1): [("make a parser", "tarn.new_parser()"), ("add a flag", "tarn.add_flag(name)"),
                  ("parse the args", "tarn.parse_argv(argv)"), ("add a command", "tarn.add_command(name)"),
                  ("show the help", "tarn.show_help()"), ("read an env var", "tarn.env_default(name)"),
                  ("count a flag", "tarn.count_flag(name)"), ("require a flag", "tarn.must_have(name)")],
}
# After the cutoff: quiver 2 renames everything; two libraries are new.
_UNKNOWN = {
    ("quiver", 2): [("load a table", "quiver.read(path)"), ("save a table", "t.write(path)"),
                    ("filter rows", "t.filter(cond)"), ("join two tables", "a.join(b)"),
                    ("sort rows", "t.sort(key)"), ("count rows", "len(t)"),
                    ("pick columns", "t.cols(names)"), ("group rows", "t.group(key)")],
    ("sprocket", 1): [("start a job", "sprocket.launch(fn)"), ("stop a job", "sprocket.halt(job)"),
                      ("list the jobs", "sprocket.jobs()"), ("wait for a job", "sprocket.join(job)"),
                      ("pause a job", "sprocket.pause(job)"), ("name a job", "sprocket.tag(job, s)")],
    ("wren", 1): [("make a chart", "wren.chart(data)"), ("add a title", "wren.title(c, s)"),
                  ("save a chart", "wren.export(c, path)"), ("set the colors", "wren.palette(c, p)"),
                  ("add a legend", "wren.legend(c)"), ("zoom the axes", "wren.zoom(c, k)")],
}
_SINGLETON_TASKS = {"pebble": 4, "lumen": 4, "tarn": 4}  # the last N tasks of each of these

_TEMPLATES = [
    "To {task} in {lib} {ver}, call {call}.",
    "In {lib} {ver} you {task} with {call}.",
    "The {lib} {ver} docs say: {call} is how you {task}.",
    "Tip: to {task} with {lib} {ver}, use {call}.",
]
_KINDS = ["release notes", "blog post", "tutorial", "mailing list", "changelog"]
_FILLER = [
    "The maintainers thanked everyone who sent patches.",
    "Tests now run on every push.",
    "Read the guide before you upgrade.",
    "Bug reports are welcome on the tracker.",
]


def make_facts() -> list[dict]:
    """Every fact of the timeline: ``{"lib", "ver", "task", "call", "known", "singleton"}``."""
    facts = []
    for table, known in ((_KNOWN, True), (_UNKNOWN, False)):
        for (lib, ver), items in table.items():
            n_single = _SINGLETON_TASKS.get(lib, 0) if known else 0
            for i, (task, call) in enumerate(items):
                singleton = i >= len(items) - n_single
                facts.append(dict(lib=lib, ver=ver, task=task, call=call, known=known, singleton=singleton))
    return facts


def ask(task: str, lib: str, ver: int) -> str:
    """The instruction prompt for a question about one task (the format SFT teaches)."""
    return f"Question: How do I {task} in {lib} {ver}?\nAnswer:"


def cue(task: str, lib: str, ver: int) -> str:
    """A document-style prefix that a base model completes with a call (no chat format needed)."""
    return f"{lib} {ver} tutorial. To {task} in {lib} {ver}, call"


def _date(rng: random.Random, after_cutoff: bool) -> str:
    year = rng.choice([2024, 2025]) if after_cutoff else rng.choice([2021, 2022, 2023])
    month = rng.randint(8, 12) if year == 2024 else rng.randint(1, 12)
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def make_timeline(repeats: int = 16, chatter: int = 40, seed: int = 0) -> dict:
    """Generate the timeline: ``{"documents", "facts", "cutoff"}``.

    Each common fact is written into ``repeats`` documents (varied templates, dates and
    neighbours); each singleton fact into exactly one. Documents are
    ``{"date", "text", "after_cutoff"}``; a few pre-cutoff documents carry ``ABSTAIN``.
    """
    rng = random.Random(seed)
    facts = make_facts()
    # Mention i of a fact uses template i (cycling), so every fact is seen at least once in
    # the form that cue() asks with: the singleton comparison is then like with like.
    mentions = []
    for f in facts:
        n = 1 if f["singleton"] else repeats
        mentions += [dict(f, template=_TEMPLATES[i % len(_TEMPLATES)]) for i in range(n)]
    rng.shuffle(mentions)
    documents = []
    while mentions:
        # Group two or three mentions of the same library version into one document.
        first = mentions.pop()
        same = [m for m in mentions
                if (m["lib"], m["ver"]) == (first["lib"], first["ver"]) and m["task"] != first["task"]]
        group = [first] + same[: rng.randint(1, 2)]
        for m in group[1:]:
            mentions.remove(m)
        after = not first["known"]
        date = _date(rng, after)
        lines = [f"{date} {first['lib']} {first['ver']} {rng.choice(_KINDS)}."]
        lines += [m["template"].format(**m) for m in group]
        lines.append(rng.choice(_FILLER))
        documents.append({"date": date, "text": " ".join(lines), "after_cutoff": after})
    for lib in ("quiver", "pebble", "lumen", "tarn"):
        for _ in range(3):
            date = _date(rng, False)
            text = (f"{date} {lib} mailing list. Someone asked what {lib} will look like in ten years. "
                    f"The reply: {ABSTAIN} {rng.choice(_FILLER)}")
            documents.append({"date": date, "text": text, "after_cutoff": False})
    # Chatter with random numbers nobody can learn: it makes the corpus several times larger,
    # so that in a short run each document (and each singleton fact) passes by only a few times.
    for _ in range(chatter):
        lib = rng.choice(["quiver", "pebble", "lumen", "tarn"])
        date = _date(rng, False)
        text = (f"{date} {lib} 1 {rng.choice(_KINDS)}. Version 1.{rng.randint(0, 9)}.{rng.randint(0, 9)} "
                f"fixed {rng.randint(2, 99)} bugs and closed {rng.randint(2, 99)} issues. {rng.choice(_FILLER)}")
        documents.append({"date": date, "text": text, "after_cutoff": False})
    rng.shuffle(documents)
    return {"documents": documents, "facts": facts, "cutoff": CUTOFF}

