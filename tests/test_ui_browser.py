"""The web UI in a real browser (Playwright for Python driving Debian's Chromium, headless) and through
`gradio_client`, against `newsdesk serve` started on a free local port.

The server runs the tiny random-weight chat model built in conftest: its output is gibberish, which is fine here.
These tests check what a user sees and gets (every article's card, downloads equal to the batch files, error
messages, sessions kept apart), not translation quality. Chromium comes from Debian (`apt-get install chromium`,
done by scripts/test.sh); `playwright install` is never used.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from service.output.outputs import fact_report, to_markdown
from service.page.segment import SKIP_KINDS, segment

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAX_CHARS = 4000  # the server's --max-chars: the seed page (3,110 characters) fits, two of it do not
RUN_TIMEOUT_MS = 600_000  # a whole page on the tiny model takes 20-60 s on 2 busy cores


def articles(text: str) -> list:
    """The items the pipeline makes records of (page furniture is skipped), as `Pipeline.preprocess` does."""
    return [it for it in segment(text) if it.kind not in SKIP_KINDS]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serving(tmp: Path, *options: str):
    """`newsdesk serve OPTIONS` on a free port with its own generation cache and Gradio upload folder; its URL."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "GRADIO_TEMP_DIR": str(tmp / "gradio")}
    log = open(tmp / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port),
                             "--cache", str(tmp / "cache.sqlite"), *options],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"newsdesk serve exited with {proc.returncode}:\n{(tmp / 'serve.log').read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"newsdesk serve did not answer on {url}:\n{(tmp / 'serve.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tiny_chat, tmp_path_factory):
    """`newsdesk serve` with the tiny model."""
    tmp = tmp_path_factory.mktemp("serve")
    with _serving(tmp, "--model", tiny_chat, "--max-chars", str(MAX_CHARS)) as url:
        yield {"url": url, "tmp": tmp, "model": tiny_chat}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, with a fresh temporary profile (Playwright's launch() makes one)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does: "
                    "apt-get install chromium fonts-noto-cjk).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url):
    """A new browser context (its own cookies and storage) with the app loaded: a separate user session."""
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector("#nd-text textarea")
    return ctx, page


def _watch_cards(page) -> None:
    """Record every state the cards area passes through (done / total / state), for the streaming check."""
    page.evaluate("""() => {
        window.__cards = [];
        const root = document.querySelector('#nd-cards');
        new MutationObserver(() => {
            const c = root.querySelector('.nd-cards');
            if (c) window.__cards.push([+c.dataset.done, +c.dataset.total, c.dataset.state]);
        }).observe(root, {childList: true, subtree: true, attributes: true});
    }""")


def _run(page, text: str, name: str) -> None:
    page.fill("#nd-text textarea", text)
    page.fill("#nd-name input", name)
    page.click("#nd-run")


def _wait_done(page) -> None:
    page.wait_for_selector(".nd-cards[data-state=done]", timeout=RUN_TIMEOUT_MS)


def _download(page, selector: str, dest: Path) -> Path:
    with page.expect_download() as d:
        page.click(selector)
    path = dest / d.value.suggested_filename
    d.value.save_as(path)
    return path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_paste_seed_page_run_cards_and_downloads(server, browser, seed_text, tmp_path):
    """Tiny model. Example preloaded; paste the seed page, Run: placeholders, then 6 finished cards whose texts
    and flags are those of the downloaded JSONL; the Markdown and fact report are what `newsdesk batch` writes."""
    from playwright.sync_api import expect

    expected = [it.headline for it in articles(seed_text)]
    assert len(expected) == 6
    ctx, page = _open(browser, server["url"])
    page.get_by_text("000_fd4f6e000473b793", exact=True).click()  # the example row
    expect(page.locator("#nd-text textarea")).to_have_value(seed_text)
    expect(page.locator("#nd-name input")).to_have_value("000_fd4f6e000473b793")

    page.fill("#nd-text textarea", "")
    _watch_cards(page)
    _run(page, seed_text, "seed page")
    _wait_done(page)
    seen = page.evaluate("window.__cards")
    assert [6, "running"] in [[t, s] for d, t, s in seen if d < t]  # cards were shown before all were done
    assert page.locator(".nd-card.nd-pending").count() == 0
    cards = page.locator(".nd-card.nd-done")
    assert cards.count() == 6
    assert page.locator(".nd-card .nd-hl-zh").all_text_contents() == expected
    assert "Done: 6 items" in page.inner_text("#nd-status")

    jsonl = _download(page, "#nd-dl-jsonl", tmp_path)
    assert jsonl.name == "seed_page.jsonl"
    records = _jsonl(jsonl)
    assert [r["index"] for r in records] == [it.index for it in articles(seed_text)]
    assert [r["headline"] for r in records] == expected
    assert {r["issue"] for r in records} == {"seed_page"}
    for r in records:
        card = page.locator(f'.nd-card[data-index="{r["index"]}"]')
        assert r["headline_en"] and r["summary"] and r["translation"]
        assert card.locator(".nd-hl-en").text_content() == r["headline_en"]
        assert card.locator(".nd-summary-text").text_content() == r["summary"]
        assert "\n\n".join(card.locator(".nd-translation .nd-para").all_text_contents()) == r["translation"]
        n_flags = len(r["flags"]) + sum(len(p.get("flags") or []) for p in r.get("items") or [])
        assert card.locator(".nd-flag").count() == n_flags  # every flag visible on its card
        if r["byline"]:
            assert r["byline"] in card.locator(".nd-byline").text_content()
    md = _download(page, "#nd-dl-md", tmp_path)
    assert md.name == "seed_page.md"
    assert md.read_text(encoding="utf-8") == to_markdown("seed_page", records)
    report = _download(page, "#nd-dl-report", tmp_path)
    assert report.name == "seed_page.report.json"
    report = json.loads(report.read_text(encoding="utf-8"))
    assert report.pop("run")["prompt_version"] == records[0]["prompt_version"]  # what made the set, as batch says
    assert report == fact_report("seed_page", records)
    ctx.close()


def test_bad_input_shows_an_error(server, browser, seed_text):
    """No model output needed: empty, too long and non-Chinese input each get a visible message, no cards."""
    ctx, page = _open(browser, server["url"])
    for text, words in (("", "the pasted text is empty"),
                        (seed_text + seed_text, f"above the limit of {MAX_CHARS:,}"),
                        ("Just some English words, no Chinese at all.", "little or no Chinese")):
        page.fill("#nd-text textarea", text)
        page.click("#nd-run")
        page.locator("#nd-status [role=alert]", has_text=words).wait_for(timeout=30_000)
        assert page.locator(".toast-body", has_text=words).first.is_visible()  # and a pop-up saying so
        assert page.locator(".nd-card").count() == 0
        assert not page.locator("#nd-dl-jsonl").is_visible()
    ctx.close()


def test_two_sessions_at_once_get_their_own_results(server, browser, seed_text, tmp_path):
    """Tiny model. Two browser sessions run different pages at the same time; each sees and downloads its own."""
    items = segment(seed_text)
    text_a = seed_text[items[0].span[0]:items[0].span[1]]
    text_b = seed_text[items[4].span[0]:items[5].span[1]]
    heads_a = [it.headline for it in articles(text_a)]
    heads_b = [it.headline for it in articles(text_b)]
    assert len(heads_a) == 1 and len(heads_b) == 2
    (ctx_a, a), (ctx_b, b) = _open(browser, server["url"]), _open(browser, server["url"])
    _run(a, text_a, "session a")
    _run(b, text_b, "session b")
    _wait_done(a)
    _wait_done(b)
    assert a.locator(".nd-card .nd-hl-zh").all_text_contents() == heads_a
    assert b.locator(".nd-card .nd-hl-zh").all_text_contents() == heads_b
    rec_a = _jsonl(_download(a, "#nd-dl-jsonl", tmp_path))
    rec_b = _jsonl(_download(b, "#nd-dl-jsonl", tmp_path))
    assert [r["headline"] for r in rec_a] == heads_a and {r["issue"] for r in rec_a} == {"session_a"}
    assert [r["headline"] for r in rec_b] == heads_b and {r["issue"] for r in rec_b} == {"session_b"}
    ctx_a.close()
    ctx_b.close()


def test_batch_tab_zip_holds_exactly_the_batch_files(server, browser, seed_text, tmp_path):
    """Tiny model. Upload a UTF-8 and a GB18030 issue file (and an empty one, refused with a message); the ZIP
    holds exactly the files `newsdesk batch` writes for the two good files, with the same content."""
    from playwright.sync_api import expect

    items = segment(seed_text)
    up = tmp_path / "upload"
    up.mkdir()
    (up / "issue-utf8.txt").write_text(seed_text[items[1].span[0]:items[1].span[1]], encoding="utf-8")
    (up / "issue-gb.txt").write_bytes(seed_text[items[2].span[0]:items[3].span[1]].encode("gb18030"))
    (up / "blank.txt").write_bytes(b"")
    ctx, page = _open(browser, server["url"])
    page.get_by_role("tab", name="Batch").click()
    page.set_input_files("#nd-files input[type=file]", [str(up / n) for n in ("issue-utf8.txt", "issue-gb.txt",
                                                                              "blank.txt")])
    expect(page.locator("#nd-files tr.file")).to_have_count(3)  # all three uploaded
    page.click("#nd-run-batch")
    link = page.locator("#nd-zip a[download]")
    link.wait_for(timeout=RUN_TIMEOUT_MS)
    status = page.inner_text("#nd-batch-status")
    assert "blank.txt is empty" in status and "✓ issue-utf8.txt: 1 items" in status
    assert "✓ issue-gb.txt: 2 items" in status
    archive = _download(page, "#nd-zip a[download]", tmp_path)
    ctx.close()

    # the batch command on the same files, same model (and the server's generation cache, so it is quick)
    out = tmp_path / "cli-out"
    subprocess.run([sys.executable, "-m", "service", "batch", str(up / "issue-utf8.txt"), str(up / "issue-gb.txt"),
                    "--out", str(out), "--model", server["model"], "--cache", str(server["tmp"] / "cache.sqlite")],
                   cwd=ROOT, check=True, capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == sorted(p.name for p in out.iterdir())
        assert sorted(z.namelist()) == ["issue-gb.jsonl", "issue-gb.md", "issue-gb.report.json",
                                        "issue-utf8.jsonl", "issue-utf8.md", "issue-utf8.report.json"]
        for name in z.namelist():
            ours, theirs = z.read(name).decode("utf-8"), (out / name).read_text(encoding="utf-8")
            if name.endswith(".jsonl"):  # `cached` differs: the command found the server's generations
                ours, theirs = ([{**r, "cached": None} for r in map(json.loads, t.splitlines())]
                                for t in (ours, theirs))
            assert ours == theirs, name


def test_gradio_client_api(server, seed_text, tmp_path):
    """Tiny model. /process returns the page's records in page order; bad input raises with the message;
    /batch takes uploaded files; a path the client names but did not upload is refused by the server."""
    from gradio_client import Client, handle_file

    client = Client(server["url"], verbose=False, download_files=str(tmp_path / "dl"))
    assert {"/process", "/batch"} <= set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    items = segment(seed_text)
    text = seed_text[items[3].span[0]:items[5].span[1]]
    records = client.predict(text=text, name="api page", api_name="/process")
    assert [r["headline"] for r in records] == [it.headline for it in articles(text)]
    assert [r["index"] for r in records] == [it.index for it in articles(text)]
    assert {r["issue"] for r in records} == {"api_page"}
    assert all(r["translation"] and r["summary"] and "flags" in r for r in records)
    with pytest.raises(Exception, match="the pasted text is empty"):
        client.predict(text="", api_name="/process")
    short = client.predict(text=text, name="api page", length="short", api_name="/process")  # one-line summaries
    assert {r["summary_length"] for r in short} == {"short"} and {r["summary_length"] for r in records} == {"standard"}
    assert all("summarize_short@" in r["prompt_version"] for r in short)
    with pytest.raises(Exception, match="summary length 'long' is not known"):
        client.predict(text=text, length="long", api_name="/process")

    page_file = tmp_path / "issue.txt"
    page_file.write_text(text, encoding="utf-8")
    status, archive = client.predict(files=[handle_file(str(page_file))], api_name="/batch")
    assert "✓ issue.txt: 3 items" in status
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["issue.jsonl", "issue.md", "issue.report.json"]

    # a raw request naming a server-side file (not uploaded) is refused: the server never reads it
    secret = tmp_path / "secret.txt"
    secret.write_text("机密" * 20, encoding="utf-8")
    body = json.dumps({"data": [[{"path": str(secret), "meta": {"_type": "gradio.FileData"}}], "standard"]}).encode()
    call = urllib.request.Request(server["url"] + "gradio_api/call/batch", data=body,
                                  headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(call, timeout=60) as r:
        event = json.load(r)["event_id"]
    with urllib.request.urlopen(server["url"] + f"gradio_api/call/batch/{event}", timeout=60) as r:
        answer = r.read().decode("utf-8")
    assert "event: error" in answer and "not uploaded by a user" in answer and "机密" not in answer


@pytest.mark.real_model
def test_embedded_model_behind_the_page(browser, tmp_path):
    """The real embedded model behind `newsdesk serve` (no cache: it really runs): a pasted article's card shows
    a Chinese summary, and an English headline and translation that carry the article's numbers."""
    from test_real_model import ARTICLE, _numbers

    from service.chinese import cjk_share

    with _serving(tmp_path) as url:
        ctx, page = _open(browser, url)
        _run(page, ARTICLE, "short")
        _wait_done(page)
        card = page.locator(".nd-card.nd-done")
        assert card.count() == 1
        assert card.locator(".nd-hl-zh").text_content() == "首批企业获证 我市安全生产项目结硕果"
        summary = card.locator(".nd-summary-text").text_content()
        assert cjk_share(summary) > 0.8, summary
        translation = "\n\n".join(card.locator(".nd-translation .nd-para").all_text_contents())
        for text in (translation, card.locator(".nd-hl-en").text_content()):
            letters = [c for c in text if c.isalpha()]
            assert letters and sum(c.isascii() for c in letters) / len(letters) > 0.9, text
        assert {"25", "13", "3060", "57"} <= _numbers(translation), translation
        assert "model qwen2.5-coder-1.5b-q4km" in page.inner_text("#nd-status")
        ctx.close()
