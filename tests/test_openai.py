"""The OpenAI-compatible runtime (service/generation/openai_backend.py) against a real server, not a mock: llama-cpp-python's
bundled server (`python -m llama_cpp.server`, the `test` extra installs it) started on 127.0.0.1 by these tests,
serving the tiny random-weight GGUF from conftest (gibberish, fast: the mechanics), and in one `real_model` test
the embedded Qwen2.5-Coder-1.5B GGUF on the seed page. The server is killed with SIGKILL mid-run, the error must
name the URL, and the rerun must resume from the cache with one record per article."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.errors import ModelError
from service.fronts.cli import _model, build_parser
from service.generation.registry import server_profile
from service.page.ingest import from_text
from service.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
SECRET = "sk-newsdesk-test-7f3a9c41e2b5d608"  # the key the keyed server wants; must never be written anywhere


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _threads() -> int:
    return max(1, len(os.sched_getaffinity(0)))


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server in a child process, on a fixed port (so a restart is the same
    URL). `models`: (GGUF path, name the server gives it)."""

    def __init__(self, tmp: Path, models: list[tuple[str, str]], *, api_key: str | None = None,
                 n_ctx: int = 16384):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.config = tmp / f"server-{self.port}.json"
        self.log = tmp / f"server-{self.port}.log"
        settings = {"host": "127.0.0.1", "port": self.port,
                    "models": [{"model": str(p), "model_alias": a, "n_ctx": n_ctx, "n_threads": _threads(),
                                "verbose": False} for p, a in models]}
        if api_key:
            settings["api_key"] = api_key
        self.config.write_text(json.dumps(settings), encoding="utf-8")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300) -> "LlamaServer":
        import httpx

        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--config_file", str(self.config)],
                                         stdout=log, stderr=subprocess.STDOUT, cwd=self.config.parent)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail(f"the llama.cpp server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                httpx.get(f"{self.url}/models", timeout=2)  # any answer (401 included) means it is up
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"the llama.cpp server did not come up in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def server(tiny_gguf, tmp_path_factory):
    """The tiny GGUF served under two names (two "models" for the cache-key test) behind an API key."""
    s = LlamaServer(tmp_path_factory.mktemp("server"), [(tiny_gguf, "tiny-a"), (tiny_gguf, "tiny-b")],
                    api_key=SECRET).start()
    yield s
    s.stop()


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv("NEWSDESK_TEST_KEY", SECRET)
    return "NEWSDESK_TEST_KEY"


def newsdesk(*args, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=1200, env={**os.environ, **(env or {})}, **kw)


def _stats(stdout: str) -> tuple[int, int]:
    """(generated, from cache) from `newsdesk batch`'s summary line."""
    m = re.search(r"(\d+) generated, (\d+) from cache", stdout)
    assert m, stdout
    return int(m.group(1)), int(m.group(2))


def _rows(cache: Path) -> list[tuple]:
    if not cache.exists():
        return []
    db = sqlite3.connect(cache, timeout=30)
    try:
        return db.execute("SELECT key, model FROM generations").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def _records(out: Path, stem: str) -> list[dict]:
    return [json.loads(x) for x in (out / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines()]


# --- the runtime on the tiny model ---------------------------------------------------------------------------
def test_seed_page_through_the_server(server, keyed, seed_text):
    """Every article comes back from the server; the cache names the server's model; the template is the
    server's (the request carries messages, and the server counted the prompt's tokens itself)."""
    profile = server_profile(None, base_url=server.url, api_model="tiny-a", api_key_env=keyed, concurrency=2)
    pipe = Pipeline(profile, cache_path=None, log=lambda m: None)
    records = pipe.process(from_text(seed_text, "seed"))
    assert [r["index"] for r in records] == list(range(6))
    for r in records:
        assert r["runtime"] == "openai" and r["model"] == "tiny-a"
        assert r["summary"] and r["headline_en"]
        assert len(r["translation"].split("\n\n")) == len(r["paragraphs"])
    backend = pipe.generator.backends["translate"]
    assert backend.cache_name == "tiny-a@openai"
    assert backend.engine.counters["requests"] == pipe.generator.stats["generated"] > 30
    assert backend.engine.counters["prompt_tokens"] > 0  # the server's own count: it tokenized the messages
    models = {m for (m,) in pipe.cache._db.execute("SELECT DISTINCT model FROM generations")}
    assert models == {"tiny-a@openai"}


def test_cache_never_mixes_models_of_a_server(server, keyed, tmp_path):
    """The same page on another model name of the same server is generated again, not read from the cache;
    the first model's rerun is all cache."""
    page = tmp_path / "short.txt"
    page.write_text("江南街道开展视察\n\n本报讯 12月23日,江南街道开展民生实事项目推进视察,25家企业参加。\n",
                    encoding="utf-8")
    cache = tmp_path / "c.sqlite"
    base = ["batch", page, "--cache", cache, "--base-url", server.url, "--api-key-env", keyed]
    runs = {}
    for name in ("tiny-a", "tiny-b", "tiny-a"):
        r = newsdesk(*base, "--out", tmp_path / name, "--api-model", name)
        assert r.returncode == 0, r.stderr
        runs.setdefault(name, []).append(_stats(r.stdout))
    (gen_a, cached_a), (again_gen, again_cached) = runs["tiny-a"]
    gen_b, cached_b = runs["tiny-b"][0]
    assert gen_a > 0 and cached_a == 0
    assert gen_b == gen_a and cached_b == 0  # another model: nothing taken from tiny-a's results
    assert again_gen == 0 and again_cached == gen_a
    assert {m for _, m in _rows(cache)} == {"tiny-a@openai", "tiny-b@openai"}


def test_request_params_are_sent_and_keyed(server, keyed, tmp_path):
    """A profile's request_params (here llama-cpp-python's repeat_penalty, which it sets to 1.1 unless told) go
    with every request and into the cache key; a penalty that changes the outputs gives other outputs."""
    page = tmp_path / "short.txt"
    page.write_text("江南街道开展视察\n\n本报讯 12月23日,江南街道开展民生实事项目推进视察,25家企业参加。\n",
                    encoding="utf-8")
    models = tmp_path / "models"
    models.mkdir()
    for name, penalty in (("plain", 1.0), ("penalised", 3.0)):
        (models / f"{name}.toml").write_text(
            f'name = "{name}"\nkind = "chat"\nruntime = "openai"\nbase_url = "{server.url}"\napi_model = "tiny-a"\n'
            f'api_key_env = "{keyed}"\nrequest_params = {{ repeat_penalty = {penalty} }}\n', encoding="utf-8")
    cache = tmp_path / "c.sqlite"
    env = {"NEWSDESK_MODELS_DIR": str(models)}
    for name in ("plain", "penalised"):
        r = newsdesk("batch", page, "--out", tmp_path / name, "--cache", cache, "--model", name, env=env)
        assert r.returncode == 0, r.stderr
        assert _stats(r.stdout)[1] == 0  # nothing taken from the other profile's results
    assert {m for _, m in _rows(cache)} == {'tiny-a@openai{"repeat_penalty": 1.0}',
                                            'tiny-a@openai{"repeat_penalty": 3.0}'}
    plain, penalised = _records(tmp_path / "plain", "short"), _records(tmp_path / "penalised", "short")
    assert [x["translation"] for x in plain] != [x["translation"] for x in penalised]  # the server applied it
    (models / "bad.toml").write_text(f'name = "bad"\nkind = "chat"\nruntime = "openai"\nbase_url = "{server.url}"\n'
                                     'request_params = { max_tokens = 5 }\n', encoding="utf-8")
    r = newsdesk("batch", page, "--out", tmp_path / "bad", "--cache", cache, "--model", "bad", env=env)
    assert r.returncode == 2 and "request_params may not set max_tokens" in r.stderr


def test_unknown_model_is_a_clear_error(server, keyed, tmp_path, seed_text):
    page = tmp_path / "seed.txt"
    page.write_text(seed_text, encoding="utf-8")
    r = newsdesk("batch", page, "--out", tmp_path / "out", "--cache", tmp_path / "c.sqlite", "--base-url", server.url,
                 "--api-model", "no-such-model", "--api-key-env", keyed)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert server.url in r.stderr and "'no-such-model'" in r.stderr and "tiny-a, tiny-b" in r.stderr
    # two models and none named: which one is ambiguous, so it is asked for
    with pytest.raises(ModelError, match="serves 2 models"):
        Pipeline(server_profile(None, base_url=server.url, api_key_env=keyed), cache_path=None, log=lambda m: None)


def test_unreachable_server_names_the_url(tmp_path, seed_text):
    page = tmp_path / "seed.txt"
    page.write_text(seed_text, encoding="utf-8")
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    r = newsdesk("batch", page, "--out", tmp_path / "out", "--cache", tmp_path / "c.sqlite", "--base-url", url)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert url in r.stderr and "unreachable" in r.stderr
    assert not (tmp_path / "out" / "seed.jsonl").exists()


def test_api_key_is_sent_and_never_written(server, tmp_path, seed_text):
    """The keyed server refuses a run without the key (so the key is really what lets the run in); with it, a
    `models/` profile run writes the key nowhere: not in outputs, cache (database and its journal), log lines."""
    page = tmp_path / "seed.txt"
    page.write_text(seed_text, encoding="utf-8")
    cache = tmp_path / "c.sqlite"
    no_key = newsdesk("batch", page, "--out", tmp_path / "none", "--cache", cache, "--base-url", server.url,
                      "--api-model", "tiny-a", env={"NEWSDESK_API_KEY": ""})
    assert no_key.returncode == 2 and "HTTP 401" in no_key.stderr and server.url in no_key.stderr
    unset = newsdesk("batch", page, "--out", tmp_path / "none", "--cache", cache, "--base-url", server.url,
                     "--api-key-env", "NEWSDESK_NO_SUCH_VARIABLE")
    assert unset.returncode == 2 and "NEWSDESK_NO_SUCH_VARIABLE" in unset.stderr

    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny-server.toml").write_text(
        f'name = "tiny-server"\nkind = "chat"\nruntime = "openai"\nbase_url = "{server.url}"\n'
        'api_model = "tiny-b"\napi_key_env = "NEWSDESK_TEST_KEY"\nconcurrency = 2\n', encoding="utf-8")
    out = tmp_path / "out"
    r = newsdesk("batch", page, "--out", out, "--cache", cache, "--model", "tiny-server",
                 env={"NEWSDESK_MODELS_DIR": str(models), "NEWSDESK_TEST_KEY": SECRET})
    assert r.returncode == 0, r.stderr
    records = _records(out, "seed")
    assert len(records) == 6 and {x["model"] for x in records} == {"tiny-server"}
    assert {m for _, m in _rows(cache)} == {"tiny-b@openai"}
    written = [p for p in [*out.iterdir(), *tmp_path.glob("c.sqlite*")] if p.is_file()]
    assert len(written) >= 4
    for p in written:
        assert SECRET.encode() not in p.read_bytes(), p
    for text in (r.stdout, r.stderr, no_key.stdout, no_key.stderr, unset.stdout, unset.stderr):
        assert SECRET not in text


def test_every_front_takes_the_server_flags(tmp_path):
    """batch, serve and bench parse the server flags into the openai runtime's profile (eval scores files and
    runs no model)."""
    for cmd in (["batch", "x.txt"], ["serve"], ["bench"]):
        args = build_parser().parse_args([*cmd, "--base-url", "http://gpu:8000/v1", "--api-model",
                                          "Qwen/Qwen2.5-7B-Instruct", "--api-key-env", "MY_KEY", "--concurrency", "8"])
        p = _model(args)
        assert p.runtime == "openai" and p.name == "Qwen/Qwen2.5-7B-Instruct"
        assert p.extra == {"base_url": "http://gpu:8000/v1", "api_model": "Qwen/Qwen2.5-7B-Instruct",
                           "api_key_env": "MY_KEY", "concurrency": 8}
    args = build_parser().parse_args(["batch", "x.txt", "--model", "Qwen/Qwen2.5-7B-Instruct",
                                      "--base-url", "http://gpu:8000"])
    assert _model(args).extra["api_model"] == "Qwen/Qwen2.5-7B-Instruct"  # --model names the server's model
    assert _model(build_parser().parse_args(["batch", "x.txt"])) is None  # no flags: the local default


def _kill_mid_run_and_resume(server: LlamaServer, page: Path, tmp_path: Path, *, after: int,
                             extra: tuple = ()) -> dict:
    """`newsdesk batch` through the server; SIGKILL the server once `after` generations are cached; check the
    error; restart the server and rerun: it resumes from the cache. Returns the figures."""
    cache, out = tmp_path / "c.sqlite", tmp_path / "out"
    args = [sys.executable, "-m", "service", "batch", page, "--out", out, "--cache", cache, "--base-url", server.url,
            "--concurrency", "1", *extra]
    t0 = time.monotonic()
    proc = subprocess.Popen(list(map(str, args)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    while len(_rows(cache)) < after:
        assert proc.poll() is None, f"the run ended before the kill:\n{proc.stderr.read()[-3000:]}"
        time.sleep(0.05)
    server.kill()
    killed_at = time.monotonic() - t0
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert f"the model server at {server.url} failed" in stderr and "run the same command again" in stderr
    assert not (out / f"{page.stem}.jsonl").exists()
    kept = _rows(cache)
    assert len(kept) >= after

    server.start()  # the same URL
    t1 = time.monotonic()
    r = subprocess.run(list(map(str, args)), cwd=ROOT, capture_output=True, text=True, timeout=3600)
    rerun_seconds = time.monotonic() - t1
    assert r.returncode == 0, r.stderr
    generated, cached = _stats(r.stdout)
    assert cached == len(kept) and generated > 0  # every generation kept is reused, none is made twice
    after_rows = _rows(cache)
    assert len(after_rows) == len(kept) + generated and set(kept) <= set(after_rows)
    records = _records(out, page.stem)
    assert [x["index"] for x in records] == sorted({x["index"] for x in records})  # one record per article
    return {"killed_after_s": killed_at, "kept": len(kept), "generated": generated, "cached": cached,
            "rerun_s": rerun_seconds, "records": records, "stderr": stderr}


def test_killed_server_is_a_clear_error_and_the_rerun_resumes(tiny_gguf, tmp_path, seed_text):
    page = tmp_path / "seed.txt"
    page.write_text(seed_text, encoding="utf-8")
    server = LlamaServer(tmp_path, [(tiny_gguf, "tiny")]).start()
    try:
        res = _kill_mid_run_and_resume(server, page, tmp_path, after=3)
    finally:
        server.stop()
    assert len(res["records"]) == 6 and {x["runtime"] for x in res["records"]} == {"openai"}


# --- the real embedded model ---------------------------------------------------------------------------------
@pytest.mark.real_model
def test_real_model_page_through_the_server_survives_a_kill(tmp_path, seed_text):
    """A real page through llama-cpp-python's server on the embedded GGUF, end to end with `newsdesk batch
    --base-url`: the seed page's first article (the whole page serially through that server, one request at a
    time, takes far longer on 2 CPU cores than the llama.cpp runtime's batched run). The server is killed after
    3 generations, restarted, and the rerun finishes from the cache. The outputs are real English and Chinese,
    and the fact checks ran on them."""
    from service.generation import provision
    from service.generation.registry import resolve

    gguf = provision.ensure_gguf(resolve(None), log=lambda m: None)
    page = tmp_path / "seed-first-article.txt"
    page.write_text(seed_text[:seed_text.index("中国五金物流港")], encoding="utf-8")
    server = LlamaServer(tmp_path, [(str(gguf), "qwen2.5-coder-1.5b-instruct")], n_ctx=8192).start()
    try:
        res = _kill_mid_run_and_resume(server, page, tmp_path, after=3)
    finally:
        server.stop()
    (x,) = res["records"]
    assert x["index"] == 0 and x["model"] == "qwen2.5-coder-1.5b-instruct" and x["runtime"] == "openai"
    assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", x["translation"]), x["translation"][:300]
    assert re.search(r"[\u4e00-\u9fff]{4}", x["summary"]), x["summary"]
    assert x["fact_counts"]["checked"] > 0
    print(f"\nreal model via server: killed after {res['killed_after_s']:.0f} s with {res['kept']} generations "
          f"cached; rerun {res['rerun_s']:.0f} s ({res['generated']} generated, {res['cached']} from cache); "
          f"facts {x['fact_counts']}")


def test_archive_actors_are_clients_of_the_server(server, keyed, seed_text, tmp_path):
    """`newsdesk archive` with --base-url: the Ray actor holds a client of the server (no model of its own); the
    key reaches it from the driver's environment and is written nowhere."""
    (tmp_path / "in/2024").mkdir(parents=True)
    (tmp_path / "in/2024/p1.txt").write_text(seed_text, encoding="utf-8")
    out = tmp_path / "out"
    r = newsdesk("archive", tmp_path / "in", "--out", out, "--base-url", server.url, "--api-model", "tiny-a",
                 "--api-key-env", keyed, "--concurrency", "2", "--cache", tmp_path / "c.sqlite")
    assert r.returncode == 0, r.stderr
    records = _records(out / "2024", "p1")
    assert [x["index"] for x in records] == list(range(6))
    assert {(x["runtime"], x["model"]) for x in records} == {("openai", "tiny-a")}
    report = json.loads((out / "2024/p1.report.json").read_text(encoding="utf-8"))
    assert report["run"]["runtime"] == "openai" and report["run"]["model"] == "tiny-a"
    for f in [*out.rglob("*"), tmp_path / "c.sqlite"]:
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes(), f
    assert SECRET not in r.stdout + r.stderr
