"""Segmentation measured against gold annotations (`newsdesk segment-eval`).

A gold file (`corpus/gold/<stem>.json`) lists a page's items in order, each with `kind`, `kicker`, `headline`,
`subheads`, `dateline`, `byline`, `people` [{name, role}], `paragraphs` (after line repair, dateline and byline
cut off) and `span` (character offsets into the page), brief items under `items`; and `joins`, the offsets of the
line starts that continue the line before (a break made by the layout, to be removed by line repair).

Figures, per page and over all pages (micro-averaged: counts are summed before dividing):
- boundary P/R/F1: an item boundary is the start offset of an article, picture, brief or brief item (furniture
  not counted); a predicted start is right when a gold item starts at exactly that offset;
- headline: gold items whose predicted item (same start) has exactly the same headline string;
- heading: the same for the whole heading (kicker, headline and subheads);
- byline fields: dateline, byline and people (names and roles) of every gold news/photo item, each field exact;
- kind: gold items whose predicted item has the same kind;
- body: gold items whose paragraphs come out exactly the same;
- line joins: every break between two text lines is either a join (made by the layout) or a real break; accuracy
  over all of them, and separately the share of joins made and of real breaks kept;
- furniture P/R: headers, footers and continuation markers found, by exact span;
- OCR flags: defects listed in the gold (`ocr_defects`: kind, span, found, expected) against the ocr_* flags,
  by kind and exact span; every other flag is a false alarm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from service.page.segment import SKIP_KINDS, join_lines, segment

FIELDS = ("dateline", "byline", "people")


def _units(items: list[dict]) -> list[dict]:
    """Items that count as boundaries: everything but furniture, plus the short items inside briefs."""
    out = []
    for it in items:
        if it["kind"] in SKIP_KINDS:
            continue
        out.append(it)
        out += [dict(sub, kind="brief_item") for sub in it.get("items", [])]
    return out


def _people(it: dict) -> list[tuple[str, str]]:
    return [(p["name"], p["role"]) for p in it.get("people", [])]


def _heading(it: dict) -> tuple:
    return it.get("kicker", ""), it.get("headline", ""), tuple(it.get("subheads", []))


def _line_breaks(text: str, furniture: list[tuple[int, int]]) -> list[int]:
    """Start offsets of the text lines after the first (lines that are wholly furniture left out)."""
    starts, pos = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        s = body.strip(" \t\u3000\u00a0")
        if s:
            a = pos + len(body) - len(body.lstrip(" \t\u3000\u00a0"))
            if not any(fa <= a and a + len(s) <= fb for fa, fb in furniture):
                starts.append(a)
        pos += len(raw)
    return starts[1:]


@dataclass
class Counts:
    gold_units: int = 0
    pred_units: int = 0
    matched: int = 0
    headline_ok: int = 0
    heading_ok: int = 0
    kind_ok: int = 0
    body_ok: int = 0
    byline_total: int = 0
    byline_ok: int = 0
    field_ok: dict = field(default_factory=lambda: {f: 0 for f in FIELDS})
    field_total: int = 0  # news/photo units (each has all three fields)
    breaks: int = 0
    breaks_ok: int = 0
    joins_gold: int = 0
    joins_made: int = 0
    keeps_gold: int = 0
    keeps_kept: int = 0
    furn_gold: int = 0
    furn_pred: int = 0
    furn_ok: int = 0
    ocr_gold: int = 0
    ocr_pred: int = 0
    ocr_ok: int = 0  # right kind and span
    ocr_suggestion_ok: int = 0  # ... and the right suggested reading
    errors: list = field(default_factory=list)

    def add(self, o: "Counts") -> None:
        for k, v in vars(o).items():
            if k == "field_ok":
                for f in FIELDS:
                    self.field_ok[f] += v[f]
            elif k == "errors":
                self.errors += v
            else:
                setattr(self, k, getattr(self, k) + v)

    def figures(self) -> dict:
        def div(a, b):
            return round(a / b, 4) if b else None

        p, r = div(self.matched, self.pred_units), div(self.matched, self.gold_units)
        f1 = round(2 * p * r / (p + r), 4) if p and r else 0.0
        return {
            "items_gold": self.gold_units, "items_pred": self.pred_units,
            "boundary_precision": p, "boundary_recall": r, "boundary_f1": f1,
            "headline_exact": div(self.headline_ok, self.gold_units),
            "heading_exact": div(self.heading_ok, self.gold_units),
            "kind_accuracy": div(self.kind_ok, self.gold_units),
            "body_exact": div(self.body_ok, self.gold_units),
            "byline_field_accuracy": div(self.byline_ok, self.byline_total),
            **{f"{f}_accuracy": div(self.field_ok[f], self.field_total) for f in FIELDS},
            "line_breaks": self.breaks,
            "join_accuracy": div(self.breaks_ok, self.breaks),
            "joins_made": div(self.joins_made, self.joins_gold),
            "breaks_kept": div(self.keeps_kept, self.keeps_gold),
            "furniture_precision": div(self.furn_ok, self.furn_pred),
            "furniture_recall": div(self.furn_ok, self.furn_gold),
            "ocr_flags_gold": self.ocr_gold, "ocr_flags": self.ocr_pred, "ocr_flags_right": self.ocr_ok,
            "ocr_false_alarms": self.ocr_pred - self.ocr_ok,
            "ocr_precision": div(self.ocr_ok, self.ocr_pred), "ocr_recall": div(self.ocr_ok, self.ocr_gold),
            "ocr_suggestions_right": self.ocr_suggestion_ok,
        }


def score_page(text: str, gold: dict, pred: list[dict] | None = None) -> Counts:
    """Compare the segmentation of `text` (or `pred`, a list of item dicts) with its gold annotation."""
    if pred is None:
        pred = [it.as_dict() for it in segment(text)]
    c = Counts()
    g_units, p_units = _units(gold["items"]), _units(pred)
    by_start = {}
    for u in p_units:
        by_start.setdefault(u["span"][0], u)
    c.gold_units, c.pred_units = len(g_units), len(by_start)
    for g in g_units:
        p = by_start.get(g["span"][0])
        where = f"{g['span'][0]}: {g.get('headline') or g['paragraphs'][0][:20] if g['paragraphs'] else ''}"
        if p is None:
            c.errors.append(f"missed item at {where}")
        else:
            c.matched += 1
            c.headline_ok += p.get("headline", "") == g.get("headline", "")
            c.heading_ok += _heading(p) == _heading(g)
            c.kind_ok += p["kind"] == g["kind"]
            c.body_ok += p["paragraphs"] == g["paragraphs"]
            for name, ok in (("headline", p.get("headline", "") == g.get("headline", "")),
                             ("kind", p["kind"] == g["kind"]), ("body", p["paragraphs"] == g["paragraphs"])):
                if not ok:
                    got = p.get("paragraphs" if name == "body" else name)
                    c.errors.append(f"{name} differs at {where}: {got!r:.80}")
        if g["kind"] in ("news", "photo", "brief_item"):
            c.field_total += 1
            c.byline_total += len(FIELDS)
            for f in FIELDS:
                ok = p is not None and (_people(p) == _people(g) if f == "people" else p.get(f, "") == g.get(f, ""))
                c.field_ok[f] += ok
                c.byline_ok += ok
                if p is not None and not ok:
                    c.errors.append(f"{f} differs at {where}: {p.get(f)!r} (gold {g.get(f)!r})")
    starts = {u["span"][0] for u in g_units}
    c.errors += [f"extra item at {s}: {u.get('headline')!r}" for s, u in by_start.items() if s not in starts]
    # line joins
    g_furn = [tuple(it["span"]) for it in gold["items"] if it["kind"] in SKIP_KINDS]
    breaks = _line_breaks(text, g_furn)
    gold_joins = set(gold.get("joins", []))
    pred_joins = {j for b in join_lines(text) for j in b.joins}
    for s in breaks:
        should, made = s in gold_joins, s in pred_joins
        c.breaks += 1
        c.breaks_ok += should == made
        if should:
            c.joins_gold += 1
            c.joins_made += made
        else:
            c.keeps_gold += 1
            c.keeps_kept += not made
        if should != made:
            c.errors.append(f"line at {s}: {'not joined' if should else 'joined'}, should {'' if should else 'not '}be")
    # furniture
    p_furn = {tuple(it["span"]) for it in pred if it["kind"] in SKIP_KINDS}
    c.furn_gold, c.furn_pred, c.furn_ok = len(g_furn), len(p_furn), len(set(g_furn) & p_furn)
    # OCR defect flags
    g_ocr = {("ocr_" + d["kind"], tuple(d["span"])): d for d in gold.get("ocr_defects", [])}
    p_ocr = {(f["kind"], tuple(f["span"])): f for it in pred for f in it.get("flags", [])
             if f["kind"].startswith("ocr_")}
    c.ocr_gold, c.ocr_pred = len(g_ocr), len(p_ocr)
    for key, f in p_ocr.items():
        if key in g_ocr:
            c.ocr_ok += 1
            c.ocr_suggestion_ok += f.get("expected") == g_ocr[key]["expected"]
        else:
            c.errors.append(f"OCR flag at {key[1][0]}: {key[0]} {f.get('found')!r} is a false alarm")
    c.errors += [f"OCR defect at {k[1][0]} not flagged: {d['found']!r}" for k, d in g_ocr.items() if k not in p_ocr]
    return c


def gold_path(page: Path, gold_dir: Path) -> Path:
    return gold_dir / f"{page.stem}.json"


def pages_with_gold(gold_dir: Path) -> list[Path]:
    """The pages named in the gold files (`page`, relative to the corpus directory above gold/)."""
    out = []
    for g in sorted(gold_dir.glob("*.json")):
        page = json.loads(g.read_text(encoding="utf-8")).get("page")
        if page:
            out.append(gold_dir.parent / page)
    return out


def score_pages(pages: list[Path], gold_dir: Path) -> dict:
    from service.page.ingest import read_file

    result = {"pages": [], "overall": None}
    total = Counts()
    for page in pages:
        gp = gold_path(page, gold_dir)
        gold = json.loads(gp.read_text(encoding="utf-8"))
        text = read_file(page).text
        c = score_page(text, gold)
        total.add(c)
        result["pages"].append({"page": str(page), "gold": str(gp), "shape": gold.get("shape", ""),
                                **c.figures(), "errors": c.errors})
    result["overall"] = total.figures()
    return result
