"""Page segmentation: OCR page text in, articles (items) out.

Two steps, both keeping character offsets into the original text:
1. `repair_lines` joins lines that were broken at column and page breaks (a line that stops mid-sentence and
   the line that continues it) and keeps real paragraph breaks. It only joins: it never inserts or removes
   characters other than the line break itself.
2. `segment` groups the repaired paragraphs into items: headline lines, a dateline and byline such as
   `本报讯(融媒记者 俞梦婷)`, body paragraphs and photo credits ending in `摄`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Characters that may end a complete paragraph.
_TERMINAL = "。！？!?…；;：:”’」』\"'）)】]》>"
# Dateline + byline at the start of a story: 本报讯(融媒记者 俞梦婷) / 据新华社北京12月1日电(记者 …)
_DATELINE = re.compile(
    r"^(?P<dateline>本报讯|本报[\u4e00-\u9fff]{0,8}讯|(?:据)?(?:新华社|中新社|人民日报)[^\s(（]{0,16}?电)"
    r"\s*(?:[(（](?P<byline>[^()（）]{1,60})[)）])?"
)
# A photo credit line: 融媒记者 王均铮 通讯员 陈威武 摄
_CREDIT = re.compile(r"^[^。！？!?]{2,60}\s*摄$")
_ROLES = {
    "融媒记者": "reporter",
    "记者": "reporter",
    "本报记者": "reporter",
    "通讯员": "correspondent",
    "实习生": "intern",
    "摄影": "photographer",
}
HEADLINE_MAX = 60  # characters; longer blocks without final punctuation are body text broken at a column
BROKEN_MIN = 30  # a block this long that stops mid-sentence continues in the next block


@dataclass
class Block:
    """A paragraph after line repair: its text and the original lines it came from."""

    text: str
    start: int  # offset of its first character in the original text
    end: int  # offset just past its last character
    joins: list[int] = field(default_factory=list)  # original offsets where a line break was removed
    pieces: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, original offset) per line

    def orig(self, k: int) -> int:
        """Original-text offset of character k of this block's text."""
        at, base = max(((t, o) for t, o in self.pieces if t <= k), default=(0, self.start))
        return base + (k - at)


@dataclass
class Person:
    name: str
    role: str

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role}


@dataclass
class Item:
    """One article, photo item or brief on a page."""

    index: int
    kind: str  # news | photo | other
    headline: str
    paragraphs: list[str]
    span: tuple[int, int]
    dateline: str = ""
    byline: str = ""
    people: list[Person] = field(default_factory=list)
    subheads: list[str] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    # each paragraph's block and the number of leading block characters cut from it (a dateline)
    sources: list[tuple[Block, int]] = field(default_factory=list, repr=False)

    def locate(self, paragraph: int, start: int, end: int) -> list[int]:
        """Original-text span of characters [start, end) of a paragraph."""
        block, cut = self.sources[paragraph]
        return [block.orig(start + cut), block.orig(max(start, end - 1) + cut) + (1 if end > start else 0)]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "kind": self.kind,
            "headline": self.headline,
            "subheads": self.subheads,
            "dateline": self.dateline,
            "byline": self.byline,
            "people": [p.as_dict() for p in self.people],
            "paragraphs": self.paragraphs,
            "text": self.text,
            "span": list(self.span),
        }


def _lines(text: str) -> list[tuple[str, int]]:
    """Non-blank lines with their start offsets; surrounding spaces trimmed (offsets adjusted)."""
    out = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if stripped:
            out.append((stripped, pos + (len(body) - len(body.lstrip()))))
        pos += len(raw)
    return out


def _is_credit(s: str) -> bool:
    return bool(_CREDIT.match(s)) and len(s) <= 60


def _looks_complete(s: str) -> bool:
    return s[-1] in _TERMINAL


def _continues(prev: str, nxt: str) -> bool:
    """Was the break between these two lines made by the layout, mid-sentence?"""
    if _looks_complete(prev) or _is_credit(prev) or len(prev) < BROKEN_MIN:
        return False
    if _DATELINE.match(nxt):
        return False
    return True


def repair_lines(text: str) -> list[Block]:
    blocks: list[Block] = []
    for line, start in _lines(text):
        if blocks and _continues(blocks[-1].text, line):
            b = blocks[-1]
            b.joins.append(b.end)
            b.pieces.append((len(b.text), start))
            b.text += line  # Chinese text: no space at the join
            b.end = start + len(line)
        else:
            blocks.append(Block(line, start, start + len(line), pieces=[(0, start)]))
    return blocks


def _is_headline(b: Block) -> bool:
    s = b.text
    return len(s) <= HEADLINE_MAX and not _looks_complete(s) and not _is_credit(s) and not _DATELINE.match(s)


def parse_people(byline: str) -> list[Person]:
    """`融媒记者 桂荣超 王均铮` -> two reporters; `通讯员 陈威武` -> a correspondent; in a credit ending in 摄
    everyone named is a photographer."""
    photo = byline.rstrip().endswith("摄")
    words = re.split(r"[\s、，,]+", byline.rstrip().removesuffix("摄"))
    people, role = [], "reporter"
    for w in words:
        matched = next((r for r in sorted(_ROLES, key=len, reverse=True) if w.startswith(r)), None)
        if matched:
            role = _ROLES[matched]
            w = w[len(matched):]
        if w:
            people.append(Person(w, "photographer" if photo else role))
    return people


def segment(text: str) -> list[Item]:
    blocks = repair_lines(text)
    items: list[Item] = []
    i = 0
    while i < len(blocks):
        heads: list[Block] = []
        while i < len(blocks) and _is_headline(blocks[i]) and not _DATELINE.match(blocks[i].text):
            heads.append(blocks[i])
            i += 1
        body: list[Block] = []
        while i < len(blocks) and not (_is_headline(blocks[i]) and body):
            body.append(blocks[i])
            i += 1
        if not heads and not body:
            break
        items.append(_make_item(len(items), heads, body))
    return items


def _make_item(index: int, heads: list[Block], body: list[Block]) -> Item:
    all_blocks = heads + body
    span = (all_blocks[0].start, all_blocks[-1].end)
    paragraphs = [b.text for b in body]
    headline = " ".join(h.text for h in heads[:1])
    subheads = [h.text for h in heads[1:]]
    item = Item(index=index, kind="other", headline=headline, subheads=subheads, paragraphs=paragraphs, span=span,
                sources=[(b, 0) for b in body])
    if paragraphs and (m := _DATELINE.match(paragraphs[0])):
        item.kind = "news"
        item.dateline = m.group("dateline")
        item.byline = (m.group("byline") or "").strip()
        item.people = parse_people(item.byline)
        after = paragraphs[0][m.end():]
        rest = after.strip()
        cut = m.end() + (len(after) - len(after.lstrip()))
        item.paragraphs = ([rest] if rest else []) + paragraphs[1:]
        item.sources = ([(body[0], cut)] if rest else []) + item.sources[1:]
    elif paragraphs and _is_credit(paragraphs[-1]):
        item.kind = "photo"
        item.byline = paragraphs[-1]
        item.people = parse_people(item.byline)
        item.paragraphs = paragraphs[:-1]
        item.sources = item.sources[:-1]
    return item
