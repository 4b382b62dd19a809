"""Reliability run on the real model: the kill -9 loop and the concurrency run, with figures.

    .venv/bin/python scripts/reliability.py [--input FILE] [--kills 6] [--users 12] [--only kill|users|paste]

1. **kill -9 loop.** `newsdesk batch INPUT` once without interruption (the reference, its own cache), then the same
   command on a fresh cache killed with SIGKILL `--kills` times, at points spread over the page's generations (as
   soon as the cache holds 1/(kills+1), 2/(kills+1), ... of the reference's), and run a last time to the end. After each kill: the SQLite cache passes `PRAGMA integrity_check` and holds at least
   what it held before (nothing finished is lost); after the last run: no temporary or journal files in the output
   folder, every article of the reference has its record, and the records are compared field by field with the
   reference's. Then the same command once more: all from the cache, the same records.
   `--control` adds a second uninterrupted run, to tell what the kills change from what batch composition changes
   (llama.cpp's greedy output depends on which sequences share a decode step).
2. **Concurrency run.** `newsdesk serve` on 127.0.0.1 (fresh cache), `--users` `gradio_client` sessions each posting a
   different article to `/process` at the same moment; figures: served, refused (with the server's message), failed,
   p50/p95/max latency, and whether each answer is a complete record. Then SIGTERM: the server must exit and leave no
   results folder behind.
3. **Paste run.** `newsdesk serve`; one session posts the whole page (`--input`), `--paste-after` seconds later a
   second session posts one short article: how long the article waits for its card while the page is running.

Real-model runs are serialized with the other real-model work on this machine through
`flock /tmp/newsdesk-real-model.lock` (taken here). Prints a figures table at the end and writes it as JSON
(`--json`). Nothing here asserts a time: the figures are for the README.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOCK = "/tmp/newsdesk-real-model.lock"
COMPARED = ("headline_en", "summary", "translation")  # the generated fields of a record


def newsdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "service", *args]


def env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}


def cache_rows(path: Path) -> tuple[str, int]:
    """(integrity_check result, rows in the generation cache) of a cache file."""
    if not path.exists():
        return "ok (not created yet)", 0
    con = sqlite3.connect(path)
    try:
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM generations").fetchone()[0]
    finally:
        con.close()
    return check, rows


def records(out: Path) -> list[dict]:
    (jsonl,) = out.glob("*.jsonl")
    return [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_batch(inp: Path, out: Path, cache: Path, extra: list[str], kill_at: int | None = None
              ) -> tuple[float, int | None]:
    """One `newsdesk batch`; killed with SIGKILL as soon as its cache holds `kill_at` generations, if it is still
    running then. Returns (seconds, exit code or None when killed)."""
    t0 = time.monotonic()
    with open(out.parent / f"{out.name}.log", "ab") as log:
        proc = subprocess.Popen(newsdesk("batch", str(inp), "--out", str(out), "--cache", str(cache), *extra),
                                cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            if kill_at is not None and _rows(cache) >= kill_at:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return time.monotonic() - t0, None
            time.sleep(0.2)
    return time.monotonic() - t0, proc.returncode


def _rows(cache: Path) -> int:
    """Generations in the cache now, read while the batch writes it (0 until it exists, or while it is locked)."""
    try:
        con = sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=0.1)
        try:
            return con.execute("SELECT count(*) FROM generations").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def kill_loop(inp: Path, work: Path, kills: int, extra: list[str], reference: Path | None = None,
              control: bool = False) -> dict:
    ref_out, ref_cache = work / "ref", work / "ref.sqlite"
    ref_s = None
    if not reference:
        print(f"kill loop: reference run of {inp.name} …", flush=True)
        ref_s, rc = run_batch(inp, ref_out, ref_cache, extra)
        if rc != 0:
            raise SystemExit(f"the reference run failed (exit {rc}); see {ref_out}.log")
    else:  # an earlier uninterrupted run of the same input, model and code: its output folder and cache beside it
        ref_out, ref_cache = reference, reference.with_suffix(".sqlite")
    ref = records(ref_out)
    total = cache_rows(ref_cache)[1]
    print(f"  reference: {f'{ref_s:.0f} s, ' if ref_s else ''}{len(ref)} records, {total} generations", flush=True)

    out, cache = work / "killed", work / "killed.sqlite"
    survived, rows_before, events = 0, 0, []
    step = max(1, total // (kills + 1))  # kill points spread over the page's generations
    for k in range(kills):
        at = rows_before + step
        secs, rc = run_batch(inp, out, cache, extra, kill_at=at)
        check, rows = cache_rows(cache)
        ok = check.startswith("ok") and rows >= rows_before
        survived += ok
        events.append({"kill": k + 1, "at_generations": at, "after_s": round(secs, 1), "killed": rc is None,
                       "integrity": check, "cached_generations": rows})
        print(f"  kill {k + 1}: at {at} of {total} generations, after {secs:.0f} s "
              f"({'killed' if rc is None else f'finished first, exit {rc}'}); cache {check}, {rows} generations "
              f"(was {rows_before})", flush=True)
        rows_before = rows
    final_s, rc = run_batch(inp, out, cache, extra)
    got = records(out)
    leftovers = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    missing = [r["index"] for r in ref if r["index"] not in {g["index"] for g in got}]
    same, fields = compare(ref, got)
    print(f"  last run: {final_s:.0f} s, exit {rc}; {len(got)} records, {len(missing)} missing, "
          f"{same}/{len(ref)} records identical to the reference ({fields} fields), leftovers "
          f"{leftovers or 'none'}", flush=True)
    # the same command once more: everything must come from the cache, the records what the last run wrote (but for
    # their `cached` mark)
    before = [{k: v for k, v in r.items() if k != "cached"} for r in got]
    _, rows_last = cache_rows(cache)
    again_s, again_rc = run_batch(inp, out, cache, extra)
    _, rows_after = cache_rows(cache)
    rerun_same = [{k: v for k, v in r.items() if k != "cached"} for r in records(out)] == before
    print(f"  rerun: {again_s:.0f} s, exit {again_rc}; output {'identical' if rerun_same else 'DIFFERENT'}, cache "
          f"{rows_after} generations ({rows_after - rows_last} new)", flush=True)
    fig = {"input": inp.name, "reference_s": round(ref_s, 1) if ref_s else None, "kills": kills,
           "kills_survived": survived, "events": events, "last_run_s": round(final_s, 1), "last_exit": rc,
           "records": len(got), "reference_records": len(ref), "missing": missing, "records_identical": same,
           "fields_identical": fields, "leftover_files": leftovers, "rerun_s": round(again_s, 1),
           "rerun_output_identical": rerun_same, "cached_generations": rows_after}
    if control:
        # a second uninterrupted run on a fresh cache: how far two runs without any kill agree. llama.cpp's greedy
        # output depends on which other sequences share a decode step, so the killed run is compared with this too
        c_s, c_rc = run_batch(inp, work / "control", work / "control.sqlite", extra)
        c_same, c_fields = compare(ref, records(work / "control"))
        print(f"  control (uninterrupted again): {c_s:.0f} s, exit {c_rc}; {c_same}/{len(ref)} records identical "
              f"to the reference ({c_fields} fields)", flush=True)
        fig.update(control_s=round(c_s, 1), control_records_identical=c_same, control_fields_identical=c_fields)
    return fig


def compare(ref: list[dict], got: list[dict]) -> tuple[int, str]:
    """(records whose generated fields all equal the reference's, "equal fields/all fields")."""
    by_index = {r["index"]: r for r in got}
    same = sum(all(by_index.get(r["index"], {}).get(f) == r.get(f) for f in COMPARED) for r in ref)
    fields = sum(by_index.get(r["index"], {}).get(f) == r.get(f) for r in ref for f in COMPARED)
    return same, f"{fields}/{len(ref) * len(COMPARED)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_articles(n: int) -> list[str]:
    """`n` different articles from the corpus pages (bodies with headline), shortest first."""
    from service.page.segment import segment

    found = []
    for page in sorted((ROOT / "corpus").glob("**/*.txt")):
        text = page.read_text(encoding="utf-8")
        for it in segment(text):
            source = text[it.span[0]:it.span[1]].strip()
            if it.kind == "news" and 80 <= len(source) <= 700:
                found.append(source)
    found = sorted(set(found), key=len)
    if len(found) < n:
        raise SystemExit(f"the corpus has only {len(found)} articles of 80-700 characters; ask for fewer --users")
    return found[:n]


def serve(work: Path, extra: list[str], name: str = "serve") -> tuple[subprocess.Popen, str, Path]:
    """`newsdesk serve` on a free port of 127.0.0.1 with a fresh cache: (process, URL, its Gradio folder)."""
    gradio_dir = work / f"{name}-gradio"
    port = _free_port()
    log = open(work / f"{name}.log", "wb")
    proc = subprocess.Popen(newsdesk("serve", "--port", str(port), "--cache", str(work / f"{name}.sqlite"), *extra),
                            cwd=ROOT, env={**env(), "GRADIO_TEMP_DIR": str(gradio_dir)}, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    t0 = time.monotonic()
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() - t0 > 600:
                raise SystemExit(f"the server did not start; see {work / f'{name}.log'}") from None
            time.sleep(1)
    print(f"{name}: server up in {time.monotonic() - t0:.0f} s", flush=True)
    return proc, url, gradio_dir


def paste_run(work: Path, page: Path, after: float, extra: list[str]) -> dict:
    """One session posts a whole page; `after` seconds later (the page's jobs in full flow) a second session posts
    one short article. Figures: the article's wait for its card, and the page's time, on one model; then the same
article alone on a fresh server, for comparison."""
    from gradio_client import Client

    proc, url, _ = serve(work, extra, "paste")
    article = user_articles(1)[0]
    out: dict = {"page": page.name, "paste_after_s": after, "article_chars": len(article)}

    def post(key: str, text: str, name: str) -> None:
        client = Client(url, verbose=False)
        t = time.monotonic()
        try:
            recs = client.predict(text, name, api_name="/process")
            out[key] = {"s": round(time.monotonic() - t, 1), "records": len(recs),
                        "complete": all(r.get("translation") and r.get("summary") for r in recs)}
        except Exception as e:  # noqa: BLE001 - a failure is a figure
            out[key] = {"s": round(time.monotonic() - t, 1), "error": str(e)[:300]}
        finally:
            client.close()

    page_thread = threading.Thread(target=post, args=("page_run", page.read_text(encoding="utf-8"), "page"))
    page_thread.start()
    time.sleep(after)
    post("article_run", article, "article")
    out["page_still_running_when_article_done"] = page_thread.is_alive()
    page_thread.join()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
    # the same article alone on a fresh server (and cache): what the paste costs with nothing else running
    proc, url, _ = serve(work, extra, "alone")
    post("article_alone", article, "article")
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
    print(f"paste: article ({len(article)} chars) {out['article_run']} while the page ran; page {out['page_run']}; "
          f"the article alone {out['article_alone']}", flush=True)
    return out


def users_run(work: Path, users: int, extra: list[str]) -> dict:
    from gradio_client import Client

    arts = user_articles(users)
    proc, url, gradio_dir = serve(work, extra)
    print(f"concurrency: {users} users post at once …", flush=True)
    results: list[dict] = [{} for _ in arts]
    go = threading.Event()

    def user(i: int) -> None:
        client = Client(url, verbose=False)
        go.wait()
        t = time.monotonic()
        try:
            recs = client.predict(arts[i], f"user{i}", api_name="/process")
            complete = bool(recs) and all(r.get("translation") and r.get("summary") for r in recs)
            results[i] = {"ok": True, "s": time.monotonic() - t, "complete": complete}
        except Exception as e:  # noqa: BLE001 - a refused or failed call is a figure, not a crash
            msg = str(e)
            results[i] = {"ok": False, "s": time.monotonic() - t, "busy": "busy" in msg.lower(), "error": msg[:300]}
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    time.sleep(2)  # every client connected
    wall0 = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - wall0
    served = [r for r in results if r.get("ok")]
    lat = sorted(r["s"] for r in served)
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))] if lat else None
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "did not exit in 180 s"
    left = sorted(str(p.relative_to(gradio_dir)) for p in gradio_dir.rglob("newsdesk-ui-*")) if gradio_dir.exists() \
        else []
    fig = {"users": users, "served": len(served), "complete_records": sum(r["complete"] for r in served),
           "refused_busy": sum(1 for r in results if not r.get("ok") and r.get("busy")),
           "failed": [r["error"] for r in results if not r.get("ok") and not r.get("busy")],
           "wall_s": round(wall, 1), "p50_s": round(statistics.median(lat), 1) if lat else None,
           "p95_s": round(p95, 1) if p95 else None, "max_s": round(lat[-1], 1) if lat else None,
           "article_chars": [len(a) for a in arts], "sigterm_exit": rc, "results_folders_left": left}
    print(f"  served {fig['served']}/{users} ({fig['complete_records']} complete), refused {fig['refused_busy']}, "
          f"failed {len(fig['failed'])}; p50 {fig['p50_s']} s, p95 {fig['p95_s']} s, max {fig['max_s']} s, "
          f"wall {fig['wall_s']} s; SIGTERM exit {rc}, results folders left: {left or 'none'}", flush=True)
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", default=str(ROOT / "corpus" / "000_fd4f6e000473b793.txt"),
                    help="issue file for the kill loop (default: the seed page)")
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--reference", help="output folder of an earlier uninterrupted run to compare with (its cache is "
                    "FOLDER.sqlite beside it, as this script leaves them); no new reference run")
    ap.add_argument("--users", type=int, default=12)
    ap.add_argument("--control", action="store_true", help="also a second uninterrupted run, to tell differences the "
                    "kills cause from those of batch composition")
    ap.add_argument("--only", choices=["kill", "users", "paste"])
    ap.add_argument("--paste-after", type=float, default=60.0, help="paste run: seconds between the page and the "
                    "one-article paste (default 60)")
    ap.add_argument("--model", help="profile (default: the embedded default)")
    ap.add_argument("--work", help="folder for the runs' files (default: a new temporary folder)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    extra = ["--model", a.model] if a.model else []
    work = Path(a.work or tempfile.mkdtemp(prefix="newsdesk-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    inp = Path(a.input)
    if not inp.is_file():
        raise SystemExit(f"{inp} is not a file; pass --input ISSUE.txt")
    figures: dict = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count()}
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if a.only in (None, "kill"):
            figures["kill_loop"] = kill_loop(inp, work, a.kills, extra, Path(a.reference) if a.reference else None,
                                             a.control)
        if a.only in (None, "users"):
            figures["concurrency"] = users_run(work, a.users, extra)
        if a.only in (None, "paste"):
            figures["paste"] = paste_run(work, inp, a.paste_after, extra)
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"files of the runs: {work}")


if __name__ == "__main__":
    main()
