"""The llama.cpp runtime and the generation queue (service/generation/llamacpp.py, service/generation/scheduler.py) on a tiny
random-weight Qwen2 model written as a GGUF file in conftest (its text is gibberish; these tests check the
mechanics: sequences joining and leaving a running batch, fairness between callers, cancellation, shared
prefixes, errors). tests/test_real_model.py runs the same runtime on the real embedded GGUF."""

from __future__ import annotations

import queue
import sys
import threading

import pytest

from service.errors import ModelError
from service.generation import llamacpp, prompts
from service.generation.backends import LlamaCppBackend, load
from service.generation.llamacpp import LlamaEngine, probe
from service.generation.registry import resolve
from service.generation.scheduler import Request
from service.page.ingest import from_text
from service.pipeline import Pipeline

SHORT = "江南街道开展视察\n\n本报讯 12月23日,江南街道开展民生实事项目推进视察,25家企业参加。\n"


def _msgs(text: str) -> list[dict]:
    return prompts.load("translate").messages(text=text, notes="")


@pytest.fixture(scope="module")
def engine(tiny_gguf):
    return LlamaEngine(tiny_gguf, capacity=4, n_ctx=4096)


@pytest.fixture(scope="module")
def backend(engine):
    return LlamaCppBackend("tiny", engine)


def _sources(n: int) -> list[str]:
    return [f"第{k}条:{'市场监管局检查了' * (1 + k % 3)}{k * 7}家企业。" for k in range(n)]


def _run(backend, requests):
    """Submit, wait for every reply; return the requests in the order they came back."""
    reply = queue.Queue()
    for r in requests:
        r.reply = reply
    backend.scheduler.submit(requests)
    return [reply.get(timeout=120) for _ in requests]


def test_llama_runtime_runs_the_seed_page(tiny_gguf, seed_text):
    pipe = Pipeline(tiny_gguf, cache_path=None, log=lambda m: None)
    records = pipe.process(from_text(seed_text, "seed"))
    assert [r["index"] for r in records] == list(range(6))
    for r in records:
        assert r["runtime"] == "llama.cpp" and r["summary"] and r["headline_en"]
        assert len(r["translation"].split("\n\n")) == len(r["paragraphs"])
    st = pipe.generator.stats
    assert st["generated"] >= 39 and st["shared_prompt_tokens"] > 0  # template heads reused across jobs
    assert st["templates"]["translate@4"]["shared_prompt_tokens"] > 0


def test_a_sequence_joins_when_another_leaves_mid_batch(backend):
    """Capacity 2: a long and a short request run; the third joins as soon as the short one leaves, while the
    long one is still generating (continuous batching, not batch after batch)."""
    eng = backend.engine
    eng.capacity = 2
    log = []
    real_add, real_step = eng.add, eng.step

    def add(r):
        log.append(("add", r.tag))
        real_add(r)

    def step():
        done = real_step()
        log.extend(("done", r.tag) for r in done)
        return done

    eng.add, eng.step = add, step
    try:
        ids = [backend.encode(_msgs(s)) for s in _sources(3)]
        reqs = [backend.request(ids[0], 60, tag="long"), backend.request(ids[1], 3, tag="short"),
                backend.request(ids[2], 3, tag="third")]
        _run(backend, reqs)
    finally:
        eng.add, eng.step = real_add, real_step
        eng.capacity = 4
    assert log.index(("add", "third")) > log.index(("done", "short"))
    assert log.index(("add", "third")) < log.index(("done", "long"))
    assert all(r.result.tokens == r.max_new or r.result.finished for r in reqs)


def test_outputs_do_not_depend_on_what_shares_the_batch(backend):
    """Greedy outputs of requests run one at a time equal those run together (with shared prefixes)."""
    inputs = [_msgs(s) for s in _sources(6)]
    eng = backend.engine
    eng.capacity = 1
    try:
        alone = [g.text for x in inputs for batch in backend.generate([x], [24]) for _, g in batch]
    finally:
        eng.capacity = 4
    together = dict(p for batch in backend.generate(inputs, [24] * len(inputs)) for p in batch)
    assert [together[i].text for i in range(len(inputs))] == alone


def test_a_drawn_request_gives_the_same_text_for_the_same_seed(backend, monkeypatch):
    """Drawn requests (a short summary's candidates): the same seed draws the same text alone and beside others,
    other seeds draw other texts, and a greedy request beside them is unchanged. (The tiny model's random weights
    give no token EPSILON's probability, so the test draws from every token.)"""
    monkeypatch.setattr(llamacpp, "EPSILON", 0.0)
    ids = backend.encode(_msgs("市场监管局检查了25家企业。"))

    def req(seed: int, temperature: float = 1.0) -> Request:
        return backend.request(ids, 12, temperature=temperature, seed=seed)

    alone = {r.seed: r.result.text for r in _run(backend, [req(1), req(0, 0.0)])}
    together = {(r.seed, r.temperature): r.result.text
                for r in _run(backend, [req(1), req(2), req(3), req(4), req(0, 0.0)])}
    assert together[(1, 1.0)] == alone[1]
    assert together[(0, 0.0)] == alone[0]
    assert len({together[(k, 1.0)] for k in (1, 2, 3, 4)}) > 1


def test_a_step_split_in_two_calls_gives_the_same_outputs_and_scores(backend, monkeypatch):
    """Once the cache is big, a step's decode rows and prompt rows go to llama.cpp in two calls (service/generation/
    llamacpp.py: SPLIT_CELLS); here every such step is split, and the outputs and scores equal those of one call."""
    from service.generation import llamacpp

    inputs = [_msgs(s) for s in _sources(6)]
    lengths = [6, 24, 12, 24, 8, 24]  # the short ones leave early: the next request's prompt is read beside decoding
    one_call = dict(p for batch in backend.generate(inputs, lengths) for p in batch)
    scored = backend.score(SCORED)
    monkeypatch.setattr(llamacpp, "SPLIT_CELLS", 0)
    monkeypatch.setattr(llamacpp, "FA_TILE", 1)
    before = backend.engine.counters["split_steps"]
    split = dict(p for batch in backend.generate(inputs, lengths) for p in batch)
    assert backend.engine.counters["split_steps"] > before
    assert [split[i].text for i in range(len(inputs))] == [one_call[i].text for i in range(len(inputs))]
    reply = queue.Queue()
    gens = [Request(backend.encode(_msgs(s)), 24, reply=reply) for s in _sources(2)]
    backend.scheduler.submit(gens)  # decoding while the texts are scored: the scoring rows are in the second call
    busy = backend.score(SCORED)
    assert all(r.result and r.result.tokens > 0 for r in [reply.get(timeout=120) for _ in gens])
    assert busy == pytest.approx(scored, rel=1e-3, abs=1e-2)


def test_a_shared_prefix_is_read_once(backend):
    eng = backend.engine
    ids = [backend.encode(_msgs(s)) for s in _sources(4)]
    head = backend.prefix_tokens("translate", ids[0])
    assert head > 20 and all(i[:head] == ids[0][:head] for i in ids)
    before = dict(eng.counters)
    shared = _run(backend, [backend.request(i, 8, prefix=head) for i in ids])
    read = eng.counters["prompt_read"] - before["prompt_read"]
    assert read <= sum(len(i) for i in ids) - 3 * head  # the head read once (at most), not four times
    c = eng.counters  # every step's time is in one kind of step, and split between prompt and decode
    assert sum(c["step_seconds"].values()) == pytest.approx(c["prompt_seconds"] + c["decode_seconds"])
    assert c["step_seconds"]["prompt and decode"] > 0 and c["step_seconds"]["decode, few sequences"] > 0
    plain = _run(backend, [backend.request(i, 8, prefix=0, tag=k) for k, i in enumerate(ids)])
    assert sorted(r.result.text for r in shared) == sorted(r.result.text for r in plain)


def test_a_small_caller_is_not_stuck_behind_a_big_one(backend):
    """Round-robin admission: one request of a second caller, submitted after twelve of the first, is done
    long before the first caller's queue drains."""
    ids = [backend.encode(_msgs(s)) for s in _sources(13)]
    reply = queue.Queue()
    big = [backend.request(i, 20, caller="big", reply=reply, tag="big") for i in ids[:12]]
    small = backend.request(ids[12], 20, caller="small", reply=reply, tag="small")
    backend.scheduler.submit(big)
    backend.scheduler.submit([small])
    order = [reply.get(timeout=120).tag for _ in range(13)]
    assert order.index("small") < 8, order


def test_a_follow_up_goes_ahead_of_its_callers_waiting_requests(backend):
    """`submit(first=True)` (an article's re-translations) joins before the caller's requests queued earlier (the
    later articles' first round), so it runs beside them, not after them; the order given is kept."""
    ids = [backend.encode(_msgs(s)) for s in _sources(14)]
    reply = queue.Queue()
    page = [backend.request(i, 20, caller="page", reply=reply, tag=f"page{k}") for k, i in enumerate(ids[:12])]
    follow = [backend.request(i, 20, caller="page", reply=reply, tag=f"follow{k}") for k, i in enumerate(ids[12:])]
    joined = []
    real_add = backend.engine.add

    def add(r):
        joined.append(r.tag)
        real_add(r)

    backend.engine.add = add
    try:
        with backend.scheduler._cond:  # both queued before the engine thread admits anything
            backend.scheduler.submit(page)
            backend.scheduler.submit(follow, first=True)
        [reply.get(timeout=120) for _ in range(14)]
    finally:
        backend.engine.add = real_add
    assert joined[:2] == ["follow0", "follow1"], joined
    assert joined[2:] == [f"page{k}" for k in range(12)]


def test_a_light_caller_runs_while_a_heavy_callers_sequences_are_held(backend):
    """While an interactive caller with few requests (a pasted article) shares the model with one of many (a page),
    the heavy caller's running sequences are held, all but scheduler.BACKGROUND of them, so each step is short;
    holding loses nothing: the held requests' answers equal those of the same requests run without the light
    caller. A small caller that is not interactive (an archive issue's tail) holds no one."""
    from service.generation import scheduler

    eng = backend.engine
    ids = [backend.encode(_msgs(s)) for s in _sources(17)]
    heavy_ids, light_ids = ids[:16], ids[16:]
    quiet = _run(backend, [backend.request(i, 24, caller="quiet", tag=k) for k, i in enumerate(heavy_ids)])
    alone = {r.tag: r.result.text for r in quiet}

    steps = []
    real_step = eng.step

    def step():
        steps.append([s.req.caller for s in eng.seqs if s.req not in eng.held])
        return real_step()

    eng.step = step
    try:
        reply = queue.Queue()
        heavy = [backend.request(i, 24, caller="page", reply=reply, tag=k) for k, i in enumerate(heavy_ids)]
        light = backend.request(light_ids[0], 24, caller="paste", reply=reply, tag="paste", interactive=True)
        backend.scheduler.submit(heavy)
        while not any(c == "page" for s in steps for c in s):
            threading.Event().wait(0.01)
        backend.scheduler.submit([light])
        back = [reply.get(timeout=120) for _ in range(17)]
        with_paste = [s for s in steps if "paste" in s]
        # the same with a small caller that is not interactive: batch work shares the batch, holds no one
        steps.clear()
        heavy = [backend.request(i, 24, caller="issue", reply=reply, tag=k) for k, i in enumerate(heavy_ids)]
        tail = backend.request(light_ids[0], 24, caller="tail", reply=reply, tag="tail")
        backend.scheduler.submit(heavy)
        while not any(c == "issue" for s in steps for c in s):
            threading.Event().wait(0.01)
        backend.scheduler.submit([tail])
        [reply.get(timeout=120) for _ in range(17)]
    finally:
        eng.step = real_step
    assert with_paste, "the light caller's request never ran"
    assert all(s.count("page") <= scheduler.BACKGROUND for s in with_paste), with_paste
    assert [r.tag for r in back].index("paste") < 4  # it did not wait for the page's sixteen
    assert {r.tag: r.result.text for r in back if r.caller == "page"} == alone
    with_tail = [s for s in steps if "tail" in s]
    assert with_tail and any(s.count("issue") > scheduler.BACKGROUND for s in with_tail), with_tail
    assert not eng.held and not eng.seqs


def test_cancel_drops_only_that_callers_jobs(backend):
    ids = [backend.encode(_msgs(s)) for s in _sources(10)]
    reply = queue.Queue()
    a = [backend.request(i, 30, caller="a", reply=reply) for i in ids[:8]]
    b = [backend.request(i, 10, caller="b", reply=reply) for i in ids[8:]]
    backend.scheduler.submit(a + b)
    assert backend.scheduler.cancel("a") > 0
    back = [reply.get(timeout=120) for _ in range(10)]
    assert all(r.result is not None and not r.cancelled for r in b)
    assert any(r.cancelled for r in a)
    assert {id(r) for r in back} == {id(r) for r in a + b}  # every request came back exactly once
    assert backend.scheduler.pending("a") == 0


def test_an_engine_failure_reaches_every_caller_with_what_to_do(backend, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(backend.engine, "step", broken)
    with pytest.raises(ModelError, match="run the same command again to resume"):
        list(backend.generate([_msgs("测试")], [8]))


def test_a_request_longer_than_the_context_is_refused_clearly(backend):
    with pytest.raises(ModelError, match="does not fit"):
        backend.scheduler.submit([Request(list(range(5000)), 10)])


def test_a_damaged_gguf_is_refused_clearly(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelError, match="could not load"):
        load(resolve(str(bad)))


def test_a_one_article_paste_finishes_while_a_page_is_running(tiny_gguf, seed_text):
    """Two callers of one model, as two web-UI sessions: the short article's record comes back while the whole
    page is still being generated."""
    pipe = Pipeline(tiny_gguf, cache_path=None, log=lambda m: None, batch_size=4)
    page_done = threading.Event()
    started = threading.Event()

    def page():
        for _ in pipe.run(from_text(seed_text, "page"), lambda s: started.set()):
            pass
        page_done.set()

    t = threading.Thread(target=page)
    t.start()
    assert started.wait(120)
    [rec] = pipe.process(from_text(SHORT, "paste"))
    assert not page_done.is_set()  # the page still runs: the paste did not wait for it
    t.join(300)
    assert rec["translation"] and page_done.is_set()


def test_the_weights_are_read_not_mapped(engine, tiny_gguf):
    """llama.cpp repacks Q4_K tensors into a copy of its own; with the file mapped, the originals' pages stay
    mapped too and the process holds them twice (about 600 MiB more RSS for the real model). So the engine reads
    the file: no mapping of it is left once it is loaded."""
    from pathlib import Path
    maps = Path("/proc/self/maps").read_text()
    assert engine.model and str(Path(tiny_gguf).resolve()) not in maps


def test_the_runtime_check_reads_a_prompt_in_a_child_process(tiny_gguf):
    """`newsdesk models check` (run by setup.sh): a working llama.cpp build answers a first prompt."""
    probe(tiny_gguf)


def test_the_runtime_check_names_an_illegal_instruction_and_the_rebuild(tmp_path, monkeypatch):
    """A llama.cpp library built with instructions this CPU cannot run dies with SIGILL on its first prompt (as
    llama-cpp-python 0.3.36 built by GCC 12 does on AMX Xeons): the check says so and how to rebuild, where a run
    would have died without a word. The child here is a stand-in that stops itself with SIGILL."""
    dies = tmp_path / "python"
    dies.write_text("#!/bin/sh\nkill -ILL $$\n")
    dies.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(dies))
    with pytest.raises(ModelError, match="illegal CPU instruction.*--force-reinstall"):
        probe(tmp_path / "any.gguf")


def test_the_runtime_check_reports_what_the_child_said(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelError, match="failed on a first prompt.*could not load"):
        probe(bad)


def test_models_check_on_a_gguf_file(tiny_gguf, capsys):
    from service.fronts.cli import main

    assert main(["models", "check", "--model", tiny_gguf]) == 0
    assert "llama.cpp runs" in capsys.readouterr().out


SCORED = ["全员参与的安管理新格局。", "全员参与的安全管理新格局。", "市场监管局检查了本市企业，" * 12 + "。"]


def test_a_text_is_scored_as_the_transformers_runtime_scores_it(backend, tiny_gguf):
    """`score` (the OCR step's question: how likely is this sentence?) on llama.cpp gives the log-probability that
    transformers computes from the same weights; the long text is read over several steps (SCORE_ROWS)."""
    from pathlib import Path

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from service.generation.backends import TransformersChat
    from service.generation.llamacpp import SCORE_ROWS

    hf = Path(tiny_gguf).with_suffix(".hf")
    tf = TransformersChat("tiny", AutoModelForCausalLM.from_pretrained(hf, dtype=torch.float32).eval(),
                          AutoTokenizer.from_pretrained(hf), "cpu")
    assert [backend.text_ids(t) for t in SCORED] == [tf.text_ids(t) for t in SCORED]
    assert len(backend.text_ids(SCORED[2])) > 2 * SCORE_ROWS
    ours, theirs = backend.score(SCORED), tf.score(SCORED)
    for a, b in zip(ours, theirs):
        assert a < 0 and a == pytest.approx(b, rel=1e-3, abs=1e-2)
    assert ours[0] != pytest.approx(ours[1], abs=1e-3)  # one character more or less is a different text


def test_scores_do_not_depend_on_what_shares_the_batch(backend):
    alone = backend.score(SCORED)
    reply = queue.Queue()
    gens = [Request(backend.encode(_msgs(s)), 24, reply=reply) for s in _sources(2)]
    backend.scheduler.submit(gens)  # generation running while the texts are scored
    busy = backend.score(SCORED)
    done = [reply.get(timeout=120) for _ in gens]
    assert all(r.result and r.result.tokens > 0 for r in done)
    assert busy == pytest.approx(alone, rel=1e-3, abs=1e-2)


def test_the_pipeline_asks_its_model_about_dropped_characters(tiny_gguf, seed_text):
    """The pipeline's OCR step weighs 安管理 with the translating model's scores (random weights here: whatever
    it decides, its verdict is in the flag); `newsdesk segment`, without a model, leaves it a flag."""
    pipe = Pipeline(tiny_gguf, cache_path=None, log=lambda m: None)
    items = pipe.preprocess(from_text(seed_text, "seed"))
    flags = [f for it in items for f in it.flags if f["kind"] == "ocr_dropped"]
    assert len(flags) == 3 and all("log-probability" in f["message"] for f in flags)
