"""Command line: `newsdesk batch | segment | models` (and `python -m service ...`)."""

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

    from .outputs import issue_report, report_path, write_issue
    from .pipeline import Pipeline

    files = _inputs(args.inputs)
    pipe = Pipeline(args.model, args.summary_model, batch_size=args.batch_size,
                    cache_path=args.cache or "default", device=args.device, log=lambda m: print(m, file=sys.stderr),
                    glossary=args.glossary or (), repair=not args.no_repair)
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
        c = issue_report(doc.name, records)["facts"]
        print(f"{path}: {len(records)} items -> {jsonl}, {md}, {report_path(args.out, doc.name)} ({n_flags} flags; "
              f"facts: {c['checked']} checked, {c['verified']} verified, {c['repaired']} repaired, "
              f"{c['flagged']} flagged)")
    return 1 if failed else 0


def cmd_segment(args) -> int:
    from .segment import segment

    doc = read_file(args.file, max_bytes=args.max_bytes)
    items = segment(doc.text)
    if args.format == "json":
        print(json.dumps([it.as_dict() for it in items], ensure_ascii=False, indent=2))
    else:
        for it in items:
            print(f"[{it.index}] {it.kind} {it.span[0]}-{it.span[1]}  {it.headline}")
            if it.dateline or it.byline:
                print(f"    {it.dateline} ({it.byline})")
            for p in it.paragraphs:
                print(f"    | {p}")
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
    b.add_argument("--glossary", action="append", metavar="FILE",
                   help="CSV glossary (columns zh,en,note) merged over the shipped glossary/zh-en.csv; repeatable")
    b.add_argument("--no-repair", action="store_true",
                   help="check and flag facts, but do not pre-render them in prompts or re-translate failures")
    model_opts(b)
    b.set_defaults(func=cmd_batch)

    s = sub.add_parser("segment", help="print the articles found on a page (no model needed)")
    s.add_argument("file")
    s.add_argument("--format", choices=["json", "text"], default="text")
    s.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    s.set_defaults(func=cmd_segment)

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
