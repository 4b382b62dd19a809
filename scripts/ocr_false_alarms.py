#!/usr/bin/env python3
"""Count OCR defect flags on clean text: pku-news-raw (People's Daily, typeset text, not OCR) cut into pages of 40
lines. Every flag there is a false alarm (or a typo in the source); prints each and the rate per 10,000 characters.

    python scripts/ocr_false_alarms.py [--raw PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.page.segment import segment  # noqa: E402

RAW = ROOT.parent / "shared" / "eval-data" / "pku-news-raw" / "pku_test.utf8"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", default=str(RAW))
    args = ap.parse_args()
    lines = Path(args.raw).read_text(encoding="utf-8").split("\n")
    n = chars = 0
    for k in range(0, len(lines), 40):
        text = "\n\n".join(lines[k:k + 40])
        chars += len(text)
        for it in segment(text):
            for f in it.flags:
                if f["kind"].startswith("ocr_"):
                    n += 1
                    a, b = f["span"]
                    print(f"{f['kind']:13} {f['found']} -> {f['expected']}   …{text[max(0, a - 8):b + 8]}…".replace("\n", " "))
    print(f"{n} OCR flags on {chars} characters of clean text ({n / chars * 10000:.2f} per 10,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
