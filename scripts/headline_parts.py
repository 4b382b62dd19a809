"""How the heading parts of real pages come out (the seed page and the dev pages in corpus/pages/): each part's
first English and the English that stands after the checks and repairs, the parts whose English states something
their verbless Chinese does not (`statement_added`, service/faithfulness/newsstyle.py) before and after the
repair, and the full stops taken off (headlines.as_headline). Headlines only (no body, no summary), the embedded
model unless --model; writes bench/results/<date>-headline-parts.json.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/headline_parts.py [PAGE ...]
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
    ap.add_argument("--model")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    pages = [Path(p) for p in args.pages] or sorted(ROOT.glob("corpus/*.txt")) + sorted(ROOT.glob("corpus/pages/*.txt"))
    pipe = Pipeline(args.model, cache_path=None, log=lambda m: print(m, file=sys.stderr))
    t0 = time.perf_counter()
    rows = []
    for page in pages:
        items = pipe.preprocess(read_file(page))
        for d in pipe.generator.run(items, [pipe.repair.followup], roles={"headline"}):
            shown = dict((p, en) for p, en in d.heading_en())
            for job, repairs in checks.passages(d):
                part = d.heading[job.seq[0]]
                first, final = job.result.text.strip(), d.text(job).strip()
                stated = [[f.found for f in checks.findings(d, job.source, text, pipe.repair.ctx)
                           if f.category == "statement"] for text in (first, final)]
                rows.append({"page": page.name, "index": d.item.index, "role": part.role, "zh": part.zh,
                             "first": first, "final": final, "shown": shown.get(part, final),
                             "repaired": bool(repairs), "statement_first": stated[0], "statement_final": stated[1]})
                print(f"{page.name} #{d.item.index} {part.role}: {part.zh} -> {rows[-1]['shown']}"
                      + (f"  [statement: {stated[0]} -> {stated[1]}]" if stated[0] else ""), file=sys.stderr)
    result = {
        "model": pipe.model_name, "runtime": pipe.runtime, "prompt_version": pipe.prompt_version(),
        "pages": [p.name for p in pages], "parts": len(rows), "seconds": round(time.perf_counter() - t0, 1),
        "statement_added": {"first": sum(bool(r["statement_first"]) for r in rows),
                            "final": sum(bool(r["statement_final"]) for r in rows)},
        "full_stop_removed": sum(r["final"] != r["shown"] for r in rows),
        "parts_by_page": rows,
    }
    save_figures(result, args.out, "headline-parts", "parts_by_page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
