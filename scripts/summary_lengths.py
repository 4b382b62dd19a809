"""How often the summaries keep the rules of their length on real pages (the seed page and the dev pages in
corpus/pages/): the share of `standard` summaries in 2-4 sentences (or of `short` ones in one sentence of at most
36 characters), before and after the summary is written again with the reason, and the summaries that copy an
OCR defect of their article. Summaries only (no translation), the embedded model unless --model; writes
bench/results/<date>-summary-lengths-<length>.json.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/summary_lengths.py [--length standard] [PAGE ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.faithfulness import checks  # noqa: E402
from service.evaluation.report import save_figures  # noqa: E402
from service.page.ingest import read_file  # noqa: E402
from service.pipeline import Pipeline  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pages", nargs="*", help="page files (default: corpus/*.txt and corpus/pages/*.txt)")
    ap.add_argument("--length", choices=["standard", "short"], default="standard")
    ap.add_argument("--model")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    pages = [Path(p) for p in args.pages] or sorted(ROOT.glob("corpus/*.txt")) + sorted(ROOT.glob("corpus/pages/*.txt"))
    pipe = Pipeline(args.model, cache_path=None, summary_length=args.length, log=lambda m: print(m, file=sys.stderr))
    t0 = time.perf_counter()
    rows = []
    for page in pages:
        doc = read_file(page)
        items = pipe.preprocess(doc)
        for d in pipe.generator.run(items, [pipe.repair.summary_followup], roles={"summary"}):
            if not d.item.paragraphs:
                continue
            first = d.first_summary
            before = [p.kind for p in checks.summary_problems(d, first)]
            after = [p.kind for p in checks.summary_problems(d, d.summary)]
            rows.append({"page": page.name, "index": d.item.index, "headline": d.item.headline,
                         "first": first, "summary": d.summary, "retried": bool(d.of("summary_retry")),
                         "kept_retry": d.summary_revised is not None, "problems_first": before,
                         "problems_final": after})
            print(f"{page.name} #{d.item.index}: {before} -> {after}: {d.summary}", file=sys.stderr)
    n = len(rows)

    def share(key: str, kind: str) -> float:
        return round(100 * sum(kind not in r[key] for r in rows) / n, 1) if n else 0.0

    def broken(kind: str) -> dict:
        return {"first": sum(kind in r["problems_first"] for r in rows),
                "final": sum(kind in r["problems_final"] for r in rows)}

    result = {
        "model": pipe.model_name, "runtime": pipe.runtime, "summary_length": args.length,
        "prompt_version": pipe.prompt_version(), "pages": [p.name for p in pages], "summaries": n,
        "seconds": round(time.perf_counter() - t0, 1),
        "within_length_pct": {"first": share("problems_first", "summary_length"),
                              "final": share("problems_final", "summary_length")},
        "ocr_copied": broken("summary_ocr_copied"),
        "restated_headline": broken("summary_repeats_headline"),
        "problems": {k: broken(k) for k in sorted({k for r in rows for k in r["problems_first"] + r["problems_final"]})},
        "retried": sum(r["retried"] for r in rows), "kept_retry": sum(r["kept_retry"] for r in rows),
        "summaries_by_page": rows,
    }
    save_figures(result, args.out, f"summary-lengths-{args.length}", "summaries_by_page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
