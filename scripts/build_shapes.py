#!/usr/bin/env python3
"""Build pages of other layout shapes from the same People's Daily text, to measure segmentation on layouts it
was not tuned on (issue 13). Writes corpus/shapes/<shape>/pages/*.txt and corpus/shapes/<shape>/gold/*.json.

`scripts/build_pages.py` makes two shapes (one paragraph a line; hard-wrapped columns with a blank line only at
column breaks). Pages OCR'd from other papers look different, and a segmenter tuned on those two can take the
first line of a wrapped paragraph for a headline or miss a headline that follows a body line. The shapes here
vary what a reader uses to see the layout, one thing or a mix at a time:

  wrap_blank      wrapped at a fixed column width, a blank line between all paragraphs and items
  wrap_tight      wrapped, no indentation, no blank line anywhere: a headline follows the last body line
  wrap_indent     wrapped, paragraphs indented, no blank lines between paragraphs, seldom between items
  wrap_mixed      wrapped, blank lines between paragraphs and items sometimes, indentation chosen per page
  wrap_chars      as wrap_mixed without indentation, cut every N characters (digits and Latin letters count
                  as one, as a plain-text export counts them) with no 避头/避尾 rules: a comma may start a line
  heads_multi     as wrap_mixed, headlines of two or three lines: kicker (引题), headline, subhead (副题)
  byline_line     as wrap_mixed, the byline on a line of its own under the headline (本报记者 张三)
  furniture_mid   as wrap_mixed, page furniture (版次, date, 责任编辑) between articles, not only at the edges
  no_dateline     as wrap_mixed, most stories without a dateline or byline: only the layout shows the headline
  lines_tight     one paragraph a line, no blank lines, paragraphs sometimes cut at a column break

Column widths are drawn per page from 12-26 characters (digits and Latin letters count half). Articles, noise
(half-width punctuation, dropped quotation marks) and the dateline/byline gold grammar come from build_pages.py.
The gold is written from the construction in the same format as corpus/gold (see corpus/README.md), with
`shape` set to the shape's name. Everything comes from one seeded generator per shape: the same source gives the
same pages, byte for byte; other seeds (--seed) give other pages of the same shapes.

    python scripts/build_shapes.py                       # corpus/shapes/<shape>/{pages,gold}
    python scripts/build_shapes.py --seed 7 --out /tmp/shapes7
    newsdesk segment-eval --gold corpus/shapes/wrap_tight/gold
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_pages as bp

SEED = 13
PAGES_PER_SHAPE = 6


@dataclass
class Shape:
    wrap: bool = True
    indent: tuple[str, ...] = ("", "　　", "  ")  # one drawn per page
    para_gap: float = 0.0  # chance of a blank line between two paragraphs
    item_gap: float = 0.0  # chance of a blank line before an item
    head_gap: float = 0.0  # chance of a blank line between the headline lines and the body
    multi_heads: float = 0.0  # chance of a kicker (and subhead) on a news item
    byline_line: float = 0.0  # chance that the byline stands on a line of its own
    furniture_mid: float = 0.0  # chance of page furniture before an item
    cut: float = 0.0  # unwrapped: chance that a long paragraph is cut at a column break
    no_dateline: float = 0.0  # chance that a story has no dateline (a feature, a local paper's story)
    chars: bool = False  # wrap at a number of characters (every character one unit), no 避头/避尾 rules


SHAPES = {
    "wrap_blank": Shape(para_gap=1.0, item_gap=1.0, head_gap=0.5),
    "wrap_tight": Shape(indent=("",)),
    "wrap_indent": Shape(indent=("　　", "  "), item_gap=0.3),
    "wrap_mixed": Shape(para_gap=0.5, item_gap=0.5, head_gap=0.5),
    "wrap_chars": Shape(indent=("",), para_gap=0.5, item_gap=0.5, head_gap=0.5, chars=True),
    "heads_multi": Shape(para_gap=0.5, item_gap=0.5, head_gap=0.5, multi_heads=0.8),
    "byline_line": Shape(para_gap=0.5, item_gap=0.5, head_gap=0.3, byline_line=0.8),
    "furniture_mid": Shape(para_gap=0.5, item_gap=0.5, head_gap=0.5, furniture_mid=0.5),
    "no_dateline": Shape(para_gap=0.3, item_gap=0.5, head_gap=0.3, no_dateline=0.6),
    "lines_tight": Shape(wrap=False, indent=("",), cut=0.3),
}

# Kickers and dashed subheads are not in the source (its articles have one or two headline lines); these are
# written in the style of the paper's 引题 and 副题, unrelated to the story, which the segmenter cannot check.
KICKERS = ["迎接新世纪", "新世纪 新气象", "西部大开发巡礼", "来自基层的报告", "关注春运", "经济热点透视",
           "一线传真", "新春走基层", "聚焦农村改革", "今日关注", "科技创新在行动", "百姓身边事"]
SUBHEADS = ["——来自基层的报道", "——记者见闻", "——新年走访记", "——一个县的调查", "——各地新闻综述",
            "——访问归来话感受"]


@dataclass
class Writer(bp.LineSink):
    """Writes lines and blank lines, keeping the offset of everything and the line starts that are joins."""

    wrap: bool
    chars: bool
    cols: int
    indent: str
    rng: random.Random
    out: list[str] = field(default_factory=list)
    pos: int = 0
    joins: list[int] = field(default_factory=list)
    started: bool = False

    def line(self, text: str, prefix: str = "", join: bool = False) -> tuple[int, int]:
        start = self.put(text, prefix, join)
        self.started = True
        return start, start + len(text)

    def gap(self, chance: float) -> None:
        if self.started and self.rng.random() < chance:
            self.raw("\n")

    def paragraph(self, text: str, cut: float = 0.0) -> tuple[int, int]:
        if not self.wrap:
            pieces = [text]
            if len(text) > 60 and self.rng.random() < cut:  # a column break mid-sentence
                k = self.rng.randrange(3, len(text) - 3)
                while k < len(text) - 1 and (text[k] in bp.NO_LINE_START or text[k - 1] in bp.NO_LINE_END):
                    k += 1
                pieces = [text[:k], text[k:]]
        elif self.chars:
            first = self.cols - len(self.indent) // (1 if self.indent.startswith("　") else 2)
            pieces = [text[:first]] + [text[k:k + self.cols] for k in range(first, len(text), self.cols)]
        else:
            pieces = bp.wrap(text, self.cols, self.indent)
        start = end = 0
        for k, piece in enumerate(pieces):
            s, _ = self.line(piece, prefix=self.indent if k == 0 and self.wrap else "", join=k > 0)
            start = s if k == 0 else start
            end = s + len(piece)
        return start, end

    def text(self) -> str:
        return "".join(self.out)


def byline_line(byline: str, dateline: str) -> str:
    """The byline of a dateline (记者李超碧、晏明 / 新华社记者秦杰、本报记者赵川东) as a line of its own:
    names separated by spaces, a bare 记者 given its agency as the paper prints it (本报记者 / 新华社记者)."""
    s = re.sub(r"\s*、\s*", "　", byline.strip())
    if s.startswith("记者"):
        s = ("新华社" if "新华社" in dateline else "本报") + s
    return re.sub(r"((?:本报|新华社)?记者|通讯员)\s*", r"\1　", s)


class ShapePage:
    def __init__(self, rng: random.Random, shape: Shape, name: str, page_no: int, day: int):
        self.rng, self.shape, self.name = rng, shape, name
        self.page_no, self.day = page_no, day
        cols = rng.randint(12, 26)
        self.w = Writer(shape.wrap, shape.chars, cols if shape.wrap else 0, rng.choice(shape.indent), rng)
        half = {k: v for g in bp.HALF_GROUPS if rng.random() < 0.6 for k, v in g.items()}
        self.noise = bp.Noise(half, rng.choice([0.0, 0.3, 0.6]))
        self.items: list[dict] = []

    def n(self, s: str) -> str:
        return self.noise.apply(s, self.rng)

    def record(self, kind: str, span: list[int], **kw) -> dict:
        rec = {"kind": kind, "kicker": "", "headline": "", "subheads": [], "dateline": "", "byline": "",
               "people": [], "paragraphs": [], "span": span}
        rec.update(kw)
        self.items.append(rec)
        return rec

    def furniture(self, lines: list[str]) -> None:
        for text in lines:
            s, e = self.w.line(text)
            self.record("furniture", [s, e], paragraphs=[text])

    def heads(self, lines: list[str]) -> int:
        start = None
        for h in lines:
            s, _ = self.w.line(h)
            start = s if start is None else start
        self.w.gap(self.shape.head_gap)
        return start

    def news(self, a: bp.Article) -> None:
        heads = [self.n(h) for h in a.heads]
        kicker, subheads = "", heads[1:]
        if self.rng.random() < self.shape.multi_heads:
            kicker = self.rng.choice(KICKERS)
            if len(heads) == 1:  # kicker, headline and a dashed subhead; two plain lines read headline/subhead
                subheads = [self.rng.choice(SUBHEADS)]
        lines = ([kicker] if kicker else []) + heads[:1] + subheads
        start = self.heads(lines)
        paras = [self.n(p) for p in a.paras]
        k0 = 1 if a.note else 0
        dateline, byline, people, cut = bp.parse_dateline(paras[k0])
        own = ""
        if self.rng.random() < self.shape.no_dateline and paras[k0][cut:]:
            paras[k0] = paras[k0][cut:]
            dateline, byline, people, cut = "", "", [], 0
        if byline and self.rng.random() < self.shape.byline_line and re.search(r"记者", byline):
            own = byline_line(byline, dateline)
            paras[k0] = dateline + paras[k0][cut:]
            cut = len(dateline)
            byline, people = own, bp.gold_people(own)
        rec = self.record("news", [start, 0], kicker=kicker, headline=heads[0], subheads=subheads,
                          dateline=dateline, byline=byline, people=people)
        if own and not a.note:
            self.w.line(own)
        end = 0
        for k, p in enumerate(paras):
            if k:
                self.w.gap(self.shape.para_gap)
            if own and a.note and k == k0:
                self.w.line(own)
            _, end = self.w.paragraph(p, self.shape.cut)
            text = p[cut:] if k == k0 else p
            if text:
                rec["paragraphs"].append(text)
        rec["span"][1] = end

    def photo(self, a: bp.Article) -> None:
        heads = [self.n(h) for h in a.heads]
        start = self.heads(heads)
        paras, credit, end = [], "", 0
        for k, c in enumerate(self.n(c) for c in a.paras):
            if k:
                self.w.gap(self.shape.para_gap)
            _, end = self.w.paragraph(c, self.shape.cut)
            m = re.search(r"[(（]([^()（）]{2,20}摄)[)）]$", c)
            if m:
                credit, c = m.group(1), c[:m.start()]
            paras.append(c)
        if a.credit:
            cr = self.n(a.credit)
            _, end = self.w.line(cr)
            credit = cr[1:-1]
        self.record("photo", [start, end], headline=heads[0], subheads=heads[1:], byline=credit,
                    people=bp.gold_people(credit, photo=True), paragraphs=paras)

    def build(self, plan: list[bp.Article]) -> tuple[str, dict]:
        self.furniture(bp.furniture_lines(self.rng, self.page_no, self.day, top=True))
        self.w.gap(self.shape.item_gap)
        for k, a in enumerate(plan):
            if k:
                self.w.gap(self.shape.item_gap)
                if self.rng.random() < self.shape.furniture_mid:
                    self.furniture(self.rng.choice([[f"责任编辑：{self.rng.choice(bp.EDITORS)}"],
                                                    bp.furniture_lines(self.rng, self.page_no, self.day, True)]))
                    self.w.gap(self.shape.item_gap)
            (self.news if a.kind == "news" else self.photo)(a)
        foot = bp.furniture_lines(self.rng, self.page_no, self.day, top=False)
        if foot:
            self.w.gap(self.shape.item_gap)
        self.furniture(foot)
        self.items.sort(key=lambda x: x["span"][0])
        gold = {"shape": self.name, "source": "pku-news-raw (People's Daily, January 2001), built by "
                "scripts/build_shapes.py", "columns": self.w.cols or None,
                "indent": self.w.indent if self.w.wrap else None, "items": self.items, "joins": sorted(self.w.joins),
                "ocr_defects": []}
        return self.w.text(), gold


def plan_page(news: list[bp.Article], photos: list[bp.Article], rng: random.Random, multi: bool) -> list:
    """Five to eight items, about one in six a picture; for kicker pages, articles with two headline lines
    first (they give three-line headings with a kicker)."""
    plan = []
    for _ in range(rng.randint(5, 8)):
        if rng.random() < 0.17 and photos:
            plan.append(rng.choice(photos))
        else:
            pool = [a for a in news if len(a.heads) > 1] if multi and rng.random() < 0.5 else news
            a = rng.choice(pool)
            while a in plan:
                a = rng.choice(pool)
            plan.append(a)
    return plan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", default=str(bp.RAW), help="pku_test.utf8 (default: %(default)s)")
    ap.add_argument("--out", default=str(bp.ROOT / "corpus" / "shapes"), help="folder for <shape>/{pages,gold}")
    ap.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s: the committed pages)")
    ap.add_argument("--pages", type=int, default=PAGES_PER_SHAPE, help="pages per shape (default %(default)s)")
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES), help="only these shapes (default: all)")
    args = ap.parse_args(argv)
    raw = Path(args.raw)
    if not raw.is_file():
        print(f"build_shapes: {raw} not found; pass --raw PATH to pku_test.utf8", file=sys.stderr)
        return 2
    arts = bp.load_articles(raw.read_text(encoding="utf-8").split("\n"))
    news = [a for a in arts if a.kind == "news"]
    photos = [a for a in arts if a.kind == "photo"]
    for name, shape in SHAPES.items():
        if args.shape and name not in args.shape:
            continue
        rng = random.Random(f"{args.seed}:{name}")  # one generator per shape: adding a shape changes no other
        out = Path(args.out) / name
        (out / "pages").mkdir(parents=True, exist_ok=True)
        (out / "gold").mkdir(parents=True, exist_ok=True)
        for p in range(args.pages):
            plan = plan_page(news, photos, rng, multi=shape.multi_heads > 0)
            page = ShapePage(rng, shape, name, page_no=rng.randint(1, 12), day=rng.randint(1, 3))
            text, gold = page.build(plan)
            stem = f"{name}_{p + 1:02d}"
            gold["page"] = f"pages/{stem}.txt"
            gold["source_lines"] = [a.line for a in plan]
            (out / "pages" / f"{stem}.txt").write_text(text, encoding="utf-8", newline="\n")
            (out / "gold" / f"{stem}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n",
                                                       encoding="utf-8", newline="\n")
        print(f"{name}: {args.pages} pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
