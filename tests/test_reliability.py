"""Reliability (issue 14): bad inputs, bad options and faults get a clear message, lose nothing, and are found
before the model loads; outputs are written as a set with the user's file modes. `newsdesk batch` runs as a user
runs it (a subprocess) with the tiny random-weight chat model from conftest. Where file permissions matter and the
tests run as root, the command runs without root's power to ignore them (`setpriv` drops CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH) and the files it must not read or write belong to `nobody`: what an ordinary user meets."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from service.errors import InputError
from service.output import outputs
from service.page import ingest
from service.page.segment import segment
from service.pipeline import attach_document_flags

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ("江南街道开展视察\n\n本报讯 12月23日,江南街道开展民生实事项目推进视察,25家企业参加。\n"
           "视察组先后来到3个项目现场。\n")
OTHER = "行道树减负梳妆\n\n本报讯 近日,市园林部门对城区主干道的1200余株行道树进行修剪。\n"
NOBODY = 65534
AS_USER = (["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]
           if os.getuid() == 0 else [])


def newsdesk(*args, as_user: bool = False) -> subprocess.CompletedProcess:
    cmd = [*(AS_USER if as_user else []), sys.executable, "-m", "service", *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _forbid(path: Path, mode: int) -> None:
    """Make `path` someone else's (as root) with `mode`, or, as an ordinary user, take the rights away."""
    if os.getuid() == 0:
        os.chown(path, NOBODY, NOBODY)
        path.chmod(mode)
    else:
        path.chmod(mode & 0o555 if path.is_dir() else 0)


def _no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr


# --- row 1: same-named inputs -----------------------------------------------------------------------------------
def test_same_named_inputs_get_distinct_outputs(tiny_chat, tmp_path):
    for month, text in (("2024-01", ARTICLE), ("2024-02", OTHER)):
        (tmp_path / month).mkdir()
        (tmp_path / month / "page01.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    r = newsdesk("batch", tmp_path / "2024-01" / "page01.txt", tmp_path / "2024-02", "--out", out,
                 "--model", tiny_chat, "--cache", tmp_path / "c.sqlite")
    assert r.returncode == 0, r.stderr
    a = [json.loads(x) for x in (out / "2024-01_page01.jsonl").read_text(encoding="utf-8").splitlines()]
    b = [json.loads(x) for x in (out / "2024-02_page01.jsonl").read_text(encoding="utf-8").splitlines()]
    assert a[0]["headline"] == "江南街道开展视察" and b[0]["headline"] == "行道树减负梳妆"
    assert {x["issue"] for x in a} == {"2024-01_page01"}
    assert not (out / "page01.jsonl").exists()
    assert "is written as 2024-02_page01" in r.stderr


# --- rows 2, 5, 14: everything checkable is checked before the model loads ---------------------------------------
# The model named here does not exist: a run that got as far as loading it would say "unknown model".
@pytest.mark.parametrize("case", ["out-is-file", "out-under-file", "batch-size-0", "batch-size-neg",
                                  "cache-is-folder", "cache-not-db", "only-input-empty"])
def test_bad_options_and_inputs_are_refused_before_the_model(tmp_path, case):
    page = tmp_path / "page.txt"
    page.write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    args = {"out": tmp_path / "out", "cache": tmp_path / "c.sqlite", "extra": []}
    expect = {
        "out-is-file": "is a file", "out-under-file": "which is a file", "batch-size-0": "too small",
        "batch-size-neg": "too small", "cache-is-folder": "is a directory", "cache-not-db": "not a newsdesk cache",
        "only-input-empty": "is empty",
    }[case]
    if case == "out-is-file":
        args["out"] = tmp_path / "afile"
    elif case == "out-under-file":
        args["out"] = tmp_path / "afile" / "results"
    elif case == "batch-size-0":
        args["extra"] = ["--batch-size", "0"]
    elif case == "batch-size-neg":
        args["extra"] = ["--batch-size", "-3"]
    elif case == "cache-is-folder":
        args["cache"] = tmp_path
    elif case == "cache-not-db":
        (tmp_path / "notes.sqlite").write_text("my notes, not a database " * 100)
        args["cache"] = tmp_path / "notes.sqlite"
    elif case == "only-input-empty":
        page.write_text("")
    r = newsdesk("batch", page, "--out", args["out"], "--cache", args["cache"], "--model", "no-such-model",
                 *args["extra"])
    assert r.returncode == 2
    assert expect in r.stderr
    assert "unknown model" not in r.stderr
    _no_traceback(r)
    if case == "cache-not-db":
        assert (tmp_path / "notes.sqlite").read_text().startswith("my notes")  # never overwritten


# --- rows 2, 3: permissions, as an ordinary user -------------------------------------------------------------------
def test_unwritable_out_is_refused_before_the_model(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(ARTICLE, encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    _forbid(locked, 0o755)
    r = newsdesk("batch", page, "--out", locked, "--cache", tmp_path / "c.sqlite", "--model", "no-such-model",
                 as_user=True)
    assert r.returncode == 2, r.stderr
    assert f"--out {locked} cannot be written" in r.stderr and "unknown model" not in r.stderr
    _no_traceback(r)


def test_unreadable_input_and_empty_folder_are_reported_and_the_rest_runs(tiny_chat, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text(OTHER, encoding="utf-8")
    _forbid(secret, 0o600)
    empty = tmp_path / "2024-03"
    empty.mkdir()
    out = tmp_path / "out"
    r = newsdesk("batch", secret, empty, good, "--out", out, "--model", tiny_chat, "--cache", tmp_path / "c.sqlite",
                 as_user=True)
    assert r.returncode == 1, r.stderr  # some inputs refused, the others written
    assert f"{secret} cannot be read: permission denied" in r.stderr
    assert f"{empty} holds no .txt files" in r.stderr
    assert "1 of 3 inputs written" in r.stderr
    assert (out / "good.jsonl").is_file() and (out / "good.report.json").is_file()
    _no_traceback(r)


# --- row 6: encodings ------------------------------------------------------------------------------------------
TRADITIONAL = ("本報訊（記者 陳大文）香港特別行政區政府昨日宣布，今年全港共有三百二十萬名市民接種疫苗。醫院管理局表示，"
               "各區診所將延長服務時間至晚上十時，以應付冬季流感高峰期的需求。\n")


@pytest.mark.parametrize("encoding,bom", [("big5", b""), ("big5hkscs", b""), ("utf-16-le", b"\xff\xfe"),
                                          ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("gb18030", b""),
                                          ("utf-8", b"")])
def test_hong_kong_taiwan_and_windows_encodings_are_read(tmp_path, encoding, bom, seed_text):
    text = seed_text if encoding in ("gb18030", "utf-16-le") and not bom else TRADITIONAL
    p = tmp_path / "page.txt"
    p.write_bytes(bom + text.encode(encoding))
    doc = ingest.read_file(p)
    assert doc.text == text
    assert doc.flags == ()


def test_binary_with_nul_bytes_is_still_refused(tmp_path):
    p = tmp_path / "scan.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(InputError, match="binary"):
        ingest.read_file(p)


# --- row 7: HTML and control characters ---------------------------------------------------------------------------
def test_html_saved_as_text_is_read_as_its_text(tmp_path):
    html = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>江南日报</title><style>p{color:red}</style>"
            "<script>var total = 99;</script></head><body><div><h1>行道树 减负梳妆</h1>"
            "<p>本报讯（融媒记者 俞梦婷）近日，市园林部门对城区<b>主干道</b>的行道树进行修剪。</p>"
            "<p>此次修剪共涉及1200余株树木&amp;绿篱。</p></div></body></html>")
    p = tmp_path / "saved.txt"
    p.write_text(html, encoding="utf-8")
    doc = ingest.read_file(p)
    assert "<" not in doc.text and "var total" not in doc.text and "color:red" not in doc.text
    assert "对城区主干道的行道树进行修剪。" in doc.text and "树木&绿篱" in doc.text
    assert doc.original == html
    [flag] = doc.flags
    assert flag["kind"] == "html_extracted" and "HTML page" in flag["message"]
    items = [it for it in segment(doc.text) if it.kind != "furniture"]
    assert any(it.headline == "行道树 减负梳妆" for it in items)


def test_nul_and_control_characters_are_removed_and_flagged_where_they_were():
    text = ("江南街道开展视察\n\n本报讯（融媒记\x00者 俞梦婷）12月23日,江南街道开展视察,25家企业参加。\n\n"
            "行道树减负梳妆\n\n本报讯 近日,市园林部门对城区主干\x07道的1200余株行道树进行修剪。\n")
    doc = ingest.from_text(text)
    assert "\x00" not in doc.text and "\x07" not in doc.text
    assert "融媒记者" in doc.text and "主干道" in doc.text
    items = segment(doc.text)
    attach_document_flags(items, doc)
    assert items[0].byline == "融媒记者 俞梦婷"
    assert [f["kind"] for f in items[0].flags if f["kind"] == "control_removed"] == ["control_removed"]
    [second] = [f for f in items[1].flags if f["kind"] == "control_removed"]
    assert "U+0007" in second["message"] and doc.text[slice(*second["span"])] == "干道"


# --- row 8: a page of headlines only -------------------------------------------------------------------------------
@pytest.mark.parametrize("sep", ["\n", "\n\n"])
def test_a_page_of_headlines_keeps_each_headline_an_item(sep):
    heads = ["江南街道开展民生实事项目推进视察", "行道树 减负梳妆", "我市举办冬季长跑比赛", "新建社区卫生服务中心投入使用"]
    items = segment(sep.join(heads) + "\n")
    assert [it.headline for it in items] == heads
    assert all(not it.kicker and not it.subheads for it in items)


# --- rows 10, 11: outputs as a set, file modes -------------------------------------------------------------------
KILL_MIDWAY = """
import os, sys, time
from service.output import outputs
real = os.replace
def slow(src, dst):
    real(src, dst)
    if str(dst).endswith(".jsonl"):
        print("renamed", flush=True)
        time.sleep(600)
outputs.os.replace = slow
outputs.write_set(sys.argv[1], "page", {"page.jsonl": "new\\n", "page.md": "new\\n", "page.report.json": "new\\n"})
"""


def test_a_set_killed_between_renames_is_completed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    outputs.write_set(out, "page", {"page.jsonl": "old\n", "page.md": "old\n", "page.report.json": "old\n"})
    proc = subprocess.Popen([sys.executable, "-c", KILL_MIDWAY, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "renamed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    names = {p.name: p.read_text() for p in out.iterdir() if not p.name.startswith(".")}
    assert names["page.jsonl"] == "new\n" and names["page.md"] == "old\n"  # the kill left a mixed set
    said = outputs.recover(out)
    assert {p.name: p.read_text() for p in out.iterdir()} == {"page.jsonl": "new\n", "page.md": "new\n",
                                                              "page.report.json": "new\n"}  # no journal, no .tmp
    assert any("completed an interrupted write" in s for s in said)


def test_temporary_files_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".page.jsonl.{int(dead.stdout)}.abc123.tmp"
    live = tmp_path / f".page.md.{os.getpid()}.def456.tmp"
    stale.write_text("half")
    live.write_text("being written")
    outputs.recover(tmp_path)
    assert not stale.exists() and live.exists()


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_take_their_mode_from_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        jsonl, md = outputs.write_issue(tmp_path, "page", [])
    finally:
        os.umask(old)
    for p in (jsonl, md, outputs.report_path(tmp_path, "page")):
        assert stat.S_IMODE(p.stat().st_mode) == mode


def test_a_users_chmod_survives_the_next_run(tmp_path):
    jsonl, _ = outputs.write_issue(tmp_path, "page", [])
    jsonl.chmod(0o640)
    outputs.write_issue(tmp_path, "page", [])
    assert stat.S_IMODE(jsonl.stat().st_mode) == 0o640
