"""Command line: `newsdesk batch | archive | serve | segment | segment-eval | eval | bench | models` (or `python -m service`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from service import __version__
from service.errors import InputError, NewsdeskError
from service.page.ingest import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS, read_file


def _err(msg: str) -> None:
    print(f"newsdesk: error: {msg}", file=sys.stderr)


def _inputs(paths: list[str]) -> tuple[list[Path], list[str]]:
    """The issue files named by the arguments (directories: their .txt files), and what was wrong with the rest.
    A file named twice is run once."""
    files: list[Path] = []
    problems: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            try:
                found = sorted(x for x in p.iterdir() if x.is_file() and x.suffix.lower() == ".txt")
            except PermissionError:
                problems.append(f"{p} cannot be listed: permission denied. Make it readable, or pass its files.")
                continue
            if not found:
                problems.append(f"{p} holds no .txt files; pass issue files or a directory of them.")
            files += found
        elif p.exists():
            files.append(p)
        else:
            problems.append(f"{p} does not exist. Check the path.")
    unique = list({f.resolve(): f for f in files}.values())
    return unique, problems


def issue_names(files: list[Path]) -> dict[Path, str]:
    """The output name of each input: its stem, or, where stems clash (2024-01/page01.txt, 2024-02/page01.txt),
    the stem led by as many parent folders as make it unique (2024-01_page01, 2024-02_page01)."""
    names = {f: f.stem for f in files}
    depth = 1
    while True:
        seen: dict[str, list[Path]] = {}
        for f, n in names.items():
            seen.setdefault(n, []).append(f)
        clashes = [fs for fs in seen.values() if len(fs) > 1]
        if not clashes:
            return names
        for fs in clashes:
            for f in fs:
                parents = f.resolve().parent.parts[1:]
                if depth <= len(parents):
                    names[f] = "_".join([*parents[len(parents) - depth:], f.stem])
                else:  # the same path twice is removed earlier; this is only a guard against looping
                    names[f] = f"{'_'.join(parents)}_{f.stem}-{fs.index(f) + 1}"
        depth += 1


def _check_out(out: Path) -> list[str]:
    """An output folder that exists and can be written, before any work; returns what recovery did there."""
    from service.output.outputs import recover

    for up in (out, *out.parents):
        if up.exists():
            if not up.is_dir():
                where = "is a file" if up == out else f"lies under {up}, which is a file"
                raise NewsdeskError(f"--out {out} {where}; pass a directory for the results (it is created).")
            break
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise NewsdeskError(f"--out {out} cannot be written ({e.strerror}). Pass a directory you can write to, "
                            "or fix its permissions; nothing was run.") from None
    return recover(out)


def _model(args):
    """--model, or, with --base-url / --api-model / --api-key-env / --concurrency / --runtime openai, the model on
    an OpenAI-compatible server (a profile with those settings laid over it)."""
    server = (args.base_url, args.api_model, args.api_key_env, args.concurrency)
    if args.runtime != "openai" and all(x is None for x in server):
        return args.model
    if args.runtime not in (None, "openai"):
        raise NewsdeskError(f"--base-url, --api-model, --api-key-env and --concurrency are for a model on a server; "
                            f"they do not go with --runtime {args.runtime}.")
    from service.generation.registry import server_profile

    return server_profile(args.model, base_url=args.base_url, api_model=args.api_model,
                          api_key_env=args.api_key_env, concurrency=args.concurrency)


def cmd_batch(args) -> int:
    """Exit status: 0 every input written; 1 some inputs refused or failed, the others written; 2 nothing was run
    or the run failed (bad options, no readable input, the model)."""
    from tqdm import tqdm

    from service.output.outputs import fact_report, report_path, write_issue
    from service.pipeline import Pipeline

    # everything that can be checked is checked before the model loads
    files, problems = _inputs(args.inputs)
    names = issue_names(files)
    docs = []
    for path in files:
        try:
            docs.append(dataclasses.replace(read_file(path, max_bytes=args.max_bytes), name=names[path]))
        except NewsdeskError as e:
            problems.append(str(e))
    for line in _check_out(Path(args.out)):
        print(f"newsdesk: {line}", file=sys.stderr)
    for msg in problems:
        _err(msg)
    if not docs:
        raise NewsdeskError("no input could be read (see above), so nothing was run.")
    renamed = [d for d in docs if d.name != Path(d.path).stem]
    for d in renamed:
        print(f"newsdesk: {d.path} is written as {d.name}.* (another input has the same file name)", file=sys.stderr)
    pipe = Pipeline(_model(args), args.summary_model, batch_size=args.batch_size, runtime=args.runtime,
                    cache_path=args.cache or "default", device=args.device, log=lambda m: print(m, file=sys.stderr),
                    glossary=args.glossary or (), repair=not args.no_repair, summary_length=args.summary_length,
                    summary_candidates=args.summary_candidates, ocr_fix=not args.no_ocr_fix)
    written = 0
    for doc in docs:
        bar = tqdm(desc=doc.name, unit="article", total=None, file=sys.stderr, dynamic_ncols=True)

        def progress(s: dict, bar=bar) -> None:
            bar.total = s["articles"]
            bar.n = s["done"]
            rate = s["tokens"] / s["seconds"] if s["seconds"] else 0.0
            bar.set_postfix_str(f"{rate:.1f} tok/s, {s['generated']} generated, {s['cached']} cached")

        try:
            records = pipe.process(doc, progress)
        except InputError as e:
            bar.close()
            problems.append(str(e))
            _err(str(e))
            continue
        bar.close()
        try:
            jsonl, md = write_issue(args.out, doc.name, records, run=pipe.provenance(doc))
        except OSError as e:
            raise NewsdeskError(f"cannot write the results of {doc.path} to {args.out} ({e.strerror}). Its "
                                "generations are cached: fix the folder and run the same command again.") from None
        written += 1
        n_flags = sum(len(r["flags"]) for r in records)
        st = pipe.generator.stats
        c = fact_report(doc.name, records)["facts"]
        print(f"{doc.path}: {len(records)} items -> {jsonl}, {md}, {report_path(args.out, doc.name)} ({n_flags} "
              f"flags; facts: {c['checked']} checked, {c['verified']} verified, {c['repaired']} repaired, "
              f"{c['flagged']} flagged; {st['generated']} generated, {st['cached']} from cache)")
    if problems:
        print(f"newsdesk: {written} of {written + len(problems)} inputs written; {len(problems)} refused or failed "
              "(messages above).", file=sys.stderr)
    return 1 if problems else 0


def cmd_archive(args) -> int:
    """Exit status as batch: 0 every issue written or already current; 1 some refused or failed; 2 nothing run."""
    from service.fronts.archive import SUMMARY, run_archive

    out = Path(args.out)
    for line in _check_out(out):
        print(f"newsdesk: {line}", file=sys.stderr)
    settings = dict(model=_model(args), summary_model=args.summary_model, batch_size=args.batch_size,
                    runtime=args.runtime, cache_path=args.cache or "default", device=args.device,
                    glossary=tuple(args.glossary or ()), repair=not args.no_repair,
                    summary_length=args.summary_length, summary_candidates=args.summary_candidates)
    s = run_archive(args.in_dir, out, settings=settings, address=args.ray_address, actors=args.actors,
                    cpus_per_actor=args.cpus_per_actor, issues_per_actor=args.issues_per_actor,
                    max_bytes=args.max_bytes, log=lambda m: print(m, file=sys.stderr))
    c = s["counts"]
    print(f"{args.in_dir}: {c['done']} issues written, {c['skipped']} already current, {c['failed']} failed, "
          f"{c['refused']} refused; {s['articles']} articles, {s['generated']} generations in {s['seconds']:.0f} s "
          f"({s['issues_per_hour']:.1f} issues/hour) -> {out}/ (summary: {out / SUMMARY})")
    for r in s["issues"]:
        if r["status"] in ("failed", "refused"):
            print(f"  {r['status']}: {r['name']}: {r['error']}")
    if not c["done"] and not c["skipped"]:
        return 2
    return 1 if c["failed"] or c["refused"] else 0


def _print_item(it, indent: str = "") -> None:
    printed = it.printed  # the text as printed; the corrections the model reads are listed with `~`
    head = " / ".join(x for x in (printed.get("kicker", it.kicker), printed.get("headline", it.headline),
                                  *printed.get("subheads", it.subheads)) if x)
    print(f"{indent}[{it.index}] {it.kind} {it.span[0]}-{it.span[1]}  {head}")
    if it.dateline or it.byline:
        people = ", ".join(f"{p.name} ({p.role})" for p in it.people)
        print(f"{indent}    {it.dateline} | {it.byline}" + (f" | {people}" if people else ""))
    if it.items:
        for sub in it.items:
            _print_item(sub, indent + "    ")
    else:
        for p in printed.get("paragraphs", it.paragraphs):
            print(f"{indent}    | {p}")
    for c in it.corrections:
        print(f"{indent}    ~ {c['kind']} {c['span'][0]}-{c['span'][1]}: {c['original']} → {c['corrected']} "
              "(the model reads the corrected text)")
    for f in it.flags:
        where = f" {f['span'][0]}-{f['span'][1]}" if f.get("span") else ""
        print(f"{indent}    ! {f['kind']}{where}: {f['message']}")


def cmd_serve(args) -> int:
    from service.fronts.ui import launch
    from service.pipeline import Pipeline

    pipe = Pipeline(_model(args), args.summary_model, batch_size=args.batch_size, runtime=args.runtime,
                    cache_path=args.cache or "default", device=args.device, log=lambda m: print(m, file=sys.stderr),
                    glossary=args.glossary or (), repair=not args.no_repair,
                    summary_candidates=args.summary_candidates)
    print(f"newsdesk: serving on http://{args.host}:{args.port} - open it in a browser (Ctrl-C stops).",
          file=sys.stderr)
    launch(pipe, host=args.host, port=args.port, share=args.share, max_chars=args.max_chars,
           max_bytes=args.max_bytes)
    return 0


def cmd_segment(args) -> int:
    from service.page.segment import segment
    from service.pipeline import attach_document_flags

    doc = read_file(args.file, max_bytes=args.max_bytes)
    items = segment(doc.text)
    attach_document_flags(items, doc)
    if args.format == "json":
        print(json.dumps([it.as_dict() for it in items], ensure_ascii=False, indent=2))
    else:
        for it in items:
            _print_item(it)
    return 0


def cmd_segment_eval(args) -> int:
    from service.evaluation.segeval import gold_path, pages_with_gold, score_pages
    from service.generation.registry import REPO_ROOT

    gold_dir = Path(args.gold) if args.gold else REPO_ROOT / "corpus" / "gold"
    if not gold_dir.is_dir():
        raise NewsdeskError(f"{gold_dir} is not a directory of gold files; pass --gold DIR.")
    pages = [Path(p) for p in args.pages] if args.pages else pages_with_gold(gold_dir)
    if not pages:
        raise NewsdeskError(f"no pages to score: {gold_dir} holds no gold files naming a page; pass PAGES.")
    missing = [str(gold_path(p, gold_dir)) for p in pages if not gold_path(p, gold_dir).is_file()]
    if missing:
        raise NewsdeskError(f"no gold annotation for: {', '.join(missing)}")
    res = score_pages(pages, gold_dir)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
        return 0
    cols = [("boundary_precision", "bnd P"), ("boundary_recall", "bnd R"), ("boundary_f1", "bnd F1"),
            ("headline_exact", "headline"), ("byline_field_accuracy", "byline"), ("kind_accuracy", "kind"),
            ("body_exact", "body"), ("join_accuracy", "joins"), ("furniture_recall", "furn R")]
    ocr_cols = [("ocr_flags_gold", "ocr gold"), ("ocr_flags_right", "right"), ("ocr_false_alarms", "false")]

    def row(name: str, f: dict) -> str:
        vals = ["   -  " if f[k] is None else f"{f[k]:6.3f}" for k, _ in cols]
        return f"{name:28} {f['items_gold']:5} " + " ".join(vals) + "".join(f" {f[k]:>5}" for k, _ in ocr_cols)

    print(f"{'page':28} {'items':>5} " + " ".join(f"{h:>6}" for _, h in cols) + "   OCR flags: gold right false")
    for p in res["pages"]:
        print(row(Path(p["page"]).name, p))
        if args.verbose:
            for e in p["errors"]:
                print(f"    {e}")
    print(row("overall", res["overall"]))
    return 0


def cmd_eval(args) -> int:
    from service.evaluation.evaluate import evaluate, load_pairs
    from service.evaluation.report import print_table, to_json, write_report

    inputs = load_pairs(args.pred, args.ref, task=args.task, source=args.source, pred_field=args.pred_field,
                        ref_field=args.ref_field, source_field=args.source_field, key=args.key)
    result = evaluate(inputs, args.task)
    if args.json == "-":
        print(to_json(result))
    else:
        print_table(result, items=args.items)
        if args.json:
            from service.output.outputs import atomic_write

            written = atomic_write(args.json, to_json(result) + "\n")
            print(f"JSON: {written}")
    if args.report:
        print(f"report: {write_report(result, args.report)}", file=sys.stderr if args.json == "-" else sys.stdout)
    return 0


def cmd_bench(args) -> int:
    from service.evaluation.bench import main_bench

    args.model = _model(args)
    if getattr(args.model, "runtime", None) == "openai" and not args.no_baseline:
        print("newsdesk: bench: the model is on a server, so there is no local baseline to run (--no-baseline).",
              file=sys.stderr)
        args.no_baseline = True
    return main_bench(args)


def cmd_models_list(args) -> int:
    from service.generation import provision
    from service.generation.registry import profiles

    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    for p in profiles().values():
        # "ready" only when the files the runtime would load verify (sha256; cheap while they are unchanged)
        state, hint = provision.model_state(p, log=log) if p.runtime != "openai" else ("server", "")
        mark = "*" if p.default else " "
        print(f"{mark} {p.name:28} {p.kind:8} {p.runtime:13} {state:13} {p.description}")
        if hint:
            print(f"    {hint}")
        if (amx := provision.amx_state(p, log=log)) is not None:  # what llama.cpp loads on this CPU
            print(f"    AMX layout (this CPU multiplies with AMX): {amx[0]}" + (f"; {amx[1]}" if amx[1] else ""))
        if p.gguf and p.runtime == "llama.cpp" and provision.converted_dir(p).exists():
            state, hint = provision.model_state(p, "transformers", log=log)  # a bf16 conversion is there too
            print(f"    with --runtime transformers (bf16): {state}" + (f"; {hint}" if hint else ""))
    print("\n* default. Any Hugging Face id (owner/name) or local model directory works with --model too.")
    return 0


def cmd_models_fetch(args) -> int:
    from service.generation import provision
    from service.generation.registry import resolve

    profile = resolve(args.model)
    if profile.runtime == "openai":
        print(f"{profile.name} runs on the server at {profile.extra.get('base_url')}; nothing to fetch here.")
        return 0
    if not profile.gguf:
        print(f"{profile.name} loads through transformers from {profile.hf_id}; nothing to fetch here.")
        return 0
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    runtime = args.runtime or profile.runtime
    if runtime == "llama.cpp":
        path = provision.llama_file(profile, source=args.source, log=log)  # and its AMX layout, where the CPU has AMX
    else:
        path = provision.ensure(profile, source=args.source, log=log)
    print(path)
    return 0


def cmd_models_check(args) -> int:
    from service.generation import provision
    from service.generation.llamacpp import probe
    from service.generation.registry import resolve

    profile = resolve(args.model)
    if profile.runtime != "llama.cpp":
        print(f"{profile.name} runs on {profile.runtime}; only the llama.cpp runtime is checked.")
        return 0
    path = provision.llama_file(profile, log=lambda m: print(m, file=sys.stderr))
    probe(path)
    print(f"llama.cpp runs {profile.name} on this machine ({Path(path).name})")
    return 0


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is too small: give 1 or more")
    return n


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="newsdesk", description="Chinese newspaper pages in; per article a Chinese summary and an English translation out.")
    ap.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    def model_opts(p, runtime="model runtime (default: the profile's; llama.cpp for the embedded model)",
                   batch="sequences generated at once", cache=True):
        p.add_argument("--model", help="profile name, Hugging Face id or local directory (default: embedded model)")
        p.add_argument("--summary-model", help="a different model for the summaries (default: --model)")
        p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
        p.add_argument("--runtime", choices=["llama.cpp", "transformers", "openai"], help=runtime)
        p.add_argument("--batch-size", type=_positive, default=None,
                       help=f"{batch} (default: 16 with llama.cpp, 8 with transformers)")
        if cache:
            p.add_argument("--cache", help="SQLite file of finished generations (default: in the newsdesk cache dir)")
        server_opts(p)

    def server_opts(p):
        g = p.add_argument_group("OpenAI-compatible server (vLLM, SGLang, llama.cpp server, hosted APIs)")
        g.add_argument("--base-url", metavar="URL", help="the server, e.g. http://gpu-box:8000/v1 (runs the openai "
                       "runtime; --model then names a profile or the server's model)")
        g.add_argument("--api-model", metavar="NAME", help="the model name on the server (default: the profile's, "
                       "--model, or the server's only model)")
        g.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the API key (default "
                       "NEWSDESK_API_KEY when set; the key is never printed or stored)")
        g.add_argument("--concurrency", type=_positive, default=None,
                       help="requests in flight to the server at once (default 4)")

    def fact_opts(p):
        p.add_argument("--glossary", action="append", metavar="FILE",
                       help="CSV glossary (columns zh,en,note) merged over the shipped glossary/zh-en.csv; repeatable")
        p.add_argument("--no-repair", action="store_true",
                       help="check and flag facts, but do not pre-render them in prompts or re-translate failures")
        p.add_argument("--summary-length", choices=["standard", "short"], default="standard",
                       help="standard: 2-4 sentences, the main fact first (default); short: one headline-like "
                            "sentence of at most about 30 characters")
        p.add_argument("--summary-candidates", type=_positive, default=None, metavar="N",
                       help="write each summary N times and keep the most typical of those that keep the rules "
                            "(llama.cpp runtime, with repair on; default 12 for short summaries, 1 for standard "
                            "ones; 1 is the fastest)")

    b = sub.add_parser("batch", help="summarise and translate issue files",
                       epilog="exit status: 0 every input written; 1 some inputs refused or failed (the others are "
                              "written); 2 nothing could be done (no readable input, a bad option, --out or --cache)")
    b.add_argument("inputs", nargs="+", help="issue files (.txt) or directories of them")
    b.add_argument("--out", default="out", help="output directory (default out/)")
    b.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_BYTES, help="largest accepted input file")
    model_opts(b)
    fact_opts(b)
    b.add_argument("--no-ocr-fix", action="store_true",
                   help="the model reads the text as printed: OCR defects are flagged, none corrected")
    b.set_defaults(func=cmd_batch)

    a = sub.add_parser("archive", help="run a folder tree of issues on Ray (this machine, or a cluster)",
                       description="Every .txt issue under IN_DIR through an actor pool on Ray (each actor holds "
                       "one model, or a client of an OpenAI-compatible server); the same three files per issue as "
                       "`newsdesk batch`, in the same tree under --out. Issues whose outputs are current (same "
                       "source, model and prompt versions) are skipped; a failed issue is recorded and the run "
                       "goes on. Summary: OUT/archive-summary.json.",
                       epilog="exit status: 0 every issue written or already current; 1 some issues refused or "
                              "failed (the others are written); 2 nothing could be done")
    a.add_argument("in_dir", metavar="IN_DIR", help="folder of issue files (.txt), searched with its sub-folders")
    a.add_argument("--out", required=True, help="output folder (the input tree is mirrored in it)")
    a.add_argument("--ray-address", metavar="ADDR", help="a running Ray cluster (e.g. auto, or HEAD:6379); "
                   "default: a private local one on this machine")
    a.add_argument("--actors", type=_positive, help="model actors (default: one per node, each with the node's CPUs)")
    a.add_argument("--cpus-per-actor", type=float, help="CPUs each actor claims; its model uses as many threads "
                   "(default: a node's CPUs)")
    a.add_argument("--issues-per-actor", type=_positive, default=1,
                   help="issues one actor runs at once through its model's shared queue (default 1: on 2 cores, "
                        "2 at once measured 5 %% slower than 1)")
    a.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_BYTES, help="largest accepted input file")
    model_opts(a)
    fact_opts(a)
    a.set_defaults(func=cmd_archive)

    w = sub.add_parser("serve", help="the web UI: paste a page or upload issues in a browser")
    w.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    w.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    w.add_argument("--share", action="store_true", help="also ask Gradio for a public share link (needs internet)")
    w.add_argument("--max-chars", type=_positive, default=DEFAULT_MAX_CHARS,
                   help=f"longest accepted pasted text, in characters (default {DEFAULT_MAX_CHARS:,})")
    w.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_BYTES,
                   help=f"largest accepted uploaded issue file, in bytes (default {DEFAULT_MAX_BYTES:,})")
    model_opts(w)
    fact_opts(w)
    w.set_defaults(func=cmd_serve)

    s = sub.add_parser("segment", help="print the articles found on a page (no model needed)")
    s.add_argument("file")
    s.add_argument("--format", choices=["json", "text"], default="text")
    s.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_BYTES)
    s.set_defaults(func=cmd_segment)

    se = sub.add_parser("segment-eval", help="score segmentation against gold annotations (no model needed)")
    se.add_argument("pages", nargs="*", help="page files (default: every page named in the gold directory)")
    se.add_argument("--gold", help="directory of <page stem>.json gold files (default: corpus/gold in the repository)")
    se.add_argument("--json", action="store_true", help="print all figures and errors as JSON")
    se.add_argument("-v", "--verbose", action="store_true", help="list every error under its page")
    se.set_defaults(func=cmd_segment_eval)

    e = sub.add_parser("eval", help="score summaries or translations, with references or without",
                       description="Score predictions against references (ROUGE for Chinese summaries, BLEU and "
                       "chrF++ for English translations), or without references (length, compression, copy rate, "
                       "novel n-grams, numbers not in the source, flags).")
    e.add_argument("--pred", nargs="+", required=True, metavar="P",
                   help="predictions: JSONL file(s), `newsdesk batch` output (.jsonl files or their directory), "
                        "or a text file with one item a line")
    e.add_argument("--ref", metavar="R", help="references: JSONL (matched by id, or by issue+index for batch "
                   "output) or a text file aligned with the predictions; leave out for reference-free scores")
    e.add_argument("--task", choices=["summary", "translation"], default="summary",
                   help="what is scored: Chinese summaries (ROUGE) or English translations (BLEU, chrF++)")
    e.add_argument("--source", metavar="S", help="source texts aligned with text predictions, one a line "
                   "(JSONL and batch records carry theirs in `text`)")
    e.add_argument("--pred-field", help="JSONL field of the prediction (default: summary / translation, "
                   "prediction, pred, hypothesis, output)")
    e.add_argument("--ref-field", help="JSONL field of the reference (default: summary / translation, "
                   "reference, ref, target); without --ref it is read from the prediction records")
    e.add_argument("--source-field", help="JSONL field of the source text (default: text, source, src, short_text)")
    e.add_argument("--key", help="comma-separated fields that match predictions to references "
                   "(default: id, else issue,index, else line order)")
    e.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="print the full result as JSON instead of tables (or write it to FILE)")
    e.add_argument("--report", metavar="FILE", help="write a report with plots: FILE.html or FILE.md")
    e.add_argument("--items", action=argparse.BooleanOptionalAction, default=None,
                   help="show the per-item table (default: when there are at most 30 items)")
    e.set_defaults(func=cmd_eval)

    bn = sub.add_parser("bench", help="benchmark the service against a naive baseline on the development sets",
                        description="Runs the service path (batched) and a naive baseline (plain transformers, "
                        "batch size 1, same model and prompts) on the same items of the development sets; prints "
                        "quality (BLEU, chrF++, ROUGE) and speed, and writes a JSON result.")
    bn.add_argument("--data", help="evaluation-data folder (default ../shared/eval-data beside the repository, "
                    "or NEWSDESK_EVAL_DATA)")
    bn.add_argument("--sets", help="comma-separated sets: flores, wmt17, wmt18, tico19, lcsts "
                    "(default flores,wmt17,wmt18,lcsts)")
    bn.add_argument("--limit", type=_positive, help="first N items of each set (default: all)")
    bn.add_argument("--out", help="results folder (default bench/results/ in the repository)")
    bn.add_argument("--no-baseline", action="store_true", help="run the service only")
    model_opts(bn, runtime="the service's model runtime (default: the profile's; the baseline is always plain "
               "transformers)", batch="the service's sequences at once", cache=False)
    bn.set_defaults(func=cmd_bench)

    m = sub.add_parser("models", help="list or fetch models")
    msub = m.add_subparsers(dest="models_command", required=True)
    ml = msub.add_parser("list", help="list model profiles")
    ml.set_defaults(func=cmd_models_list)
    mf = msub.add_parser("fetch", help="fetch, verify and convert a model into the cache")
    mf.add_argument("--model", help="profile name (default: the embedded default)")
    mf.add_argument("--from", dest="source", help="a local GGUF file (or directory holding it) to use")
    mf.add_argument("--runtime", choices=["llama.cpp", "transformers"],
                    help="what to prepare it for (default: the profile's runtime; transformers converts to bf16)")
    mf.set_defaults(func=cmd_models_fetch)
    mc = msub.add_parser("check", help="check that the model's runtime runs on this machine (one prompt, in a "
                         "child process)")
    mc.add_argument("--model", help="profile name (default: the embedded default)")
    mc.set_defaults(func=cmd_models_check)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NewsdeskError as e:
        _err(str(e))
        return 2
    except KeyboardInterrupt:
        from service.generation.backends import shutdown

        shutdown()  # let the engine finish the step in flight: never exit inside native code
        _err("interrupted. Finished generations are saved in the cache; run the same command again to resume.")
        return 130
