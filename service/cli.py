"""Command line: `newsdesk batch | segment | segment-eval | models` (and `python -m service ...`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import NewsdeskError
from .ingest import DEFAULT_MAX_BYTES, read_file


def _err(msg: str) -> None:
    print(f"newsdesk: error: {msg}", file=sys.stderr)


def _inputs(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(x for x in p.iterdir() if x.is_file() and x.suffix.lower() == ".txt")
            if not found:
                raise NewsdeskError(f"{p} holds no .txt files; pass issue files or a directory of them.")
            files += found
        else:
            files.append(p)
    return files


def cmd_batch(args) -> int:
    from tqdm import tqdm

    from .outputs import write_issue
    from .pipeline import Pipeline

    files = _inputs(args.inputs)
    pipe = Pipeline(args.model, args.summary_model, batch_size=args.batch_size,
                    cache_path=args.cache or "default", device=args.device, log=lambda m: print(m, file=sys.stderr))
    failed = 0
    for path in files:
        try:
            doc = read_file(path, max_bytes=args.max_bytes)
        except NewsdeskError as e:
            _err(str(e))
            failed += 1
            continue
        bar = tqdm(desc=doc.name, unit="article", total=None, file=sys.stderr, dynamic_ncols=True)

        def progress(s: dict, bar=bar) -> None:
            bar.total = s["articles"]
            bar.n = s["done"]
            rate = s["tokens"] / s["seconds"] if s["seconds"] else 0.0
            bar.set_postfix_str(f"{rate:.1f} tok/s, {s['generated']} generated, {s['cached']} cached")

        records = pipe.process(doc, progress)
        bar.close()
        jsonl, md = write_issue(args.out, doc.name, records)
        n_flags = sum(len(r["flags"]) for r in records)
        st = pipe.generator.stats
        print(f"{path}: {len(records)} items -> {jsonl}, {md} ({n_flags} flags; "
              f"{st['generated']} generated, {st['cached']} from cache)")
    return 1 if failed else 0


def _print_item(it, indent: str = "") -> None:
    head = " / ".join(x for x in (it.kicker, it.headline, *it.subheads) if x)
    print(f"{indent}[{it.index}] {it.kind} {it.span[0]}-{it.span[1]}  {head}")
    if it.dateline or it.byline:
        people = ", ".join(f"{p.name} ({p.role})" for p in it.people)
        print(f"{indent}    {it.dateline} | {it.byline}" + (f" | {people}" if people else ""))
    if it.items:
        for sub in it.items:
            _print_item(sub, indent + "    ")
    else:
        for p in it.paragraphs:
            print(f"{indent}    | {p}")
    for f in it.flags:
        where = f" {f['span'][0]}-{f['span'][1]}" if f.get("span") else ""
        print(f"{indent}    ! {f['kind']}{where}: {f['message']}")


def cmd_segment(args) -> int:
    from .segment import segment

    doc = read_file(args.file, max_bytes=args.max_bytes)
    items = segment(doc.text)
    if args.format == "json":
        print(json.dumps([it.as_dict() for it in items], ensure_ascii=False, indent=2))
    else:
        for it in items:
            _print_item(it)
    return 0


def cmd_segment_eval(args) -> int:
    from .segeval import evaluate, gold_path, pages_with_gold

    gold_dir = Path(args.gold)
    if not gold_dir.is_dir():
        raise NewsdeskError(f"{gold_dir} is not a directory of gold files; pass --gold DIR.")
    pages = [Path(p) for p in args.pages] if args.pages else pages_with_gold(gold_dir)
    if not pages:
        raise NewsdeskError(f"no pages to score: {gold_dir} holds no gold files naming a page; pass PAGES.")
    missing = [str(gold_path(p, gold_dir)) for p in pages if not gold_path(p, gold_dir).is_file()]
    if missing:
        raise NewsdeskError(f"no gold annotation for: {', '.join(missing)}")
    res = evaluate(pages, gold_dir)
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


def cmd_models_list(args) -> int:
    from . import provision
    from .registry import profiles

    for p in profiles().values():
        state = ("ready" if provision.is_ready(p) else "not fetched") if p.gguf else "hub/local"
        mark = "*" if p.default else " "
        print(f"{mark} {p.name:28} {p.kind:8} {state:12} {p.description}")
    print("\n* default. Any Hugging Face id (owner/name) or local model directory works with --model too.")
    return 0


def cmd_models_fetch(args) -> int:
    from . import provision
    from .registry import resolve

    profile = resolve(args.model)
    if not profile.gguf:
        print(f"{profile.name} loads through transformers from {profile.hf_id}; nothing to fetch here.")
        return 0
    path = provision.ensure(profile, source=args.source, log=lambda m: print(m, file=sys.stderr))
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="newsdesk", description=__doc__.split("\n")[0])
    ap.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    def model_opts(p):
        p.add_argument("--model", help="profile name, Hugging Face id or local directory (default: embedded model)")
        p.add_argument("--summary-model", help="a different model for the summaries (default: --model)")
        p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
        p.add_argument("--batch-size", type=int, default=8, help="requests per generation batch (default 8)")
        p.add_argument("--cache", help="SQLite file of finished generations (default: in the newsdesk cache dir)")

    b = sub.add_parser("batch", help="summarise and translate issue files")
    b.add_argument("inputs", nargs="+", help="issue files (.txt) or directories of them")
    b.add_argument("--out", default="out", help="output directory (default out/)")
    b.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="largest accepted input file")
    model_opts(b)
    b.set_defaults(func=cmd_batch)

    s = sub.add_parser("segment", help="print the articles found on a page (no model needed)")
    s.add_argument("file")
    s.add_argument("--format", choices=["json", "text"], default="text")
    s.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    s.set_defaults(func=cmd_segment)

    e = sub.add_parser("segment-eval", help="score segmentation against gold annotations (no model needed)")
    e.add_argument("pages", nargs="*", help="page files (default: every page named in the gold directory)")
    e.add_argument("--gold", default="corpus/gold", help="directory of <page stem>.json gold files")
    e.add_argument("--json", action="store_true", help="print all figures and errors as JSON")
    e.add_argument("-v", "--verbose", action="store_true", help="list every error under its page")
    e.set_defaults(func=cmd_segment_eval)

    m = sub.add_parser("models", help="list or fetch models")
    msub = m.add_subparsers(dest="models_command", required=True)
    ml = msub.add_parser("list", help="list model profiles")
    ml.set_defaults(func=cmd_models_list)
    mf = msub.add_parser("fetch", help="fetch, verify and convert a model into the cache")
    mf.add_argument("--model", help="profile name (default: the embedded default)")
    mf.add_argument("--from", dest="source", help="a local GGUF file (or directory holding it) to use")
    mf.set_defaults(func=cmd_models_fetch)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NewsdeskError as e:
        _err(str(e))
        return 2
    except KeyboardInterrupt:
        _err("interrupted. Finished generations are saved in the cache; run the same command again to resume.")
        return 130
