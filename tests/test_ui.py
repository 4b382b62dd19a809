"""Web UI logic without a browser: card rendering, streaming, per-run files, upload checks, the serve command,
and the app served in this process to `gradio_client` (session ends, a busy server).

Tests that generate run the real code path on the tiny random-weight chat model built in conftest (gibberish
output): they check where outputs land and that nothing is lost, not translation quality. The browser tests are
in test_ui_browser.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from service.faithfulness.checks import tally
from service.fronts.cli import build_parser
from service.fronts.ui import WebUI, safe_name
from service.output import render
from service.output.outputs import fact_report, to_jsonl, to_markdown
from service.page.segment import SKIP_KINDS, segment

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
         "found": "Title", "field": "headline"},  # a headline job's flag (checks.place)
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
    head = {"kind": "untranslated", "message": "still contains Chinese: 五金", "span": [0, 40], "found": ["五金"],
            "field": "headline"}
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


def test_page_streams_cards_then_writes_the_batch_files(pipe, seed_text, tmp_path, monkeypatch):
    """Tiny model. The page event shows placeholders first, then one more finished card per record, then the
    files `newsdesk batch` writes for the same records; the page is read (segmented) once."""
    items = segment(seed_text)
    text = seed_text[items[1].span[0]:items[3].span[1]]  # three items
    expected = [it.headline for it in articles(text)]
    assert len(expected) == 3
    ui = WebUI(pipe, workdir=tmp_path / "ui")
    reads = []
    real_preprocess = type(pipe).preprocess
    monkeypatch.setattr(type(pipe), "preprocess", lambda self, doc: reads.append(doc.name) or real_preprocess(self, doc))
    updates = list(ui.page(text, "three items", None))
    assert reads == ["three_items"]
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
    report = json.loads(report.read_text(encoding="utf-8"))
    run = report.pop("run")  # what made the set, as newsdesk batch writes it
    assert (run["model"], run["prompt_version"]) == (records[0]["model"], records[0]["prompt_version"])
    assert report == fact_report("three_items", records)
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
    """One model per process, several sessions at once: the gate lets CONCURRENT_RUNS runs use the model at once
    (their jobs meet in the model's generation queue, tests/test_llamacpp.py) and MAX_WAITING wait. The page, batch
    and API events share one Gradio concurrency group that lets all those in, and a few more for the gate to
    refuse, within Gradio's threads (a waiting run holds one)."""
    from service.fronts.ui import CONCURRENT_RUNS, MAX_WAITING, QUEUE_SIZE, REFUSING_SLOTS

    ui = WebUI(pipe, workdir=tmp_path)
    demo = ui.build()
    fns = {fn.api_name: fn for fn in demo.fns.values()}
    assert (ui.gate.running, ui.gate.waiting) == (CONCURRENT_RUNS, MAX_WAITING) and CONCURRENT_RUNS > 1
    admitted = CONCURRENT_RUNS + MAX_WAITING + REFUSING_SLOTS
    for name in ("page", "batch", "process"):
        assert fns[name].concurrency_id == "generate" and fns[name].concurrency_limit == admitted, name
    assert admitted < demo.max_threads and demo._queue.max_size == QUEUE_SIZE > admitted


def test_serve_defaults_to_localhost():
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    assert args.max_chars == 20_000


def test_stopping_a_run_frees_the_model(tiny_chat, seed_text):
    """Tiny model, batches of one. Closing the event's stream (Stop button, closed tab) ends the run after the
    batch in flight instead of generating the rest for nobody."""
    import threading

    from service.fronts.ui import stream
    from service.page.ingest import from_text
    from service.pipeline import Pipeline

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


# --- the app served in this process; results that go when their session ends -------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _served(ui: WebUI):
    """The app `newsdesk serve` runs (same Blocks, same queue), on a free local port in this process; its URL."""
    demo = ui.build()
    demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True,
                ssr_mode=False)
    try:
        yield demo.local_url
    finally:
        demo.close()


def _one_item(seed_text: str) -> str:
    items = segment(seed_text)
    return seed_text[items[3].span[0]:items[3].span[1]]


def test_an_api_call_is_served_as_someone_waiting(tiny_chat, seed_text, tmp_path, monkeypatch):
    """Tiny model. An API client's /process call waits for its answer as the page view's reader does: its requests
    reach the model's queue marked interactive, so a one-article call is served first beside a heavier run
    (service/generation/scheduler.py). They were not, and a one-article call beside a page waited 34-51 s.
    A pipeline of its own: the module's has this article's results cached by the tests before."""
    from service.generation.scheduler import Scheduler
    from service.pipeline import Pipeline

    pipe = Pipeline(tiny_chat, cache_path=None, log=lambda m: None)

    seen = []
    real = Scheduler.submit
    monkeypatch.setattr(Scheduler, "submit", lambda self, reqs, **kw: seen.extend(r.interactive for r in reqs)
                        or real(self, reqs, **kw))
    ui = WebUI(pipe, workdir=tmp_path / "ui")
    try:
        assert ui.process(_one_item(seed_text), "one")
    finally:
        ui.close()
    assert len(seen) > 2 and all(seen)  # generation requests, not only the OCR step's scoring ones


def _wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_results_go_when_the_api_client_session_ends(pipe, seed_text, tmp_path, monkeypatch):
    """Tiny model, the app served here. A gradio_client session's ZIP lies in a run directory of its own with an
    unguessable name, served as it is (no copy kept by Gradio); closing the client removes it at once and the link
    stops working (Gradio alone keeps a closed session's state an hour, and a client's without end)."""
    from gradio_client import Client, handle_file

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.25")  # a closed client is noticed at the next heartbeat
    issue = tmp_path / "issue.txt"
    issue.write_text(_one_item(seed_text), encoding="utf-8")
    ui = WebUI(pipe)
    try:
        with _served(ui) as url:
            client = Client(url, verbose=False, download_files=str(tmp_path / "dl"))
            status, archive = client.predict(files=[handle_file(str(issue))], api_name="/batch")
            assert "✓ issue.txt: 1 items" in status and "kept until you close this page, for 1 hour at most" in status
            (run,) = ui.workdir.glob("run-*")
            assert not list((tmp_path / "gradio").rglob("*.zip"))[1:]  # the one ZIP: Gradio made no copy
            link = f"{url}gradio_api/file={run / Path(archive).name}"
            with urllib.request.urlopen(link, timeout=30) as r:
                assert r.read() == Path(archive).read_bytes()
            client.close()
            assert _wait_for(lambda: not run.exists()), "the closed session's results are still there"
            assert len(run.name) >= len("run-") + 24  # 144 random bits
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(link, timeout=30)
        assert ui.workdir.parent == (tmp_path / "gradio").resolve()  # inside Gradio's upload folder
    finally:
        ui.close()
    assert not ui.workdir.exists()


def test_results_expire_after_the_stated_time(pipe, seed_text, tmp_path, monkeypatch):
    """Tiny model. A periodic sweep removes run directories older than the time the page states, whatever became
    of their session; a run still writing is never swept, and its results age from when it finished."""
    ui = WebUI(pipe, workdir=tmp_path / "ui", ttl=2, sweep_every=0.2)
    import gradio as gr

    texts = [b.value for b in ui.build().blocks.values() if isinstance(b, gr.Markdown)]
    assert any("deleted when you close this page, and 2 seconds after a run at the latest" in t for t in texts)
    status, *_, run_dir = list(ui.page(_one_item(seed_text), "x", None))[-1]
    assert "for 2 seconds at most" in status and Path(run_dir).is_dir()
    assert _wait_for(lambda: not Path(run_dir).exists(), timeout=15), "the expired results are still there"

    uploads = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    upload = uploads / "h1" / "issue.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text(_one_item(seed_text), encoding="utf-8")
    ui = WebUI(pipe, workdir=tmp_path / "ui2", ttl=60, sweep_every=3600)
    run = ui.batch([str(upload)], None)
    *_, out = next(run)  # the run has its directory and is generating
    os.utime(out, (0, 0))
    assert ui.sweep() == [] and Path(out).is_dir()  # busy: kept however old
    status, archive, _ = list(run)[-1]
    assert Path(archive).is_file() and ui.sweep(now=time.time() + 30) == []
    assert ui.sweep(now=time.time() + 61) == [Path(out)] and not Path(out).exists()


def test_stale_results_folders_are_removed_at_start(pipe, tmp_path, monkeypatch):
    """A server killed with -9 (or a crash) leaves its folder of results behind. The next server removes the
    folders whose process is gone (or whose pid now names another process), and those of older versions (no owner
    file) untouched for a day; a live server's folder stays. Its own folder names it and goes when it closes."""
    from service.fronts.ui import OWNER_FILE, _start_time

    uploads, system_tmp = tmp_path / "gradio", tmp_path / "tmp"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()

    def folder(root: Path, name: str, owner: str | None, age: float = 0) -> Path:
        d = root / f"newsdesk-ui-{name}"
        (d / "run-x").mkdir(parents=True)
        (d / "run-x" / "page.jsonl").write_text("{}\n")
        if owner is not None:
            (d / OWNER_FILE).write_text(owner)
        os.utime(d, (time.time() - age, time.time() - age))
        return d

    dead = folder(uploads, "dead", f"{gone.pid} 1")
    live = folder(uploads, "live", f"{os.getpid()} {_start_time(os.getpid()) or ''}")
    reused = folder(uploads, "reused", f"{os.getpid()} 1") if _start_time(os.getpid()) else None
    old = folder(system_tmp, "old", None, age=2 * 86400)
    recent = folder(system_tmp, "recent", None)
    other = uploads / "not-ours"
    other.mkdir()
    ui = WebUI(pipe)
    try:
        assert not dead.exists() and not old.exists() and (reused is None or not reused.exists())
        assert live.exists() and recent.exists() and other.exists()
        assert ui.workdir.parent == uploads.resolve() and ui.workdir.name.startswith("newsdesk-ui-")
        assert (ui.workdir / OWNER_FILE).read_text().split()[0] == str(os.getpid())
    finally:
        ui.close()
    assert not ui.workdir.exists()


def test_sigterm_leaves_no_results_behind(tiny_chat, seed_text, tmp_path):
    """Tiny model. `newsdesk serve` stopped with SIGTERM (kill, systemd, docker stop) while a client session holds
    results exits cleanly and leaves no folder of results in its temp folder (Python's default for SIGTERM is to die
    at once, skipping every clean-up)."""
    from gradio_client import Client, handle_file

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    env.update(TMPDIR=str(tmp), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port), "--model", tiny_chat,
                                 "--cache", str(tmp_path / "cache.sqlite")],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            def up() -> bool:
                assert proc.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        return r.status == 200
                except OSError:
                    return False

            assert _wait_for(up, timeout=300), log_path.read_text()
            issue = tmp_path / "issue.txt"
            issue.write_text(_one_item(seed_text), encoding="utf-8")
            client = Client(url, verbose=False, download_files=str(tmp_path / "dl"))
            status, _ = client.predict(files=[handle_file(str(issue))], api_name="/batch")
            assert "✓ issue.txt" in status
            assert len(list(tmp.rglob("newsdesk-ui-*/run-*/*.zip"))) == 1  # the session's results
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=120) == 0, log_path.read_text()
            client.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert not list(tmp.rglob("newsdesk-ui-*")), log_path.read_text()


class _HeldPipe:
    """A stand-in for the pipeline whose runs last until the test releases them: the gate's places stay taken."""

    model_name = "held"
    summary_profile = translate_profile = SimpleNamespace(name="held")
    summary_length = "standard"

    def __init__(self):
        self.release = threading.Event()
        self.running = 0
        self._lock = threading.Lock()

    def process(self, doc, **_) -> list[dict]:
        with self._lock:
            self.running += 1
        self.release.wait(120)
        return [{"issue": doc.name, "index": 0}]


def test_a_busy_server_says_how_many_wait_and_what_to_do(seed_text, tmp_path, monkeypatch):
    """The app served here, 2 runs at once and 3 waiting: of 8 API calls at once, 2 run, 3 wait and then run, and
    3 are refused at once with a message naming the limit, how many wait and what to do, not Gradio's "Queue is
    full! Please try again."."""
    from gradio_client import Client

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    pipe = _HeldPipe()
    ui = WebUI(pipe, workdir=tmp_path / "ui", concurrent_runs=2, max_waiting=3)
    try:
        with _served(ui) as url:
            client = Client(url, verbose=False)
            jobs = [client.submit(text=_one_item(seed_text), name=f"call{i}", api_name="/process") for i in range(8)]
            assert _wait_for(lambda: sum(j.done() for j in jobs) == 3), [j.status() for j in jobs]
            refused = [j for j in jobs if j.done()]
            for j in refused:
                with pytest.raises(Exception, match=r"The server is busy: 2 runs are using the model and 3 more are "
                                                    r"waiting for a turn, the most it lets wait \(3\)\. Nothing was "
                                                    r"started; try again in a minute\."):
                    j.result()
            assert ui.gate.counts() == (2, 3) and pipe.running == 2
            pipe.release.set()
            served = [j.result(timeout=60) for j in jobs if j not in refused]
            assert sorted(r[0]["issue"] for r in served) == sorted(f"call{i}" for i, j in enumerate(jobs)
                                                                 if j not in refused)
            assert ui.gate.counts() == (0, 0) and pipe.running == 5
            client.close()
    finally:
        pipe.release.set()
        ui.close()


def test_zip_entries_get_the_modes_of_new_files(pipe, tmp_path, monkeypatch, seed_text):
    """Tiny model. The ZIP's entries carry the modes `newsdesk batch` gives new files (0666 less the umask), so
    unpacked results are readable by whom the user's umask says, not 0600."""
    uploads = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    upload = uploads / "h1" / "issue.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text(_one_item(seed_text), encoding="utf-8")
    ui = WebUI(pipe, workdir=tmp_path / "ui")
    for mask in (0o022, 0o027):
        previous = os.umask(mask)
        try:
            _, archive, _ = list(ui.batch([str(upload)], None))[-1]
        finally:
            os.umask(previous)
        with zipfile.ZipFile(archive) as z:
            modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        assert modes == dict.fromkeys(["issue.jsonl", "issue.md", "issue.report.json"], stat.S_IFREG | 0o666 & ~mask)
