#!/usr/bin/env python3
"""Segmentation figures per page shape, and leave-one-shape-out (issue 13).

A figure on the pages a segmenter was tuned on says little about a page laid out another way. This script scores
`service.page.segment` on the shape pages of `scripts/build_shapes.py` (corpus/shapes/<shape>/gold) and on the
project's own gold pages (corpus/gold, grouped by their `shape`: a, b; the seed page is `seed`), one row per shape.

With --loso it also reports leave-one-shape-out: the numbers of `service.page.segment.Tuning` (how far short of the
column a line may stop and still be full, the share of lines at one width that makes a page hard-wrapped, the
length of a clause with a comma) are chosen from a grid by the article-boundary F1 on all the other shapes, and
the left-out shape is scored with that choice. The rules themselves (which evidence counts) are not searched:
they were written looking at every shape, and this says so in the README; other seeds of the builders
(--shapes /tmp/other after `build_shapes.py --seed N --out /tmp/other`) give pages none of the rules have seen.

    python scripts/shape_eval.py                    # per shape
    python scripts/shape_eval.py --loso             # and leave-one-shape-out
    python scripts/shape_eval.py --shapes /tmp/shapes7 --no-corpus --json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.evaluation import segeval  # noqa: E402  (after the sys.path line: run as a script)
from service.page import segment  # noqa: E402

GRID = {"full_slack": [0, 1, 2], "wrapped_share": [0.35, 0.45, 0.55], "comma_clause": [10, 14, 18],
        "weak_share": [0.2, 0.34, 0.5]}
COLS = [("items_gold", "items", "{:5d}"), ("boundary_precision", "bnd P", "{:6.3f}"),
        ("boundary_recall", "bnd R", "{:6.3f}"), ("boundary_f1", "bnd F1", "{:6.3f}"),
        ("headline_exact", "headline", "{:8.3f}"), ("heading_exact", "heading", "{:7.3f}"),
        ("byline_field_accuracy", "byline", "{:6.3f}"), ("body_exact", "body", "{:6.3f}"),
        ("join_accuracy", "joins", "{:6.3f}")]


def load_shapes(shapes_dir: Path | None, corpus: bool) -> dict[str, list[tuple[str, dict]]]:
    """{shape: [(page text, gold)]}: every shape folder's pages, and the corpus pages grouped by shape."""
    out: dict[str, list[tuple[str, dict]]] = {}
    if shapes_dir is not None:
        for d in sorted(p for p in shapes_dir.iterdir() if (p / "gold").is_dir()):
            for page in segeval.pages_with_gold(d / "gold"):
                gold = json.loads(segeval.gold_path(page, d / "gold").read_text(encoding="utf-8"))
                out.setdefault(d.name, []).append((page.read_text(encoding="utf-8"), gold))
    if corpus:
        gold_dir = ROOT / "corpus" / "gold"
        for page in segeval.pages_with_gold(gold_dir):
            gold = json.loads(segeval.gold_path(page, gold_dir).read_text(encoding="utf-8"))
            name = "seed" if page.parent.name == "corpus" else f"corpus_{gold.get('shape', '')}"
            out.setdefault(name, []).append((page.read_text(encoding="utf-8"), gold))
    return out


def score(pages: list[tuple[str, dict]], tuning=None) -> segeval.Counts:
    saved = getattr(segment, "TUNING", None)  # (absent in the segmenter before issue 13: --before figures)
    if tuning is not None:
        segment.TUNING = tuning
    try:
        c = segeval.Counts()
        for text, gold in pages:
            c.add(segeval.score_page(text, gold))
        return c
    finally:
        segment.TUNING = saved


def loso(shapes: dict[str, list[tuple[str, dict]]], grid: dict[str, list] | None = None) -> dict[str, dict]:
    """For each shape: the grid point with the best boundary F1 on the other shapes (ties: headline exact, join
    accuracy, then the point nearest the defaults), and the figures it gives on the shape left out."""
    grid = grid or GRID
    points = [segment.Tuning(**dict(zip(grid, vals))) for vals in itertools.product(*grid.values())]
    default = segment.Tuning()
    counts = {(k, name): score(pages, t) for k, t in enumerate(points) for name, pages in shapes.items()}
    out = {}
    for left in shapes:
        def rank(k: int, left: str = left) -> tuple:
            c = segeval.Counts()
            for name in shapes:
                if name != left:
                    c.add(counts[k, name])
            f = c.figures()
            t = points[k]
            dist = sum(getattr(t, g) != getattr(default, g) for g in grid)
            return f["boundary_f1"], f["headline_exact"] or 0, f["join_accuracy"] or 0, -dist

        best = max(range(len(points)), key=rank)
        out[left] = {"tuning": asdict(points[best]), **counts[best, left].figures()}
    return out


def table(rows: dict[str, dict]) -> str:
    lines = [f"{'shape':16} " + " ".join(f"{h:>{len(fmt.format(0))}}" for _, h, fmt in COLS)]
    for name, f in rows.items():
        lines.append(f"{name:16} " + " ".join(
            " " * len(fmt.format(0)) if f[k] is None else fmt.format(f[k]) for k, _, fmt in COLS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", default=str(ROOT / "corpus" / "shapes"), help="folder of <shape>/gold (default "
                    "%(default)s)")
    ap.add_argument("--no-corpus", action="store_true", help="leave out the pages of corpus/gold")
    ap.add_argument("--loso", action="store_true", help="also leave-one-shape-out over the tuning grid")
    ap.add_argument("--json", action="store_true", help="print figures (and errors) as JSON")
    ap.add_argument("--grid", help="JSON object replacing the tuning grid, e.g. '{\"full_slack\": [0, 2]}'")
    args = ap.parse_args(argv)
    shapes = load_shapes(Path(args.shapes) if args.shapes else None, not args.no_corpus)
    if not shapes:
        print(f"shape_eval: no gold pages under {args.shapes}", file=sys.stderr)
        return 2
    per, total = {}, segeval.Counts()
    for name, pages in shapes.items():
        c = score(pages)
        total.add(c)
        per[name] = {**c.figures(), "pages": len(pages), "errors": c.errors}
    per["all"] = total.figures()
    tuning = getattr(segment, "TUNING", None)
    result = {"tuning": asdict(tuning) if tuning else None, "per_shape": per}
    if args.loso:
        result["leave_one_shape_out"] = loso(shapes, json.loads(args.grid) if args.grid else None)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"per shape (tuning {result['tuning']}):")
    print(table(per))
    if args.loso:
        lo = result["leave_one_shape_out"]
        print("\nleave one shape out (tuning chosen on the other shapes):")
        print(table(lo))
        for name, f in lo.items():
            print(f"  {name:16} {f['tuning']}")
        f1s = [f["boundary_f1"] for f in lo.values()]
        print(f"  lowest left-out F1 {min(f1s):.3f}, mean {sum(f1s) / len(f1s):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
