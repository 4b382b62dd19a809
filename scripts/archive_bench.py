"""`newsdesk archive` against `newsdesk batch` on the same pages, one machine, one after another, each with an
empty generation cache; prints the figures and writes them to bench/results/<date>-archive.json.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/archive_bench.py [PAGE ...] [--per-actor 1 2 3]

Wall time is the whole command (Ray start, model load, every page); peak RSS is sampled every 0.5 s over the
process tree of the command and, for archive, the Ray actor and Ray's own processes (they are not its children)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = ["corpus/000_fd4f6e000473b793.txt", "corpus/pages/page02.txt", "corpus/pages/page04.txt"]


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    """RSS of `root`, its descendants, and every Ray process on the machine (raylet, GCS, workers, actors)."""
    children: dict[int, list[int]] = {}
    ray_pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
        if b"ray::" in cmd or b"/ray/" in cmd or b"raylet" in cmd or b"gcs_server" in cmd:
            ray_pids.append(int(d.name))
    seen, todo = set(), [root]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += children.get(p, [])
    return sum(rss_kb(p) for p in seen | set(ray_pids))


def timed(cmd: list[str]) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            done.wait(0.5)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    done.set()
    th.join()
    return {"command": " ".join(cmd), "rc": proc.returncode, "wall_seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_kb": peak[0], "stdout_tail": out.strip().splitlines()[-3:], "stderr_tail":
            [x for x in err.strip().splitlines() if "error" in x.lower()][-5:]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pages", nargs="*", default=DEFAULT_PAGES)
    ap.add_argument("--per-actor", nargs="+", type=int, default=[1, 2, 3], help="--issues-per-actor values to run")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "newsdesk")
    work = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    pages = work / "in"
    pages.mkdir()
    for p in args.pages:
        shutil.copy(ROOT / p, pages / Path(p).name)
    runs = []
    r = timed([exe, "batch", str(pages), "--out", str(work / "batch-out"), "--cache", str(work / "batch.sqlite")])
    r["what"] = "newsdesk batch"
    runs.append(r)
    print(json.dumps(r, ensure_ascii=False), flush=True)
    for k in args.per_actor:
        r = timed([exe, "archive", str(pages), "--out", str(work / f"archive-{k}-out"), "--cache",
                   str(work / f"archive-{k}.sqlite"), "--issues-per-actor", str(k)])
        r["what"] = f"newsdesk archive, 1 actor, {k} issue(s) at a time"
        summary = json.loads((work / f"archive-{k}-out" / "archive-summary.json").read_text(encoding="utf-8"))
        r["summary"] = {k2: summary[k2] for k2 in ("counts", "articles", "generated", "seconds", "issues_per_hour")}
        r["issue_seconds"] = {x["name"]: x["seconds"] for x in summary["issues"]}
        runs.append(r)
        print(json.dumps(r, ensure_ascii=False), flush=True)
    base = runs[0]["wall_seconds"]
    result = {
        "created": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load before {os.getloadavg()[0]:.2f}",
        "pages": args.pages,
        "runs": runs,
        "speedup_vs_batch": {r["what"]: round(base / r["wall_seconds"], 2) for r in runs[1:]},
    }
    out = Path(args.out) / f"{time.strftime('%Y%m%d')}-archive.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["speedup_vs_batch"], indent=2))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
