"""Benchmarks: the service on public development sets, against a naive baseline, in the same run.

Sets (from the evaluation-data folder, default `../shared/eval-data` beside the repository, or `--data DIR`):
FLORES-200 dev, WMT17 and WMT18 newstest and TICO-19 (zh→en translation, scored with sacrebleu BLEU and chrF++),
and LCSTS part III dev with human_label >= 3 (Chinese summaries, scored with ROUGE at character and word level).

Two systems, each in its own process (so that each one's peak RSS is its own), on the same items:
- `service`: the real service path. Each sentence (or LCSTS short text) is an article with one paragraph and no
  headline; the `Generator` plans its jobs with the same prompt templates and budgets as `newsdesk batch` and
  runs them batched across items (sorted by length) through the backends. Only the output being scored is planned
  (the translation, or the summary). The cache is a fresh in-memory one, so every generation is real.
- `baseline`: naive generation: plain transformers `model.generate`, batch size 1, greedy, on the same model and
  the same rendered prompt (the same jobs, with the same token limits), one after the other.
Speed: generated tokens per second of generation wall time, items per minute, peak RSS (model loading
included; load time is reported apart), and the speed ratio service/baseline. Results go to
`bench/results/<time>-<commit>.json` with the git commit, model, prompt versions, settings and the machine.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.errors import InputError, NewsdeskError
from service.generation.registry import REPO_ROOT


def results_dir() -> Path:
    """Where `newsdesk bench` writes its figures: NEWSDESK_RESULTS_DIR; else bench/results of the source checkout
    newsdesk runs from; else ./bench-results (an installed newsdesk writes nothing next to its package)."""
    if os.environ.get("NEWSDESK_RESULTS_DIR"):
        return Path(os.environ["NEWSDESK_RESULTS_DIR"])
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "bench").is_dir():
        return REPO_ROOT / "bench" / "results"
    return Path.cwd() / "bench-results"


def default_data_dir() -> Path:
    return Path(os.environ.get("NEWSDESK_EVAL_DATA", REPO_ROOT.parent / "shared" / "eval-data"))


# --- data sets ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataSet:
    name: str
    task: str  # translation | summary
    folder: str
    files: tuple[str, ...]  # source, reference (aligned by line); or the LCSTS file
    licence: str
    description: str
    # summaries: the length asked for. LCSTS's references are one headline-like line (19 characters on average):
    # scoring 2-4 sentences against them measures the length, not the summary
    summary_length: str = "standard"


SETS = {
    "flores": DataSet("flores", "translation", "flores200-dev-zh-en", ("zho_Hans.dev", "eng_Latn.dev"),
                      "CC BY-SA 4.0", "FLORES-200 dev, zho_Hans -> eng_Latn"),
    "wmt17": DataSet("wmt17", "translation", "wmt-newstest2017-2018-zh-en", ("newstest2017.zh", "newstest2017.en"),
                     "WMT test sets, research use", "WMT17 newstest zh -> en"),
    "wmt18": DataSet("wmt18", "translation", "wmt-newstest2017-2018-zh-en", ("newstest2018.zh", "newstest2018.en"),
                     "WMT test sets, research use", "WMT18 newstest zh -> en"),
    "tico19": DataSet("tico19", "translation", "tico19-test-zh-en", ("tico19-test.zh", "tico19-test.en"),
                      "CC0", "TICO-19 test (COVID-19 domain) zh -> en"),
    "lcsts": DataSet("lcsts", "summary", "lcsts-part3-dev", ("PART_III.dev.txt",),
                     "LCSTS (Hu, Chen & Zhu 2015, HIT Shenzhen), research use only",
                     "LCSTS part III dev, human_label >= 3: short_text -> summary (summary length short)",
                     summary_length="short"),
}
DEFAULT_SETS = ("flores", "wmt17", "wmt18", "lcsts")
LCSTS_MIN_LABEL = 3
_LCSTS_DOC = re.compile(r"<doc id=(\d+)>\s*<human_label>\s*(\d+)\s*</human_label>\s*<summary>\s*(.*?)\s*</summary>"
                        r"\s*<short_text>\s*(.*?)\s*</short_text>\s*</doc>", re.S)


@dataclass
class Example:
    id: str
    source: str
    ref: str


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise InputError(f"{path} is missing. The benchmark reads the development sets from the evaluation-data "
                         "folder (default ../shared/eval-data beside the repository); pass --data DIR.") from e


def load_set(name: str, data_dir: str | Path | None = None, limit: int | None = None) -> list[Example]:
    if name not in SETS:
        raise InputError(f"unknown benchmark set {name!r}; pick from {', '.join(SETS)}.")
    ds = SETS[name]
    folder = Path(data_dir or default_data_dir()) / ds.folder
    if not folder.is_dir():
        raise InputError(f"{folder} not found: the {ds.description} set is expected there. Pass --data DIR (the "
                         "folder holding flores200-dev-zh-en/, lcsts-part3-dev/, ...) or leave the set out with --sets.")
    if ds.task == "summary":
        docs = _LCSTS_DOC.findall(_read(folder / ds.files[0]))
        if not docs:
            raise InputError(f"{folder / ds.files[0]} holds no <doc> records in the LCSTS format.")
        out = [Example(i, text, summary) for i, label, summary, text in docs if int(label) >= LCSTS_MIN_LABEL]
    else:
        src = _read(folder / ds.files[0]).splitlines()
        ref = _read(folder / ds.files[1]).splitlines()
        if len(src) != len(ref):
            raise InputError(f"{folder}: {ds.files[0]} has {len(src)} lines but {ds.files[1]} has {len(ref)}; "
                             "the source and reference files must be aligned line by line.")
        out = [Example(str(n + 1), s.strip(), r.strip()) for n, (s, r) in enumerate(zip(src, ref)) if s.strip()]
    return out[:limit] if limit else out


# --- the two systems (each runs in a child process) -----------------------------------------------------------
ROLES = {"translation": {"translate"}, "summary": {"summary"}}  # what Generator.plan makes for each task


def _items(sources: list[str]):
    from service.page.segment import Item

    return [Item(index=i, kind="news", headline="", paragraphs=[s], span=(0, len(s))) for i, s in enumerate(sources)]


def _task_generator(base, summary_length: str = "standard", summary_candidates: int | None = None):
    """A Generator on the service's backends, with its prompts (a translation reads its passage with the amounts,
    dates, names and terms pre-rendered, as the service's does), and a fresh in-memory cache: every generation
    is real."""
    from service.generation.cache import Cache
    from service.generation.generate import Generator

    return Generator(base.backends["translate"], base.backends["summarize"], cache=Cache(None),
                     chunk_tokens=base.chunk_tokens, prompt_values=base.prompt_values,
                     summary_length=summary_length, summary_candidates=summary_candidates)


def _output(draft, task: str) -> str:
    return draft.translation if task == "translation" else draft.summary


def naive_generate(backend, job):
    """Plain transformers generation of one job, batch size 1: the rendered prompt, `model.generate`, decode."""
    import torch

    from service.generation.backends import Generation

    tok, model = backend.tokenizer, backend.model
    if backend.follows_instructions:
        text = tok.apply_chat_template(job.input, tokenize=False, add_generation_prompt=True)
        enc = tok(text, add_special_tokens=False, return_tensors="pt")
    else:
        enc = tok(job.input, return_tensors="pt")
    enc = {k: v.to(model.device) for k, v in enc.items()}
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=job.max_new, do_sample=False, num_beams=1, temperature=None,
                             top_p=None, top_k=None, pad_token_id=backend.pad_id)
    seconds = time.perf_counter() - t0
    ids = out[0, enc["input_ids"].shape[1]:].tolist() if backend.follows_instructions else out[0].tolist()[1:]
    eos = model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos])
    cut = next((k for k, t in enumerate(ids) if t in eos), None)
    ids = ids if cut is None else ids[:cut]
    return Generation(tok.decode(ids, skip_special_tokens=True).strip(), len(ids), cut is not None, seconds)


def _progress_bar(desc: str, total: int):
    from tqdm import tqdm

    return tqdm(desc=desc, total=total, unit="item", file=sys.stderr, dynamic_ncols=True)


def run_system(system: str, model: str | None, summary_model: str | None, batch_size: int | None,
               device: str | None, sets: dict[str, tuple[str, list[str]]], runtime: str | None = None) -> dict:
    """Run one system on every set; called in a child process. Returns outputs, token counts, times, RSS.
    The baseline is always plain transformers (batch 1); the service uses `runtime` (default: the profile's)."""
    from service.pipeline import Pipeline

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    service = system == "service"
    pipe = Pipeline(model, summary_model, batch_size=batch_size if service else 1, cache_path=None, device=device,
                    runtime=runtime if service else "transformers", log=lambda m: print(m, file=sys.stderr))
    load_seconds = time.perf_counter() - t0
    backend = pipe.generator.backends["translate"]
    threads = None
    if backend.runtime == "transformers":
        import torch

        threads = torch.get_num_threads()
    else:
        from service.generation.llamacpp import threads as llama_threads

        threads = llama_threads()
    result = {"system": system, "load_seconds": load_seconds, "sets": {},
              "model": pipe.translate_profile.name, "summary_model": pipe.summary_profile.name,
              "runtime": backend.runtime, "prompt_versions": pipe.generator.template_ids(),
              "device": getattr(backend, "device", "cpu"), "threads": threads,
              "batch_size": backend.engine.capacity if service else 1}
    for name, (task, sources, length) in sets.items():
        # as the pipeline would: a short summary written several times where the runtime samples (not the naive
        # baseline's) and the follow-up that keeps one runs
        gen = _task_generator(pipe.generator, length, pipe.candidates)
        result.setdefault("set_prompt_versions", {})[name] = gen.template_ids()
        bar = _progress_bar(f"{system} {name}", len(sources))
        # the service's follow-ups, in both systems (the same jobs, run two ways): a summary that breaks a rule of
        # its length is written once more with the reason; a translation that fails a check is translated again,
        # and the words it left in Chinese looked up
        followups = [] if not pipe.repair else [
            pipe.repair.summary_followup if task == "summary" else pipe.repair.followup]
        t0, cpu0 = time.perf_counter(), time.process_time()
        if system == "service":
            def progress(s: dict, bar=bar) -> None:
                bar.n = s["done"]
                rate = s["tokens"] / s["seconds"] if s["seconds"] else 0.0
                bar.set_postfix_str(f"{rate:.1f} tok/s")
                bar.refresh()

            drafts = {d.item.index: d for d in gen.run(_items(sources), followups, progress=progress,
                                                       roles=ROLES[task])}
            tokens, calls = gen.stats["tokens"], gen.stats["generated"]
            prompt_tokens, shared = gen.stats["prompt_tokens"], gen.stats["shared_prompt_tokens"]
        else:
            drafts, tokens, calls, prompt_tokens, shared = {}, 0, 0, 0, 0
            for item in _items(sources):
                d = gen.plan(item, ROLES[task])
                todo = list(d.jobs)
                while todo:  # the jobs, then their follow-ups (as Generator.run asks for them), one at a time
                    for j in todo:
                        j.result = naive_generate(gen.backends[j.task], j)
                        tokens += j.result.tokens
                        prompt_tokens += len(j.ids)
                        calls += 1
                    todo = [j for hook in (gen.merge_summaries, *followups) for j in hook(d, gen)]
                    d.jobs.extend(todo)
                drafts[item.index] = d
                bar.update(1)
                bar.set_postfix_str(f"{tokens / (time.perf_counter() - t0):.1f} tok/s")
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
        bar.close()
        result["sets"][name] = {"outputs": [_output(drafts[i], task) for i in range(len(sources))],
                                "tokens": tokens, "prompt_tokens": prompt_tokens, "shared_prompt_tokens": shared,
                                "generations": calls, "seconds": seconds,
                                "cpu_seconds": cpu_seconds}
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["load_average"] = [load_start, os.getloadavg()[0] if load_start is not None else None]
    return result


def _in_child(fn: Callable, *args):
    """Run fn(*args) in a fresh process (spawned, so nothing of the parent is shared) and return its result."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()


# --- metadata -------------------------------------------------------------------------------------------------
def git_info() -> dict:
    def git(*a: str) -> str | None:
        try:
            return subprocess.run(["git", "-C", str(REPO_ROOT), *a], capture_output=True, text=True, timeout=20,
                                  check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None,
            "branch": git("rev-parse", "--abbrev-ref", "HEAD")}


def machine_info() -> dict:
    cpu, mem = None, None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    info = {"cpu_model": cpu or platform.processor() or None, "cores": os.cpu_count(),
            "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "memory_gib": mem, "platform": platform.platform(), "python": platform.python_version()}
    try:
        from importlib.metadata import version

        info.update(torch=version("torch"), transformers=version("transformers"), sacrebleu=version("sacrebleu"))
    except Exception:  # noqa: BLE001 - metadata is best effort
        pass
    return info


# --- the benchmark --------------------------------------------------------------------------------------------
def _quality(task: str, hyps: list[str], refs: list[str]) -> dict:
    from service.evaluation.evaluate import reference_metrics

    return {m.name: m.corpus(hyps, refs) for m in reference_metrics(task)}


def _speed(n_items: int, tokens: int, seconds: float, cpu_seconds: float | None = None) -> dict:
    """Wall-clock figures, and CPU time of the system's process (all its threads): on a shared machine the wall
    clock depends on what else runs, the CPU time much less."""
    return {"items": n_items, "tokens": tokens, "seconds": round(seconds, 3),
            "tokens_per_s": tokens / seconds if seconds else None,
            "items_per_min": 60 * n_items / seconds if seconds else None,
            "cpu_seconds": round(cpu_seconds, 3) if cpu_seconds is not None else None,
            "tokens_per_cpu_s": tokens / cpu_seconds if cpu_seconds else None}


def run_bench(sets: list[str] | None = None, *, data_dir: str | Path | None = None, limit: int | None = None,
              model: str | None = None, summary_model: str | None = None, batch_size: int | None = None,
              runtime: str | None = None, device: str | None = None, baseline: bool = True, out_dir: str | Path | None = None,
              command: list[str] | None = None) -> tuple[dict, Path]:
    """Run the systems one after the other; the results file is written after each one (with `complete`
    false until the last is done), so a long run stopped half-way keeps what it measured."""
    names = list(sets or DEFAULT_SETS)
    data = {n: load_set(n, data_dir, limit) for n in names}
    empty = [n for n, ex in data.items() if not ex]
    if empty:
        raise InputError(f"no items in set(s) {', '.join(empty)}.")
    payload = {n: (SETS[n].task, [e.source for e in ex], SETS[n].summary_length) for n, ex in data.items()}
    systems = ["service"] + (["baseline"] if baseline else [])
    meta = {"command": command, "git": git_info(),  # the code that runs, taken before the run
            "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "settings": {"sets": names, "limit": limit, "batch_size": batch_size, "runtime": runtime, "decoding": "greedy",
                         "cache": "none (fresh in-memory cache per set)", "systems": systems,
                         "data_dir": str(Path(data_dir or default_data_dir()).resolve())}}
    out = Path(out_dir or results_dir())
    path = out / f"{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{(meta['git']['commit'] or 'nogit')[:8]}.json"
    runs: dict = {}
    for s in systems:
        print(f"bench: running {s} on {', '.join(f'{n} ({len(e)})' for n, e in data.items())} ...", file=sys.stderr)
        runs[s] = _in_child(run_system, s, model, summary_model, batch_size, device, payload, runtime)
        result = _assemble(data, runs, meta, complete=len(runs) == len(systems))
        from service.output.outputs import atomic_write

        atomic_write(path, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        print(f"bench: {s} done; results in {path}", file=sys.stderr)
    return result, path


def _assemble(data: dict[str, list[Example]], runs: dict, meta: dict, complete: bool) -> dict:
    systems = list(runs)
    first = runs["service"]
    result: dict = {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "complete": complete,
        "command": meta["command"],
        "git": meta["git"],
        "model": first["model"],
        "summary_model": first["summary_model"],
        "prompt_versions": first["prompt_versions"],
        "machine": {**machine_info(), "device": first["device"], "threads": first["threads"],
                    "runtimes": {s: r["runtime"] for s, r in runs.items()},
                    # other processes share the CPU: the 1-minute load average before the run and now
                    "load_average": [round(meta["load_before"], 2) if meta["load_before"] is not None else None,
                                     round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None]},
        "settings": meta["settings"],
        "sets": {}, "systems": {}, "outputs": {},
    }
    both = "service" in runs and "baseline" in runs
    for n, examples in data.items():
        ds = SETS[n]
        refs = [e.ref for e in examples]
        entry = {"task": ds.task, "description": ds.description, "licence": ds.licence, "items": len(examples),
                 "systems": {}}
        if ds.task == "summary":
            entry["summary_length"] = ds.summary_length
            entry["prompt_versions"] = first.get("set_prompt_versions", {}).get(n)
        for s in systems:
            r = runs[s]["sets"][n]
            entry["systems"][s] = {**_quality(ds.task, r["outputs"], refs),
                                   **_speed(len(examples), r["tokens"], r["seconds"], r.get("cpu_seconds")),
                                   "generations": r["generations"], "prompt_tokens": r.get("prompt_tokens"),
                                   "shared_prompt_tokens": r.get("shared_prompt_tokens")}
        if both:
            sv, bl = runs["service"]["sets"][n], runs["baseline"]["sets"][n]
            entry["speed_ratio"] = bl["seconds"] / sv["seconds"] if sv["seconds"] else None
            entry["identical_outputs_pct"] = 100 * sum(a == b for a, b in zip(sv["outputs"], bl["outputs"])) / len(examples)
        result["sets"][n] = entry
        result["outputs"][n] = {"ids": [e.id for e in examples], **{s: runs[s]["sets"][n]["outputs"] for s in systems}}
    total_items = sum(len(e) for e in data.values())
    for s in systems:
        r = runs[s]
        result["systems"][s] = {
            **_speed(total_items, sum(x["tokens"] for x in r["sets"].values()),
                     sum(x["seconds"] for x in r["sets"].values()),
                     sum(x.get("cpu_seconds") or 0 for x in r["sets"].values())),
            "runtime": r.get("runtime"), "batch_size": r["batch_size"], "peak_rss_mb": round(r["peak_rss_bytes"] / 2**20, 1),
            "load_seconds": round(r["load_seconds"], 2),
            "load_average": [round(x, 2) if x is not None else None for x in r.get("load_average", [])],
            "description": (
                f"service path: Generator + {r.get('runtime')} runtime through the generation queue (continuous "
                "batching, shared prompt prefixes where the runtime has them)" if s == "service" else
                "naive: plain transformers model.generate, batch size 1, same model and rendered prompts")}
    if both:
        sv, bl = result["systems"]["service"], result["systems"]["baseline"]
        result["speed_ratio"] = {
            "items_per_min": sv["items_per_min"] / bl["items_per_min"] if bl["items_per_min"] else None,
            "tokens_per_s": sv["tokens_per_s"] / bl["tokens_per_s"] if bl["tokens_per_s"] else None,
            "tokens_per_cpu_s": (sv["tokens_per_cpu_s"] / bl["tokens_per_cpu_s"]
                                 if sv["tokens_per_cpu_s"] and bl["tokens_per_cpu_s"] else None)}
    return result


def print_bench(result: dict, path: Path | None = None, console=None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    systems = list(result["systems"])
    q = Table(box=box.SIMPLE_HEAD, title=f"quality · {result['model']} · prompts {result['prompt_versions']}")
    q.add_column("set")
    q.add_column("items", justify="right")
    q.add_column("metric")
    for s in systems:
        q.add_column(s, justify="right")
    for n, e in result["sets"].items():
        metrics = [k for k in e["systems"][systems[0]] if k.startswith(("ROUGE", "BLEU", "chrF"))]
        for k, m in enumerate(metrics):
            q.add_row(n if k == 0 else "", str(e["items"]) if k == 0 else "", m,
                      *(f"{e['systems'][s][m]:.2f}" for s in systems))
        if "identical_outputs_pct" in e:
            q.add_row("", "", "identical outputs %", f"{e['identical_outputs_pct']:.0f}", "")
    console.print(q)
    m = result["machine"]
    sp = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"speed · {m.get('cpu_model')} · {m.get('cores')} cores · {m.get('threads')} threads "
                     f"· {m.get('device')}")
    for h in ("system", "batch", "tokens", "gen s", "tok/s", "it/min", "tok/cpu-s", "RSS MB"):
        sp.add_column(h, justify="left" if h == "system" else "right", no_wrap=True)
    for s, v in result["systems"].items():
        sp.add_row(s, str(v["batch_size"]), str(v["tokens"]), f"{v['seconds']:.0f}",
                   f"{v['tokens_per_s'] or 0:.2f}", f"{v['items_per_min'] or 0:.2f}",
                   f"{v.get('tokens_per_cpu_s') or 0:.2f}", f"{v['peak_rss_mb']:.0f}")
    console.print(sp)
    console.print("gen s: generation wall time; it/min: items per minute; tok/cpu-s: tokens per second of the "
                  "process's CPU time (all threads; less sensitive to other load); RSS MB: peak resident memory of "
                  "the system's process (model included). Model loading, not in gen s: "
                  + ", ".join(f"{s} {v['load_seconds']:.1f} s" for s, v in result["systems"].items()))
    loads = "; ".join(f"{s} {v['load_average'][0]} -> {v['load_average'][1]}" for s, v in result["systems"].items()
                      if len(v.get("load_average") or []) == 2)
    if loads:
        console.print(f"CPU load average (1 min) at the start and end of each system's run: {loads}")
    if "speed_ratio" in result:
        r = result["speed_ratio"]
        per_set = ", ".join(f"{n} {e['speed_ratio']:.2f}x" for n, e in result["sets"].items() if e.get("speed_ratio"))
        cpu = f", {r['tokens_per_cpu_s']:.2f}x tokens per CPU second" if r.get("tokens_per_cpu_s") else ""
        console.print(f"speed ratio service/baseline: {r['items_per_min']:.2f}x items/min, "
                      f"{r['tokens_per_s']:.2f}x tokens/s{cpu} ({per_set})")
    if path:
        console.print(f"results: {path}")


def main_bench(args) -> int:
    sets = [s.strip() for s in args.sets.split(",") if s.strip()] if args.sets else None
    if args.limit is not None and args.limit < 1:
        raise NewsdeskError("--limit must be at least 1.")
    result, path = run_bench(sets, data_dir=args.data, limit=args.limit, model=args.model,
                             summary_model=args.summary_model, batch_size=args.batch_size, runtime=args.runtime,
                             device=args.device,
                             baseline=not args.no_baseline, out_dir=args.out, command=["newsdesk", *sys.argv[1:]])
    print_bench(result, path)
    return 0
