"""Web UI logic without a browser: card rendering, streaming, per-run files, upload checks, the serve command.

Tests that generate run the real code path on the tiny random-weight chat model built in conftest (gibberish
output): they check where outputs land and that nothing is lost, not translation quality. The browser tests are
in test_ui_browser.py.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from service import render
from service.checks import tally
from service.cli import build_parser
from service.outputs import issue_report, to_jsonl, to_markdown
from service.segment import SKIP_KINDS, segment
from service.ui import WebUI, safe_name

# gr.Warning outside a browser session becomes a UserWarning carrying the message the user would see
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers")


def articles(text: str) -> list:
    """The items the pipeline makes records of (page furniture is skipped), as `Pipeline.preprocess` does."""
    return [it for it in segment(text) if it.kind not in SKIP_KINDS]


def _record(**over) -> dict:
    rec = {"issue": "t", "index": 0, "kind": "news", "headline": "标题", "subheads": [], "headline_en": "Title",
           "dateline": "本报讯", "byline": "融媒记者 俞梦婷", "people": [{"name": "俞梦婷", "role": "reporter"}],
           "paragraphs": ["正文。"], "text": "正文。", "span": [0, 12], "summary": "摘要一。摘要二。",
           "translation": "Body text.", "flags": [], "model": "m", "summary_model": "m", "prompt_version": "p@1",
           "cached": False}
    rec.update(over)
    return rec


def _section(html: str, cls: str) -> str:
    m = re.search(rf'<section class="{cls}">(.*?)</section>', html, re.S)
    assert m, cls
    return m.group(1)


def test_card_escapes_text():
    html = render.card(_record(headline="<script>alert(1)</script>", translation="a < b & c"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &lt; b &amp; c" in html


def test_flags_sit_next_to_the_text_they_concern():
    source = "标题\n本报讯(融媒记者 俞梦婷)正文。"
    at = source.index("正文")
    flags = [
        {"kind": "summary_length", "severity": "info", "message": "the summary has 1 sentence(s), not 2-4."},
        {"kind": "untranslated", "severity": "warning", "message": "still contains Chinese: 正文",
         "span": [at, at + 2], "found": ["正文"]},
        {"kind": "number_mismatch", "severity": "error", "message": "316.4万元 is 3,164,000 yuan",
         "field": "translation", "expected": "3,164,000", "found": "316.4 million"},
        {"kind": "truncated", "severity": "warning", "message": "the model's translation stopped at the limit",
         "found": "Title"},  # found in headline_en only: a headline flag
        {"kind": "ocr_doubled", "severity": "warning", "message": "doubled character 口口", "span": [at, at + 3],
         "expected": "口", "found": "口口"},
    ]
    source = "标题\n本报讯(融媒记者 俞梦婷)正文。"
    html = render.card(_record(flags=flags, translation="Body text 正文.", span=[0, len(source)]), source)
    summary, translation = _section(html, "nd-summary"), _section(html, "nd-translation")
    head = html[: html.index("</header>")]
    beside_source = summary[summary.index("</details>"):]
    assert 'data-kind="summary_length"' in summary and summary.count("nd-flag ") == 2
    assert 'data-kind="untranslated"' in translation and 'data-kind="number_mismatch"' in translation
    assert "expected: 3,164,000" in translation and "found: 316.4 million" in translation
    assert 'data-kind="truncated"' in head
    assert 'data-kind="ocr_doubled"' in beside_source  # about the input: under the source text
    assert html.count('class="nd-flag ') == len(flags)  # every flag shown, none twice
    assert 'data-flags="5"' in html
    # a flagged span is quoted from the source and marked in the original text
    assert "chars 16–19: “<span lang=\"zh\">正文。</span>”" in html
    assert re.search(r'<mark title="untranslated: [^"]*; ocr_doubled: [^"]*">正文</mark>'
                     r'<mark title="ocr_doubled: [^"]*">。</mark></div>', html)


def test_translation_flags_follow_their_paragraph():
    source = "标题\n本报讯(记者 甲)第一段。\n第二段有错字。\n第三段。"
    at = source.index("第二段")
    flags = [{"kind": "untranslated", "message": "still contains Chinese", "found": ["错字"]},
             {"kind": "number_mismatch", "message": "a number differs", "field": "translation",
              "span": [at, at + 7]},
             {"kind": "truncated", "message": "the model's translation stopped", "found": "not in any paragraph"}]
    rec = _record(paragraphs=["第一段。", "第二段有错字。", "第三段。"], translation="One.\n\nTwo 错字.\n\nThree.",
                  flags=flags, span=[0, len(source)])
    html = _section(render.card(rec, source), "nd-translation")
    order = re.findall(r'nd-para" lang="en">([^<]*)</div>|data-kind="(\w+)"', html)
    assert [a or b for a, b in order] == ["One.", "Two 错字.", "untranslated", "number_mismatch", "Three.",
                                          "truncated"]


def test_input_flags_stay_with_the_source_and_headline_flags_with_the_headline():
    ocr = {"kind": "ocr_dropped", "message": "a character seems dropped", "span": [3, 6], "found": "安管理",
           "expected": "安全管理"}
    head = {"kind": "untranslated", "message": "still contains Chinese: 五金", "span": [0, 40], "found": ["五金"]}
    rec = _record(summary="企业安管理更顺畅。", headline_en="Chinese五金 Hub", translation="The 五金 trade.",
                  span=[0, 40], flags=[ocr, head])
    assert render.flag_section(ocr, rec) == "source"  # although the summary repeats the OCR error
    assert render.flag_section(head, rec) == "headline"  # whole-article span, text in the English headline


def test_brief_parts_and_kicker_are_shown():
    part = {"kind": "news", "headline": "甲A球员考试忙", "dateline": "据新华社昆明1月2日电", "byline": "记者晋群",
            "people": [{"name": "晋群", "role": "reporter", "title": "记者"}], "paragraphs": ["正文。"],
            "span": [5, 20], "flags": [{"kind": "continued", "severity": "info", "message": "continues on page 2"}]}
    html = render.card(_record(kind="brief", kicker="短讯", items=[part]))
    assert '<div class="nd-kicker" lang="zh">短讯</div>' in html
    assert "甲A球员考试忙" in html and "据新华社昆明1月2日电 · 记者晋群" in html and "晋群 (记者)" in html
    assert 'data-kind="continued"' in html and 'data-flags="1"' in html
    assert "More fields" not in html


def test_long_flag_spans_mark_only_their_found_text():
    source = "标题\n" + "这是一段很长的原文，" * 6 + "其中有辅导员三个字。"
    flag = {"kind": "untranslated", "message": "still contains Chinese: 辅导员", "span": [3, len(source)],
            "found": ["辅导员"]}
    html = render.card(_record(flags=[flag], span=[0, len(source)], translation="x 辅导员"), source)
    assert re.findall(r"<mark [^>]*>([^<]*)</mark>", html) == ["辅导员"]


def test_optional_and_unknown_fields_are_shown():
    facts = [{"status": "verified"}, {"status": "verified"}, {"status": "flagged"}]
    html = render.card(_record(byline_en="Yu Mengting", people=[{"name": "俞梦婷", "role": "reporter",
                                                                 "name_en": "Yu Mengting"}],
                               facts=facts, fact_counts=tally(facts), audit={"checked": 3, "flagged": 1}))
    assert '<span class="nd-byline-en" lang="en">Yu Mengting</span>' in html
    assert "俞梦婷 Yu Mengting (reporter)" in html
    assert 'data-checked="3">Facts (numbers, dates, names, terms): 3 checked — 2 verified, 1 flagged' in html
    assert "More fields" in html and "audit" in html and "&quot;checked&quot;: 3" in html
    assert "fact_counts" not in html  # shown as the tally, not again under More fields


def test_safe_name_never_makes_a_path():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("  永康日报 2024-12-24 ") == "永康日报_2024-12-24"
    assert safe_name("") == "pasted" and safe_name("/") == "pasted"


@pytest.fixture(scope="module")
def pipe(tiny_chat):
    from service.pipeline import Pipeline

    return Pipeline(tiny_chat, cache_path=None, log=lambda m: None)


def test_page_streams_cards_then_writes_the_batch_files(pipe, seed_text, tmp_path):
    """Tiny model. The page event shows placeholders first, then one more finished card per record, then the
    files `newsdesk batch` writes for the same records."""
    items = segment(seed_text)
    text = seed_text[items[1].span[0]:items[3].span[1]]  # three items
    expected = [it.headline for it in articles(text)]
    assert len(expected) == 3
    ui = WebUI(pipe, workdir=tmp_path / "ui")
    updates = list(ui.page(text, "three items", None))
    cards = [u[1] for u in updates if isinstance(u[1], str)]
    done = [int(re.search(r'data-done="(\d+)"', c).group(1)) for c in cards]
    assert done[0] == 0 and cards[0].count("nd-pending") == 3  # placeholders before any generation
    assert sorted(set(done)) == [0, 1, 2, 3] and done == sorted(done)  # one card more at a time
    assert 'data-state="done"' in cards[-1] and 'data-state="done"' not in "".join(cards[:-1])
    status, final, jsonl_btn, md_btn, report_btn, run_dir = updates[-1]
    assert "Done: 3 items" in status
    jsonl, md, report = Path(jsonl_btn["value"]), Path(md_btn["value"]), Path(report_btn["value"])
    assert jsonl.name == "three_items.jsonl" and md.name == "three_items.md"
    assert sorted(p.name for p in jsonl.parent.iterdir()) == ["three_items.jsonl", "three_items.md",
                                                              "three_items.report.json"]  # what batch writes
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [r["headline"] for r in records] == expected
    assert [r["index"] for r in records] == [it.index for it in articles(text)]
    assert jsonl.read_text(encoding="utf-8") == to_jsonl(records)
    assert md.read_text(encoding="utf-8") == to_markdown("three_items", records)
    assert json.loads(report.read_text(encoding="utf-8")) == issue_report("three_items", records)
    for r in records:  # the card shows the record's outputs
        assert render.esc(r["summary"]) in final
        assert all(render.esc(p) in final for p in r["translation"].split("\n\n"))
    # a second run of the session replaces its previous files
    again = list(ui.page(text, "three items", run_dir))[-1]
    assert not Path(run_dir).exists() and Path(again[2]["value"]).is_file()


def test_page_refuses_bad_input_with_a_message(pipe, tmp_path):
    ui = WebUI(pipe, max_chars=50, workdir=tmp_path)
    for text, words in (("", "empty"), ("   \n", "empty"), ("字" * 51, "above the limit of 50"),
                        ("Hello, this is English text only.", "little or no Chinese")):
        updates = list(ui.page(text, "x", None))
        assert len(updates) == 1
        status, cards, *_ = updates[0]
        assert words in status and 'role="alert"' in status and cards == ""


def test_batch_reads_only_gradio_uploads(pipe, tmp_path, monkeypatch, seed_text):
    """Tiny model. Files outside Gradio's upload folder are refused without being read; wrong types, empty and
    duplicate names are refused with messages; the rest still run, and the ZIP holds exactly their batch files."""
    uploads = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    items = segment(seed_text)
    good = uploads / "h1" / "page.txt"
    good.parent.mkdir(parents=True)
    good.write_bytes(seed_text[items[3].span[0]:items[3].span[1]].encode("gb18030"))
    same_name = uploads / "h2" / "page.txt"
    same_name.parent.mkdir()
    same_name.write_text(seed_text[items[1].span[0]:items[1].span[1]], encoding="utf-8")
    empty = uploads / "h3" / "empty.txt"
    empty.parent.mkdir()
    empty.write_bytes(b"")
    wrong_type = uploads / "h4" / "page.pdf"
    wrong_type.parent.mkdir()
    wrong_type.write_bytes(b"%PDF-1.4")
    outside = tmp_path / "secret.txt"
    outside.write_text("机密" * 10, encoding="utf-8")
    ui = WebUI(pipe, workdir=tmp_path / "ui")
    updates = list(ui.batch([str(outside), str(good), str(same_name), str(empty), str(wrong_type)], None))
    status, archive, _ = updates[-1]
    assert "secret.txt was not uploaded through this page" in status
    assert "named page; their results would overwrite" in status
    assert "empty.txt is empty" in status and "only plain-text issue files" in status
    assert "✓ page.txt: 1 items" in status
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["page.jsonl", "page.md", "page.report.json"]
        rec = json.loads(z.read("page.jsonl"))
    assert rec["headline"] == items[3].headline  # the GB18030 file, decoded
    assert "机密" not in Path(archive).read_bytes().decode("latin-1")

    only_bad = list(ui.batch([str(outside)], None))
    assert len(only_bad) == 1 and only_bad[0][1] is None and 'role="alert"' in only_bad[0][0]
    assert list(ui.batch([], None))[0][1] is None


def test_generating_events_run_side_by_side(pipe, tmp_path):
    """One model per process, several sessions at once: the page, batch and API events share one concurrency
    group of CONCURRENT_RUNS; their jobs meet in the model's generation queue (tests/test_llamacpp.py)."""
    from service.ui import CONCURRENT_RUNS

    demo = WebUI(pipe, workdir=tmp_path).build()
    fns = {fn.api_name: fn for fn in demo.fns.values()}
    assert CONCURRENT_RUNS > 1
    for name in ("page", "batch", "process"):
        assert fns[name].concurrency_id == "generate" and fns[name].concurrency_limit == CONCURRENT_RUNS, name


def test_serve_defaults_to_localhost():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    assert args.max_chars == 20_000


def test_stopping_a_run_frees_the_model(tiny_chat, seed_text):
    """Tiny model, batches of one. Closing the event's stream (Stop button, closed tab) ends the run after the
    batch in flight instead of generating the rest for nobody."""
    import threading

    from service.ingest import from_text
    from service.pipeline import Pipeline
    from service.ui import stream

    pipe = Pipeline(tiny_chat, cache_path=None, batch_size=1, log=lambda m: None)
    doc = from_text(seed_text, "stop-me")
    planned = sum(len(pipe.generator.plan(it).jobs) for it in pipe.preprocess(doc))
    events = stream(pipe, doc)
    kind, stats = next(events)
    assert kind == "progress" and stats["generated"] == 1
    worker = next(t for t in threading.enumerate() if t.name == "newsdesk-run-stop-me")
    events.close()
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert pipe.cache.count() <= 2 < planned  # the batch in flight at most, of dozens
