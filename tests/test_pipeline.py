"""The pipeline end to end on tiny random-weight models built in conftest (their text is gibberish; these tests
check the code path: every article and every chunk gets its output, batching, caching, long articles)."""

import re
import shutil

import pytest

from service.generation import prompts
from service.page import ingest
from service.page.segment import segment
from service.pipeline import Pipeline

TEMPLATES = ("headline", "translate", "summarize", "summarize_merge", "translate_repair", "translate_term",
             "summarize_retry")
FIELDS = {"issue", "index", "kind", "headline", "headline_en", "byline", "text", "span", "summary", "translation",
          "flags", "model", "prompt_version", "dateline", "people", "paragraphs", "subheads", "summary_model"}


@pytest.fixture
def seed_doc(seed_text):
    return ingest.from_text(seed_text, name="seed")


def test_seed_page_end_to_end(tiny_chat, seed_doc, tmp_path):
    pipe = Pipeline(tiny_chat, cache_path=tmp_path / "c.sqlite")
    records = pipe.process(seed_doc)
    items = segment(seed_doc.text)
    assert [r["index"] for r in records] == list(range(6))
    for r, it in zip(records, items):
        assert FIELDS <= set(r)
        assert r["issue"] == "seed" and r["headline"] == it.headline and r["span"] == list(it.span)
        assert r["model"] == tiny_chat
        assert r["prompt_version"].split() == [prompts.load(n).id for n in TEMPLATES]
        assert r["headline_en"] and r["summary"]
        # one English paragraph per Chinese paragraph, none empty
        paras = r["translation"].split("\n\n")
        assert len(paras) == len(it.paragraphs) and all(p.strip() for p in paras)
        assert isinstance(r["flags"], list)


def test_every_job_output_lands_in_its_article(tiny_chat, seed_doc):
    pipe = Pipeline(tiny_chat, cache_path=None)
    drafts = list(pipe.generator.run(segment(seed_doc.text)))
    assert sorted(d.item.index for d in drafts) == list(range(6))
    for d in drafts:
        assert d.done()
        pos = 0
        for j in d.of("translate"):  # in paragraph/chunk order, each chunk's output appears in the translation
            at = d.translation.find(j.result.text, pos)
            assert at >= 0
            pos = at + len(j.result.text)
        # every part of the heading translated on its own; headline_en is the main part's English
        parts = d.heading_en()
        assert [p.zh for p, _ in parts] == [j.source for j in d.of("headline")] and len(parts) == len(d.heading)
        main = [en for p, en in parts if p.role == "headline"]
        assert len(main) == 1 and d.headline_en == main[0] == d.of("headline")[[p.role for p in d.heading].index(
            "headline")].result.text.strip()


def test_generation_is_batched_across_articles_with_left_padding(tiny_chat, seed_doc, monkeypatch):
    """The transformers engine runs whole batches from the generation queue: at most batch_size requests, of
    several articles, left-padded."""
    pipe = Pipeline(tiny_chat, cache_path=None, batch_size=4)
    backend = pipe.generator.backends["translate"]
    masks, batches = [], []
    real_model_generate, real_step = backend.model.generate, backend.engine.step

    def spy_model(**kw):
        masks.append(kw["attention_mask"].clone())
        return real_model_generate(**kw)

    def spy_step():
        done = real_step()
        batches.append([r.tag for r in done])
        return done

    monkeypatch.setattr(backend.model, "generate", spy_model)
    monkeypatch.setattr(backend.engine, "step", spy_step)
    drafts = list(pipe.generator.run(segment(seed_doc.text)))
    ours = {id(j) for d in drafts for j in d.jobs}
    batches = [b for b in ([j for j in b if id(j) in ours] for b in batches) if b]
    n_jobs = sum(1 for d in drafts for j in d.jobs if not j.cached and j.template != "none")  # "none": no model
    assert max(m.shape[0] for m in masks) == 4
    assert sum(m.shape[0] for m in masks) == n_jobs == pipe.generator.stats["generated"]
    # batches mix articles: at least one batch holds jobs of two or more articles
    assert any(len({j.article for j in b}) > 1 for b in batches)
    for m in masks:  # left padding: zeros only before the first 1 of each row
        for row in m.tolist():
            first = row.index(1)
            assert all(v == 1 for v in row[first:])
    # a run's jobs are queued longest possible answer first (generate.queue_order): the first batch holds the
    # page's longest translation (whichever article it is in), not the first article's jobs
    longest = max((j for d in drafts for j in d.jobs if j.role.value == "translate"), key=lambda j: j.max_new)
    assert longest in batches[0]


def test_article_longer_than_the_context_is_translated_whole(tiny_chat_small_context, seed_text):
    """A 1,800-character single-paragraph article on a model with a 384-token context."""
    body = "".join(segment(seed_text)[5].paragraphs) + "".join(segment(seed_text)[1].paragraphs)
    page = "超长稿件测试 全文不得截断\n\n本报讯(融媒记者 俞梦婷)" + body + "\n"
    item = segment(page)[0]
    assert item.paragraphs == [body]
    pipe = Pipeline(tiny_chat_small_context, cache_path=None)
    gen = pipe.generator
    backend = gen.backends["translate"]
    assert backend.context_tokens == 384 and backend.count_tokens(body) > 3 * backend.context_tokens
    [d] = list(gen.run([item]))
    chunks = d.of("translate")
    assert len(chunks) > 10
    assert "".join(j.source for j in chunks) == body  # nothing dropped, nothing added
    for j in d.jobs:
        assert j.result is not None
        if j.role == "translate":
            assert len(backend.encode(j.input)) + j.max_new <= backend.context_tokens
    # the translation carries every chunk's output, in order
    assert d.translation == " ".join(j.result.text for j in chunks)
    # the summary is made from parts and merged, not from a truncated body
    assert len(d.of("summary_part")) >= 2 and d.summary
    level0 = [j for j in d.of("summary_part") if j.seq[0] == 0]
    assert "".join(j.source.replace("\n", "") for j in level0) == body


def test_rerun_reuses_the_cache(tiny_chat, seed_doc, tmp_path):
    db = tmp_path / "c.sqlite"
    first = Pipeline(tiny_chat, cache_path=db)
    a = first.process(seed_doc)
    assert first.generator.stats["generated"] > 0 and first.generator.stats["cached"] == 0
    second = Pipeline(tiny_chat, cache_path=db)
    b = second.process(seed_doc)
    assert second.generator.stats["generated"] == 0
    assert second.generator.stats["cached"] == first.generator.stats["generated"]
    def strip(rs):
        return [{k: v for k, v in r.items() if k != "cached"} for r in rs]

    assert strip(a) == strip(b) and all(r["cached"] for r in b)


def test_prompt_version_is_part_of_the_cache_key(tiny_chat, seed_doc, tmp_path, monkeypatch):
    from service.generation import prompts

    db = tmp_path / "c.sqlite"
    Pipeline(tiny_chat, cache_path=db).process(seed_doc)
    changed = tmp_path / "prompts"
    shutil.copytree(prompts.prompts_dir(), changed)
    t = changed / "translate.toml"
    old = prompts.load("translate").version
    t.write_text(re.sub(r"(?m)^version = \d+$", f"version = {old + 1}", t.read_text(encoding="utf-8")),
                 encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_PROMPTS_DIR", str(changed))
    prompts.load.cache_clear()
    try:
        pipe = Pipeline(tiny_chat, cache_path=db)
        records = pipe.process(seed_doc)
        n_translate = sum(len(d) for d in [r["paragraphs"] for r in records])
        assert pipe.generator.stats["generated"] >= n_translate  # body chunks redone with the new template
        assert pipe.generator.stats["cached"] >= 12  # headlines and summaries reused
        assert all(f"translate@{old + 1}" in r["prompt_version"].split() for r in records)
    finally:
        prompts.load.cache_clear()


def test_different_models_for_translation_and_summary(tiny_seq2seq, tiny_chat, seed_doc):
    pipe = Pipeline(tiny_seq2seq, tiny_chat, cache_path=None)
    records = pipe.process(seed_doc)
    assert len(records) == 6
    r = records[0]
    assert r["model"] == tiny_seq2seq and r["summary_model"] == tiny_chat
    # a seq2seq model takes the text raw (no template); the chat model summarises with the summarize template
    assert r["prompt_version"].split()[:3] == ["headline:raw", "translate:raw", prompts.load("summarize").id]
    assert all(r["translation"].strip() and r["summary"].strip() for r in records)
    assert not pipe.generator.backends["translate"].follows_instructions  # seq2seq: raw text in
    assert pipe.generator.backends["summarize"].follows_instructions


def test_a_translation_only_model_cannot_summarise(tiny_seq2seq):
    from service.errors import ModelError

    with pytest.raises(ModelError, match="cannot summarise"):
        Pipeline(tiny_seq2seq, cache_path=None)
