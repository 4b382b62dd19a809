"""`newsdesk batch` as a user runs it (a subprocess), with the tiny random-weight chat model from conftest."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def newsdesk(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, **kw)


@pytest.fixture
def issues(tmp_path, seed_text) -> Path:
    d = tmp_path / "issues"
    d.mkdir()
    (d / "page-a.txt").write_text(seed_text, encoding="utf-8")
    (d / "page-b.txt").write_bytes(seed_text.encode("gb18030"))
    return d


def test_batch_writes_jsonl_and_markdown_per_issue(tiny_chat, issues, tmp_path):
    out = tmp_path / "out"
    r = newsdesk("batch", issues, "--out", out, "--model", tiny_chat, "--cache", tmp_path / "c.sqlite")
    assert r.returncode == 0, r.stderr
    for stem in ("page-a", "page-b"):
        lines = (out / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines()
        records = [json.loads(x) for x in lines]
        assert len(records) == 6 and [x["index"] for x in records] == list(range(6))
        assert {x["issue"] for x in records} == {stem}
        for x in records:
            for key in ("headline", "headline_en", "byline", "text", "span", "summary", "translation", "flags",
                        "model", "prompt_version", "kind"):
                assert key in x
        report = json.loads((out / f"{stem}.report.json").read_text(encoding="utf-8"))
        assert report["facts"]["checked"] == sum(x["fact_counts"]["checked"] for x in records) > 0
        md = (out / f"{stem}.md").read_text(encoding="utf-8")
        assert all(x["headline"] in md for x in records) and md.count("### Translation") == 6
    # the GB18030 copy gives the same records as the UTF-8 one, and its second run came from the cache
    a = [json.loads(x) for x in (out / "page-a.jsonl").read_text(encoding="utf-8").splitlines()]
    b = [json.loads(x) for x in (out / "page-b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["translation"] for x in a] == [x["translation"] for x in b]
    assert "0 generated" in r.stdout.splitlines()[-1]
    assert "tok/s" in r.stderr  # the progress bar
    assert not list(out.glob(".*.tmp"))


def test_bad_files_are_reported_and_the_rest_still_runs(tiny_chat, issues, tmp_path):
    (issues / "empty.txt").write_text("")
    (issues / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)
    (issues / "english.txt").write_text("The council met on Monday and approved the budget. " * 10)
    out = tmp_path / "out"
    r = newsdesk("batch", issues, "--out", out, "--model", tiny_chat, "--cache", tmp_path / "c.sqlite")
    assert r.returncode == 1
    assert "empty.txt is empty" in r.stderr
    assert "scan.txt looks like a binary file" in r.stderr
    assert "english.txt has little or no Chinese" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["page-a.jsonl", "page-a.md", "page-a.report.json",
                                                     "page-b.jsonl", "page-b.md", "page-b.report.json"]


def test_unknown_model_is_a_clear_error(tmp_path, issues):
    r = newsdesk("batch", issues, "--out", tmp_path / "o", "--model", "no-such-model")
    assert r.returncode == 2
    assert "unknown model 'no-such-model'" in r.stderr and "newsdesk models list" in r.stderr
    assert "Traceback" not in r.stderr


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _start_and_stop_midway(cmd: list[str], db: Path, sig: int) -> subprocess.CompletedProcess:
    proc = subprocess.Popen([sys.executable, "-m", "service", *cmd], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while _rows(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be interrupted"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupted_batch_loses_only_work_in_flight_and_resumes(tiny_chat, seed_text, tmp_path, sig):
    src = tmp_path / "in"
    src.mkdir()
    (src / "seed.txt").write_text(seed_text, encoding="utf-8")
    out, db = tmp_path / "out", tmp_path / "c.sqlite"
    cmd = ["batch", str(src), "--out", str(out), "--model", tiny_chat, "--cache", str(db), "--batch-size", "1"]
    stopped = _start_and_stop_midway(cmd, db, sig)
    if sig == signal.SIGINT:
        assert stopped.returncode == 130
        assert "interrupted" in stopped.stderr and "run the same command again to resume" in stopped.stderr
    else:
        assert stopped.returncode == -signal.SIGKILL
    saved = _rows(db)
    assert saved >= 3
    assert not (out / "seed.jsonl").exists()  # no half-written output
    assert not out.exists() or not [p for p in out.iterdir()]

    done = newsdesk(*cmd)
    assert done.returncode == 0, done.stderr
    summary = done.stdout.splitlines()[-1]
    cached = int(summary.split(" generated, ")[1].split(" from cache")[0])
    assert cached >= saved  # everything committed before the stop is reused: only the batch in flight was lost
    assert len((out / "seed.jsonl").read_text(encoding="utf-8").splitlines()) == 6
