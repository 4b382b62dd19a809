"""`newsdesk archive` as a user runs it (a subprocess that starts its own local Ray, or joins a Ray cluster that the
test starts with `ray start` on 127.0.0.1), with the tiny random-weight chat model from conftest: the real Ray Data
actor pool, real files in and out."""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAY = Path(sys.executable).parent / "ray"


def newsdesk(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=900, **kw)


def records(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def without(recs: list[dict], *keys: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in keys} for r in recs]


@pytest.fixture
def archive_in(tmp_path, seed_text) -> Path:
    """Two issues with the same file name in different months, one more page, and a scanned image saved as .txt."""
    d = tmp_path / "in"
    for sub in ("2024/01", "2024/02", "bad"):
        (d / sub).mkdir(parents=True)
    (d / "2024/01/page-a.txt").write_text(seed_text, encoding="utf-8")
    (d / "2024/02/page-a.txt").write_bytes(seed_text.encode("gb18030"))
    (d / "2024/02/page-b.txt").write_text((ROOT / "corpus/pages/page01.txt").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    (d / "bad/scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)
    return d


def test_archive_writes_what_batch_writes_per_issue_skips_current_ones_and_records_failures(
        tiny_chat, archive_in, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "c.sqlite"
    model = ("--model", tiny_chat, "--cache", cache)
    # the reference: newsdesk batch on one of the files (its generations cached, so the archive reads the same)
    b = newsdesk("batch", archive_in / "2024/01/page-a.txt", "--out", tmp_path / "batch", *model)
    assert b.returncode == 0, b.stderr

    r = newsdesk("archive", archive_in, "--out", out, *model)
    assert r.returncode == 1, r.stderr  # one input refused, the rest written
    summary = json.loads((out / "archive-summary.json").read_text(encoding="utf-8"))
    by_name = {x["name"]: x for x in summary["issues"]}
    assert summary["counts"] == {"done": 3, "skipped": 0, "failed": 0, "refused": 1}
    assert by_name["bad/scan"]["status"] == "refused" and "binary" in by_name["bad/scan"]["error"]
    assert "refused: bad/scan" in r.stdout and "3 issues written" in r.stdout

    # the input tree is mirrored; each issue has the three files batch writes, with the records batch writes
    for name in ("2024/01/page-a", "2024/02/page-a", "2024/02/page-b"):
        for ext in (".jsonl", ".md", ".report.json"):
            assert (out / f"{name}{ext}").is_file(), name + ext
    ref = records(tmp_path / "batch/page-a.jsonl")
    got = records(out / "2024/01/page-a.jsonl")
    assert without(got, "issue", "cached") == without(ref, "issue", "cached")
    assert {x["issue"] for x in got} == {"2024/01/page-a"}
    report = json.loads((out / "2024/01/page-a.report.json").read_text(encoding="utf-8"))
    ref_report = json.loads((tmp_path / "batch/page-a.report.json").read_text(encoding="utf-8"))
    assert report["facts"] == ref_report["facts"] and report["run"] == ref_report["run"]
    assert report["run"]["model"] == tiny_chat and report["run"]["prompt_version"] == got[0]["prompt_version"]
    # the GB18030 copy of the same page reads as the same text
    assert [x["translation"] for x in records(out / "2024/02/page-a.jsonl")] == [x["translation"] for x in got]
    assert len(records(out / "2024/02/page-b.jsonl")) > 0
    assert not list(out.rglob(".*.tmp")) and not list(out.rglob(".*.pending.json"))

    # a rerun skips every current issue and rewrites nothing
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.jsonl")}
    r = newsdesk("archive", archive_in, "--out", out, *model)
    summary = json.loads((out / "archive-summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {"done": 0, "skipped": 3, "failed": 0, "refused": 1}, r.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.jsonl")} == stamps

    # an issue whose source changed is run again, and only it; an unwritable destination fails that issue only
    src = archive_in / "2024/02/page-b.txt"
    src.write_text(src.read_text(encoding="utf-8").split("\n\n")[0] + "\n", encoding="utf-8")
    shutil.rmtree(out / "2024/01")
    (out / "2024/01").write_text("a file where the folder should be")
    r = newsdesk("archive", archive_in, "--out", out, *model)
    summary = json.loads((out / "archive-summary.json").read_text(encoding="utf-8"))
    by_name = {x["name"]: x for x in summary["issues"]}
    assert r.returncode == 1
    assert by_name["2024/02/page-b"]["status"] == "done" and by_name["2024/02/page-a"]["status"] == "skipped"
    assert by_name["2024/01/page-a"]["status"] == "failed" and "cannot write" in by_name["2024/01/page-a"]["error"]
    assert "failed: 2024/01/page-a" in r.stdout
    assert len(records(out / "2024/02/page-b.jsonl")) < len(records(out / "2024/02/page-a.jsonl"))

    # other prompt versions (no repair round) make every issue stale
    (out / "2024/01").unlink()
    r = newsdesk("archive", archive_in, "--out", out, *model, "--no-repair")
    summary = json.loads((out / "archive-summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {"done": 3, "skipped": 0, "failed": 0, "refused": 1}, r.stderr
    assert "translate_repair" not in records(out / "2024/02/page-a.jsonl")[0]["prompt_version"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_archive_joins_a_running_ray_cluster_by_address(tiny_chat, seed_text, tmp_path):
    """A one-node cluster started with `ray start --head` (as on a real head node, with token authentication:
    RAY_AUTH_MODE=token on the cluster and the driver); the archive joins it with --ray-address, and leaves it
    running."""
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    start = subprocess.run([str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                            "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats"],
                           capture_output=True, text=True, timeout=180, env=env)
    assert start.returncode == 0, start.stderr
    try:
        (tmp_path / "in").mkdir()
        (tmp_path / "in/p1.txt").write_text(seed_text, encoding="utf-8")
        r = newsdesk("archive", tmp_path / "in", "--out", tmp_path / "out", "--model", tiny_chat, "--cache",
                     tmp_path / "c.sqlite", "--ray-address", f"127.0.0.1:{port}", env=env)
        assert r.returncode == 0, r.stderr
        assert len(records(tmp_path / "out/p1.jsonl")) == 6
        status = subprocess.run([str(RAY), "status", "--address", f"127.0.0.1:{port}"], capture_output=True,
                                text=True, timeout=120, env=env)
        assert status.returncode == 0, status.stderr  # the cluster is still up: the archive did not stop it
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=120, env=env)


def test_archive_says_what_to_do_when_the_cluster_is_not_there(tiny_chat, seed_text, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in/p1.txt").write_text(seed_text, encoding="utf-8")
    r = newsdesk("archive", tmp_path / "in", "--out", tmp_path / "out", "--model", tiny_chat,
                 "--ray-address", f"127.0.0.1:{_free_port()}")
    assert r.returncode == 2
    assert "cannot join the Ray cluster" in r.stderr and "ray start --head" in r.stderr


def test_archive_refuses_a_folder_without_issues(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in/notes.md").write_text("nothing here")
    r = newsdesk("archive", tmp_path / "in", "--out", tmp_path / "out")
    assert r.returncode == 2 and "holds no .txt issue files" in r.stderr
    r = newsdesk("archive", tmp_path / "missing", "--out", tmp_path / "out")
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_archive_says_what_to_do_when_a_local_ray_cannot_start(tiny_chat, seed_text, tmp_path, monkeypatch):
    """Ray fails to start (a port taken, /tmp full, a stale session: simulated, Ray raises many kinds here): a
    clear error naming what to do, not a traceback."""
    import ray

    from service.errors import NewsdeskError
    from service.fronts import archive

    def broken(*a, **kw):
        raise RuntimeError("Failed to start the GCS server: address already in use")

    monkeypatch.setattr(ray, "init", broken)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    (tmp_path / "in").mkdir()
    (tmp_path / "in/p1.txt").write_text(seed_text, encoding="utf-8")
    with pytest.raises(NewsdeskError, match="cannot start a local Ray cluster.*ray stop.*Nothing was run"):
        archive.run_archive(tmp_path / "in", tmp_path / "out", settings={"model": tiny_chat}, log=lambda m: None)


def test_an_actor_pool_that_breaks_mid_run_keeps_what_finished_and_says_how_to_resume(tiny_chat, seed_text,
                                                                                       tmp_path, monkeypatch):
    """The pool dies after one issue was written (an actor killed, the cluster gone: simulated): that issue stays
    written, the others are recorded as failed with what to do, and the run summary is still written."""
    from service.fronts import archive

    class FakeRay:
        @staticmethod
        def shutdown():
            pass

    def pool(ray, rows, settings, n, cpus, threads, per, out_dir, results, log):
        first = rows[0]["name"]
        archive.write_set(out_dir, first, {f"{first}.jsonl": "{}\n"})
        results[first] = {**dict.fromkeys(archive.FIELDS, ""), "name": first, "status": "done", "items": 1,
                          "generated": 0, "actor": "a"}
        raise RuntimeError("ActorDiedError: the actor died unexpectedly")

    monkeypatch.setattr(archive, "_start_ray", lambda address, env, log: (FakeRay, True))
    monkeypatch.setattr(archive, "plan_actors", lambda ray, actors, cpus: (1, 1.0, 1))
    monkeypatch.setattr(archive, "_run_pool", pool)
    (tmp_path / "in").mkdir()
    for k in range(3):
        (tmp_path / f"in/p{k}.txt").write_text(seed_text, encoding="utf-8")
    lines = []
    summary = archive.run_archive(tmp_path / "in", tmp_path / "out", settings={"model": tiny_chat},
                                  log=lines.append)
    assert summary["counts"]["done"] == 1 and summary["counts"]["failed"] == 2
    failed = [i for i in summary["issues"] if i["status"] == "failed"]
    assert all("Run the same command again to resume" in i["error"] for i in failed)
    assert (tmp_path / "out/p0.jsonl").exists() and (tmp_path / "out" / archive.SUMMARY).exists()
    assert any("actor pool stopped" in x for x in lines)
