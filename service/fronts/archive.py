"""Archive runs on Ray: a folder tree of issue files in, the same three files per issue as `newsdesk batch` out.

    driver   finds the issue files under IN_DIR, reads and checks each (service/page/ingest.py), and notes what each
             existing output set says it was made from (its report's `run`)
    actors   a Ray Data actor pool (`map_batches` with a callable class): each actor holds one `Pipeline` (a loaded
             model, or a client of an OpenAI-compatible server) and runs its issues a few at a time through the
             model's one generation queue; an issue whose outputs are current is skipped, one that fails is
             returned as a failure (the run goes on)
    driver   writes each issue's set as it arrives (service/output/outputs.py: atomic, all three or none), so a run that is
             stopped keeps every finished issue; the next run skips them. A summary goes to
             OUT_DIR/archive-summary.json.

Outputs mirror the input tree (IN_DIR/2024/01/p1.txt -> OUT_DIR/2024/01/p1.jsonl, .md, .report.json) so names
are stable when issues are added later. On a cluster (`--ray-address`), every node needs newsdesk installed and
the model provisioned (`scripts/setup.sh`, or `newsdesk models fetch` into a shared NEWSDESK_CACHE); inputs are read
by the driver and outputs written by it, so neither needs a shared file system.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from service import __version__
from service.errors import NewsdeskError
from service.output.outputs import atomic_write, issue_files, recover, write_set
from service.page.ingest import DEFAULT_MAX_BYTES, Document, read_file

SUMMARY = "archive-summary.json"
FIELDS = ("name", "status", "seconds", "items", "flags", "generated", "cached", "files", "error", "actor")


def find_issues(in_dir: Path, out_dir: Path | None = None) -> list[tuple[Path, str]]:
    """Every .txt file under `in_dir` (hidden folders and the output folder left out), with its issue name: the
    path under `in_dir` without the suffix, e.g. `2024/01/p1`."""
    in_dir = in_dir.resolve()
    skip = out_dir.resolve() if out_dir else None
    found = []
    for root, dirs, files in os.walk(in_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (skip is None or Path(root, d) != skip))
        for f in sorted(files):
            if f.lower().endswith(".txt") and not f.startswith("."):
                p = Path(root, f)
                found.append((p, p.relative_to(in_dir).with_suffix("").as_posix()))
    return found


def out_place(out_dir: Path, name: str) -> tuple[Path, str]:
    """The folder an issue's set goes to and the set's file stem."""
    rel = Path(name)
    return out_dir / rel.parent, rel.name


def recorded_run(out_dir: Path, name: str) -> dict | None:
    """What an existing, complete set says it was made from (its report's `run`), or None."""
    folder, stem = out_place(out_dir, name)
    if not all((folder / f"{stem}{ext}").is_file() for ext in (".jsonl", ".md")):
        return None
    try:
        return json.loads((folder / f"{stem}.report.json").read_text(encoding="utf-8")).get("run")
    except (OSError, ValueError, AttributeError):
        return None


class IssueWorker:
    """A Ray Data actor: one Pipeline. The pool calls it with one issue at a time, a few calls at once in its
    threads: concurrent issues share the model's generation queue, which keeps its running batch full across
    them. Returns per issue its files' texts, or why it was skipped or failed."""

    def __init__(self, settings: dict, threads: int | None = None):
        if threads:
            os.environ["NEWSDESK_THREADS"] = str(threads)
            try:
                import torch

                torch.set_num_threads(threads)
            except ImportError:
                pass
        from service.pipeline import Pipeline

        self.actor = f"{os.uname().nodename}:{os.getpid()}"
        self.pipe = Pipeline(**settings, log=lambda m: print(f"[{self.actor}] {m}", file=sys.stderr))

    def one(self, row: dict) -> dict:
        t0 = time.perf_counter()
        doc = Document(name=row["name"], text=row["text"], encoding=row["encoding"], path=row["path"],
                       original=row["original"] or None, flags=tuple(json.loads(row["doc_flags"])))
        res = dict.fromkeys(FIELDS, "")
        res.update(name=doc.name, actor=self.actor, items=0, flags=0, generated=0, cached=0, seconds=0.0)
        run = self.pipe.provenance(doc)
        recorded = json.loads(row["recorded"]) if row["recorded"] else None
        if recorded and all(recorded.get(k) == v for k, v in run.items() if k != "newsdesk"):  # any version
            res["status"] = "skipped"
            return res
        last: dict = {}
        try:
            records = self.pipe.process(doc, last.update)
        except Exception as e:  # one issue's failure is reported; the actor goes on with the next
            res.update(status="failed", error=f"{type(e).__name__}: {e}" if not isinstance(e, NewsdeskError) else str(e))
        else:
            _, stem = out_place(Path("."), doc.name)
            res.update(status="done", items=len(records), flags=sum(len(r["flags"]) for r in records),
                       generated=last.get("generated", 0), cached=last.get("cached", 0),
                       files=json.dumps(issue_files(doc.name, records, run, stem=stem), ensure_ascii=False))
        res["seconds"] = round(time.perf_counter() - t0, 2)
        return res

    def __call__(self, batch: dict) -> dict:
        """A batch of issues (one, as the pool calls it; several calls run at once in the actor's threads)."""
        rows = [{k: batch[k][i] for k in batch} for i in range(len(batch["name"]))]
        results = [self.one(r) for r in rows]
        return {k: [r[k] for r in results] for k in FIELDS}


def _row(doc: Document, recorded: dict | None) -> dict:
    return {"name": doc.name, "text": doc.text, "encoding": doc.encoding, "path": str(doc.path or ""),
            "original": doc.original or "", "doc_flags": json.dumps(list(doc.flags), ensure_ascii=False),
            "recorded": json.dumps(recorded, ensure_ascii=False) if recorded else ""}


def _reachable(address: str, timeout: float = 10.0) -> None:
    """A HOST:PORT address must accept a connection (`auto` and ray:// addresses are left to Ray)."""
    host, sep, port = address.rpartition(":")
    if address == "auto" or "://" in address or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise NewsdeskError(f"cannot join the Ray cluster at {address}: nothing answers there ({e.strerror or e}). "
                            "Start it (`ray start --head --port PORT` on the head node) or fix --ray-address; "
                            "nothing was run.") from None


def _start_ray(address: str | None, env: dict[str, str], log: Callable[[str], None]):
    try:
        import ray
    except ImportError as e:
        raise NewsdeskError(f"newsdesk archive needs Ray ({e}). Install it: pip install 'ray[data]' "
                            "(scripts/setup.sh does).") from None
    if ray.is_initialized():
        return ray, False
    kwargs = dict(include_dashboard=False, log_to_driver=True, runtime_env={"env_vars": env},
                  logging_level="ERROR", configure_logging=True)
    if address:
        _reachable(address)  # Ray itself waits minutes on an address where nothing listens
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise NewsdeskError(f"cannot join the Ray cluster at {address} ({e}). Start it (`ray start --head` on "
                                "the head node, `ray start --address HEAD:6379` on the others) or fix "
                                "--ray-address; with token authentication set RAY_AUTH_MODE=token here too (the "
                                "token: ~/.ray/auth_token or RAY_AUTH_TOKEN). Nothing was run.") from None
    else:
        # a private local cluster for this run; a small object store: issues are kilobytes of text
        try:
            ray.init(object_store_memory=256 * 1024 * 1024, **kwargs)
        except Exception as e:  # noqa: BLE001 - Ray raises many kinds here (ports, /tmp, a stale session)
            raise NewsdeskError(f"cannot start a local Ray cluster ({type(e).__name__}: {str(e)[:300]}). Check free "
                                "space in /tmp and free memory, stop a stale cluster with `ray stop`, or join a "
                                "running one with --ray-address; or run the issues one by one with `newsdesk "
                                "batch`. Nothing was run.") from None
    log(f"newsdesk: Ray {ray.__version__}: {len([n for n in ray.nodes() if n['Alive']])} node(s), "
        f"{int(ray.cluster_resources().get('CPU', 0))} CPUs")
    return ray, True


def plan_actors(ray, actors: int | None, cpus_per_actor: float | None) -> tuple[int, float, int]:
    """Actors, the CPUs each one claims and the threads its model uses: by default one actor per node that
    claims that node's CPUs (the model's threads are the node's cores; a second actor on a node only halves them)."""
    nodes = [n for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU", 0) > 0]
    if not nodes:
        raise NewsdeskError("the Ray cluster has no node with CPUs; nothing was run.")
    smallest = min(n["Resources"]["CPU"] for n in nodes)
    cpus = cpus_per_actor or smallest
    if cpus > smallest and not actors:
        cpus = smallest
    n = actors or max(1, sum(int(nd["Resources"]["CPU"] // cpus) for nd in nodes))
    return n, cpus, max(1, int(cpus))


def run_archive(in_dir: str | Path, out_dir: str | Path, *, settings: dict, address: str | None = None,
                actors: int | None = None, cpus_per_actor: float | None = None, issues_per_actor: int = 1,
                max_bytes: int = DEFAULT_MAX_BYTES, log: Callable[[str], None] = print) -> dict:
    """Run every issue under `in_dir` (see the module docstring); returns the summary written to
    `out_dir/archive-summary.json`. `settings`: Pipeline keyword arguments (model, runtime, cache_path, ...)."""
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    t_start = time.time()
    if not in_dir.is_dir():
        raise NewsdeskError(f"{in_dir} is not a folder; pass the folder that holds the issue files (.txt).")
    found = find_issues(in_dir, out_dir)
    if not found:
        raise NewsdeskError(f"{in_dir} holds no .txt issue files (searched its sub-folders too).")
    for folder in sorted({p.parent for p in out_dir.rglob(".*.pending.json")} if out_dir.exists() else ()):
        for line in recover(folder):
            log(f"newsdesk: {folder}: {line}")

    results: dict[str, dict] = {}
    rows = []
    for path, name in found:
        try:
            doc = dataclasses.replace(read_file(path, max_bytes=max_bytes), name=name)
        except NewsdeskError as e:  # refused input: recorded, the rest runs
            results[name] = {**dict.fromkeys(FIELDS, ""), "name": name, "status": "refused", "error": str(e)}
            log(f"newsdesk: error: {e}")
            continue
        rows.append(_row(doc, recorded_run(out_dir, name)))

    if rows:
        env = {k: os.environ[k] for k in ("NEWSDESK_CACHE", "NEWSDESK_MODELS_DIR", "NEWSDESK_PROMPTS_DIR", "HF_HOME")
               if k in os.environ}
        key_var = getattr(settings.get("model"), "extra", {}).get("api_key_env") or "NEWSDESK_API_KEY"
        if key_var in os.environ:  # the server's key reaches the actors through Ray, never through our files
            env[key_var] = os.environ[key_var]
        ray, started = _start_ray(address, env, log)
        try:
            n_actors, cpus, threads = plan_actors(ray, actors, cpus_per_actor)
            log(f"newsdesk: {len(rows)} issues, {n_actors} actor(s) × {cpus:g} CPUs ({threads} model threads), "
                f"{issues_per_actor} issues at a time per actor")
            try:
                _run_pool(ray, rows, settings, n_actors, cpus, threads, issues_per_actor, out_dir, results, log)
            except (KeyboardInterrupt, NewsdeskError):
                raise
            except Exception as e:  # noqa: BLE001 - the pool broke (an actor died, the cluster went away)
                failed = _pool_failed(e, rows, results, out_dir)
                log(f"newsdesk: error: {failed}")
        finally:
            if started:
                ray.shutdown()

    seconds = time.time() - t_start
    summary = summarise(results, seconds)
    summary["issues"] = [results[name] for _, name in found if name in results]
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / SUMMARY, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def _run_pool(ray, rows, settings, n_actors, cpus, threads, per_actor, out_dir, results, log) -> None:
    import ray.data  # configures its loggers on import: quieten them after it
    from tqdm import tqdm

    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its start/finish lines; our bar says the progress
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = ctx.print_on_execution_start = False
    ctx.execution_options.preserve_order = False  # results as issues finish
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))  # one block per issue: one call per issue
    pool = ray.data.ActorPoolStrategy(size=n_actors, max_concurrent_calls_per_actor=per_actor,
                                      max_tasks_in_flight_per_actor=per_actor, enable_true_multi_threading=True)
    ds = ds.map_batches(IssueWorker, fn_constructor_kwargs={"settings": settings, "threads": threads},
                        batch_size=1, compute=pool, num_cpus=cpus, batch_format="numpy")
    bar = tqdm(total=len(rows), desc="archive", unit="issue", file=sys.stderr, dynamic_ncols=True)
    try:
        _collect(ds, bar, out_dir, results)
    finally:
        bar.close()


def _collect(ds, bar, out_dir: Path, results: dict[str, dict]) -> None:
    """Write each issue's set as its result arrives, and count it on the bar."""
    from tqdm import tqdm

    for res in ds.iter_rows():
        res = {k: (v.item() if hasattr(v, "item") else v) for k, v in res.items()}
        name = res["name"]
        if res["status"] == "done":
            folder, stem = out_place(out_dir, name)
            try:
                write_set(folder, stem, json.loads(res["files"]))
            except OSError as e:
                res.update(status="failed", error=f"cannot write to {folder} ({e.strerror}); its generations are "
                           "cached: fix the folder and run again")
        res.pop("files", None)
        results[name] = res
        if res["status"] == "failed":
            tqdm.write(f"newsdesk: {name} failed: {res['error']}", file=sys.stderr)
        bar.update(1)
        bar.set_postfix_str(" ".join(f"{s} {n}" for s, n in _counts(results.values()).items()))


def _pool_failed(e: Exception, rows, results: dict[str, dict], out_dir: Path) -> str:
    """The actor pool stopped: the issues it had not handed back are recorded as failed, with what to do (the
    finished ones are written already, their generations cached; a rerun skips them and resumes)."""
    first = str(e).strip().splitlines()[0][:300] if str(e).strip() else ""
    if any(r.get("status") == "done" for r in results.values()):
        why = (f"the Ray actor pool stopped ({type(e).__name__}: {first}). Issues finished before this are written "
               f"under {out_dir} and skipped by a rerun; generations are cached. Run the same command again to "
               "resume; if it stops again, give the actors more memory (fewer --actors or --issues-per-actor) or "
               "use `newsdesk batch`.")
    else:  # nothing came back: more likely the actors could not start (model, settings) than a breakage mid-run
        why = (f"the Ray actor pool stopped before any issue was done ({type(e).__name__}: {first}). If the "
               "actors could not load the model, `newsdesk batch` on one issue with the same options shows why. "
               "Run the same command again to resume; nothing is lost (generations are cached).")
    for row in rows:
        if row["name"] not in results:
            results[row["name"]] = {**dict.fromkeys(FIELDS, ""), "name": row["name"], "status": "failed", "error": why}
    return why


def _counts(results) -> dict[str, int]:
    c: dict[str, int] = {}
    for r in results:
        c[r["status"]] = c.get(r["status"], 0) + 1
    return c


def summarise(results: dict[str, dict], seconds: float) -> dict:
    """Totals of a run: issues by status, articles, generations, wall time, and the throughput of the issues run."""
    done = [r for r in results.values() if r["status"] == "done"]
    counts = _counts(results.values())
    items = sum(r["items"] for r in done)
    return {
        "newsdesk": __version__,
        "counts": {s: counts.get(s, 0) for s in ("done", "skipped", "failed", "refused")},
        "articles": items,
        "generated": sum(r["generated"] for r in done),
        "seconds": round(seconds, 1),
        "issues_per_hour": round(len(done) / seconds * 3600, 1) if done and seconds else 0.0,
        "actors": sorted({r["actor"] for r in done}),
    }
