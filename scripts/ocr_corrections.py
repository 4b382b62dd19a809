#!/usr/bin/env python3
"""OCR corrections applied to the text the model reads, and whether each is right (issue 12).

Lists every correction the OCR step applies on the development pages (the seed page and corpus/pages/page*.txt)
and every OCR flag it leaves as a flag only, each with its context in the file and a verdict judged by reading
that context (VERDICTS below). Then counts the same on clean text (typeset, not OCR: pku-news-raw, which the
rules were developed on, and WMT17/18 and TICO-19 Chinese, held out), cut into pages of 40 lines, where every
correction is wrong unless the source has a typo there (CLEAN_VERDICTS). Writes the figures and the per-item
verdicts to bench/results/20261202-ocr-corrections.json.

With `--model` the OCR step also asks the embedded model about dropped characters (ocr.weigh_dropped), as
`newsdesk batch` does; without it, the page's evidence alone decides, as `newsdesk segment` does. Each dropped
character is printed with the model's log-probability gain for the corrected sentence.

    python scripts/ocr_corrections.py [--out PATH] [--no-clean] [--model]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.page import segment as _segment  # noqa: E402

WEIGH = None  # the model's score, with --model


def segment(text: str):
    return _segment.segment(text, weigh=WEIGH)


def gain(f: dict) -> str:
    """The model's log-probability gain for a dropped character's correction, as its flag says it."""
    import re

    m = re.search(r"here ([+-][0-9.]+)", f["message"]) or re.search(r"log-probability ([+-][0-9.]+)", f["message"])
    return m.group(1) if m else ""

PAGES = [ROOT / "corpus" / "000_fd4f6e000473b793.txt", *sorted((ROOT / "corpus" / "pages").glob("page*.txt"))]
EVAL = ROOT.parent / "shared" / "eval-data"
CLEAN = {
    "pku-news-raw (development)": EVAL / "pku-news-raw" / "pku_test.utf8",
    "wmt newstest2017 zh (held out)": EVAL / "wmt-newstest2017-2018-zh-en" / "newstest2017.zh",
    "wmt newstest2018 zh (held out)": EVAL / "wmt-newstest2017-2018-zh-en" / "newstest2018.zh",
    "tico19 test zh (held out)": EVAL / "tico19-test-zh-en" / "tico19-test.zh",
    "flores200 dev zh (held out)": EVAL / "flores200-dev-zh-en" / "zho_Hans.dev",
}
OUT = ROOT / "bench" / "results" / "20261202-ocr-corrections.json"

# (page, kind, found, span start) -> (verdict, why), judged by reading the context. For a flag left as a flag,
# the verdict says whether its suggested reading is right (a right one is a correction missed).
VERDICTS = {
    ("000_fd4f6e000473b793.txt", "ocr_swapped", "金五", 731):
        ("right", "辐射强劲的金五产品制造和集散中心: the page writes 五金 seven times (五金产业集群, 五金制品, 中国五金物流港); "
                  "金五产品 is no word, 五金产品 (hardware products) is what Yongkang makes"),
    ("000_fd4f6e000473b793.txt", "ocr_doubled", "出海口口", 999):
        ("right", "享受家门口即出海口口的便利: 'the convenience of the port of export at the doorstep'; 口口 is a doubled "
                  "glyph"),
    ("000_fd4f6e000473b793.txt", "ocr_dropped", "安管理", 212):
        ("right", "全员参与的安管理新格局: the project is a workplace-safety (SCORE) one, 安全管理 (safety management)"),
    ("000_fd4f6e000473b793.txt", "ocr_dropped", "安管理", 278):
        ("right", "安管理机制更加顺畅高效: the same 安全管理"),
    ("000_fd4f6e000473b793.txt", "ocr_dropped", "安管理", 363):
        ("right", "授企业以安管理之渔: the same 安全管理"),
}
# On clean text a correction is wrong unless the source has a typo there: (set, found, line text piece) -> why
CLEAN_VERDICTS = {
    "运动员员": ("right", "a typo in the WMT18 source: “许多田径运动员员，无论他们是否为苏格兰人…” ('many athletes')"),
    "品油": ("wrong", "“日本高品油” is 高品 + 油, 'Japanese high-quality oil' (the English reference); 高油品 is wrong"),
}


def context(text: str, span: list[int], n: int = 14) -> str:
    a, b = span
    return f"{text[max(0, a - n):a]}[{text[a:b]}]{text[b:b + n]}".replace("\n", "⏎")


def dev_pages() -> dict:
    applied, flag_only = [], []
    chars = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        chars += len(text)
        for it in segment(text):
            for f in it.flags:
                if not f["kind"].startswith("ocr_"):
                    continue
                verdict, why = VERDICTS.get((page.name, f["kind"], f["found"], f["span"][0]), ("unjudged", ""))
                row = {"page": page.name, "item": it.index, "kind": f["kind"], "original": f["found"],
                       "corrected": f["expected"], "span": f["span"], "context": context(text, f["span"]),
                       "verdict": verdict, "why": why, "model_gain": gain(f)}
                if f["applied"]:
                    c = next(c for c in it.corrections if c["span"] == f["span"])
                    assert (c["original"], c["corrected"]) == (f["found"], f["expected"])
                    applied.append(row)
                else:
                    row["left_because"] = f["message"].rsplit("(", 1)[-1].rstrip(").")
                    flag_only.append(row)
    count = Counter(r["verdict"] for r in applied)
    return {
        "pages": [p.name for p in PAGES], "characters": chars,
        "applied": len(applied), "right": count["right"], "wrong": count["wrong"], "unjudged": count["unjudged"],
        "applied_by_kind": dict(Counter(r["kind"] for r in applied)),
        "flag_only": len(flag_only),
        "flag_only_right_suggestion": sum(r["verdict"] == "right" for r in flag_only),
        "flag_only_by_kind": dict(Counter(r["kind"] for r in flag_only)),
        "corrections": applied, "flags_only": flag_only,
    }


def clean_text() -> dict:
    out = {}
    for name, path in CLEAN.items():
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        flags, applied, rows, chars, dropped = Counter(), Counter(), [], 0, []
        for k in range(0, len(lines), 40):
            text = "\n\n".join(lines[k:k + 40])
            chars += len(text)
            for it in segment(text):
                for f in it.flags:
                    if not f["kind"].startswith("ocr_"):
                        continue
                    flags[f["kind"]] += 1
                    if f["kind"] == "ocr_dropped":
                        dropped.append({"original": f["found"], "corrected": f["expected"], "applied": f["applied"],
                                        "model_gain": gain(f), "context": context(text, f["span"])})
                    if f["applied"]:
                        applied[f["kind"]] += 1
                        verdict, why = CLEAN_VERDICTS.get(f["found"], ("wrong", "clean text: not an OCR defect"))
                        rows.append({"kind": f["kind"], "original": f["found"], "corrected": f["expected"],
                                     "context": context(text, f["span"]), "verdict": verdict, "why": why})
        out[name] = {"characters": chars, "flags": dict(flags), "applied": dict(applied),
                     "applied_right": sum(r["verdict"] == "right" for r in rows),
                     "applied_wrong": sum(r["verdict"] == "wrong" for r in rows), "corrections": rows,
                     "dropped": dropped}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--no-clean", action="store_true", help="development pages only")
    ap.add_argument("--model", action="store_true", help="let the embedded model weigh dropped characters")
    args = ap.parse_args()
    global WEIGH
    if args.model:
        from service.generation.backends import load
        from service.generation.registry import default_profile

        WEIGH = load(default_profile(), log=lambda m: None).score
    dev = dev_pages()
    print(f"Development pages ({len(dev['pages'])}, {dev['characters']} characters): {dev['applied']} corrections "
          f"applied, {dev['right']} right, {dev['wrong']} wrong, {dev['unjudged']} unjudged")
    for r in dev["corrections"]:
        print(f"  {r['verdict']:8} {r['page']} #{r['item']} {r['kind']:12} {r['original']} → {r['corrected']}  "
              f"{r['context']}")
    print(f"Left as flags only: {dev['flag_only']} ({dev['flag_only_right_suggestion']} with a right suggestion)")
    for r in dev["flags_only"]:
        print(f"  {r['verdict']:8} {r['page']} #{r['item']} {r['kind']:12} {r['original']} → {r['corrected']}  "
              f"{r['context']}  {r['model_gain']} ({r['left_because']})")
    clean = {} if args.no_clean else clean_text()
    for name, c in clean.items():
        print(f"Clean text, {name}: {c['characters']} characters, flags {c['flags']}, applied {c['applied']} "
              f"({c['applied_right']} right, {c['applied_wrong']} wrong)")
        for r in c["corrections"]:
            print(f"  {r['verdict']:8} {r['kind']:12} {r['original']} → {r['corrected']}  {r['context']}")
        for r in c["dropped"]:
            print(f"  dropped {'APPLIED' if r['applied'] else 'flag   '} {r['original']} → {r['corrected']}  "
                  f"{r['context']}  {r['model_gain']}")
    held_out = [c for name, c in clean.items() if "held out" in name]
    total = {"characters": sum(c["characters"] for c in held_out),
             "flags": sum(sum(c["flags"].values()) for c in held_out),
             "applied": sum(sum(c["applied"].values()) for c in held_out),
             "applied_right": sum(c["applied_right"] for c in held_out),
             "applied_wrong": sum(c["applied_wrong"] for c in held_out),
             "dropped_flags": sum(c["flags"].get("ocr_dropped", 0) for c in held_out),
             "dropped_applied": sum(c["applied"].get("ocr_dropped", 0) for c in held_out)}
    if held_out:
        print(f"Held-out clean text in all: {total}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    result = {"what": "OCR corrections applied to the text the model reads (service/page/ocr.py), judged one by one",
              "commit": commit, "model_weighs_dropped": bool(args.model), "development_pages": dev, "clean_text_held_out_total": total, "clean_text": clean}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"-> {args.out}")
    return 1 if dev["unjudged"] else 0


if __name__ == "__main__":
    sys.exit(main())
