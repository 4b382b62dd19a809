"""Page segmentation: OCR page text in, items (articles, pictures, briefs, page furniture) out.

Two steps, both keeping character offsets into the original text:

1. `join_lines` turns lines into paragraphs (`Block`s). It joins a line to the next one when the break was made
   by the layout (a column break in the middle of a sentence, or a hard-wrapped column) and keeps real paragraph
   breaks. It only removes line breaks and the spaces around them: it never inserts, changes or reorders
   characters, so `Block.orig(k)` maps every character back to the file. Page furniture (headers and footers with
   版次, date and 责任编辑; the continuation markers 下转第X版 / 上接第X版, also when they sit at the end or start
   of a text line) becomes blocks of its own, never part of a paragraph.

   Two page shapes are recognised from the line widths: (a) one paragraph a line, cut at column breaks (the seed
   page), and (b) hard-wrapped columns, where a line that fills the column continues in the next one unless the
   next line is indented or starts a new item.

2. `segment` groups the blocks into items: headline lines (kicker, headline, subheads), a dateline and byline such
   as `本报讯(融媒记者 俞梦婷)` or `新华社北京12月31日电（记者李超碧、晏明）`, body paragraphs, photo credits
   ending in 摄, briefs (several short items under one heading such as 简讯), and furniture.

Item kinds: news, photo, brief, editor_note, notice, ad, furniture. `SKIP_KINDS` (furniture) are not articles and
are not summarised or translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.chinese import UNIFIED, jieba
from service.flags import flag
from service.page import ocr
from service.page.names import Person, parse_people  # noqa: F401  (parse_people: part of this module's interface)

SKIP_KINDS = frozenset({"furniture"})

# --- character classes --------------------------------------------------------------------------------------
_STOPS = "。！？!?…；;"  # end a sentence
_CLOSERS = "”’」』\"'"
_NO_START = "，。、；：！？）》”’,.;:!?)%"  # a sentence or headline never starts with these
_NO_END = "（“‘《(—、，,"  # a complete line (headline or paragraph) never ends with these
_PARTICLES = "的了着过们地得么吗呢吧"  # a headline or paragraph hardly ever starts with these
_FUNCTION_END = "的和与及或在对把被将向从给于而并就都也还又是则"
_INDENT = " \t\u3000\u00a0"

_NUM = r"[0-9０-９一二三四五六七八九十〇○零]"
_OPENER = re.compile(
    rf"^(?:{_NUM}+年)?(?:{_NUM}+月)?{_NUM}+日(?:晚|上午|下午|凌晨|晨|夜)?[，,]"
    r"|^(?:今天|昨天|近日|日前|目前|不久前|近年来|近来|当天|当晚|此前|此外|同时|另外|随后|其中|据悉|据了解|据介绍"
    r"|与此同时|另据|今年|去年|截至[^，,]{0,12})[，,]")
# Dateline at the start of a story: 本报讯 / 本报北京1月1日讯 / 本报哈尔滨12月31日电 / (据)新华社金边12月31日电
# The place is a name: never 记者 or 的 (本报记者采写的通讯 is a sentence), and 通讯 is not 讯.
_DATELINE_HEAD = (
    rf"(?:本报讯|(?:据)?(?:本报|新华社|中新社|人民日报|央视|中央电视台)(?:(?!记者|的)[{UNIFIED}]){{0,12}}?"
    rf"(?:{_NUM}{{2,4}}年)?(?:{_NUM}{{1,2}}月{_NUM}{{1,3}}日)?(?:电|(?<!通)讯))"
)
_DATELINE = re.compile(
    rf"^(?P<dateline>{_DATELINE_HEAD})"
    r"(?:\s*[(（](?P<paren>[^()（）]{1,60})[)）]"
    rf"|\s*(?P<rep>(?:(?:新华社|本报|融媒|特约|驻[{UNIFIED}]{{1,6}})?记者|通讯员)[^，,。：:()（）]{{2,60}}?)报道\s*[:：])?"
)
# The same at the end of a story: （新华社北京12月31日电）
_CLOSING_DATELINE = re.compile(rf"^[(（](?P<dateline>{_DATELINE_HEAD})[)）]$")
# A photo credit: 融媒记者 王均铮 通讯员 陈威武 摄 / （新华社记者刘宇摄） / 图/张三
_CREDIT = re.compile(r"^[(（]?(?P<credit>[^()（）。！？!?，,]{2,40}?\s*(?<![拍航])摄(?:影)?)[)）]?$")
_INLINE_CREDIT = re.compile(r"[(（](?P<credit>[^()（）。！？!?，,]{2,30}?(?<![拍航])摄)[)）]$")
# A byline on a line of its own: 本报记者 张三 李四 / 记者 王五 通讯员 赵六
_BYLINE_LINE = re.compile(
    rf"^(?:(?:本报|新华社|融媒|特约)?记者|通讯员|实习生)\s*[{UNIFIED}·]{{2,4}}(?:[\s、]+(?:(?:本报|新华社|融媒|特约)?"
    rf"记者|通讯员|实习生)?\s*[{UNIFIED}·]{{2,4}})*$")
# Page furniture
_MARKER = re.compile(rf"[(（]\s*(?P<dir>下转|上接|转|接)\s*(?:第\s*)?(?P<page>{_NUM}{{1,3}})\s*版\s*[)）]")
_FURNITURE = [
    re.compile(rf"^第\s*{_NUM}{{1,3}}\s*版"),  # 第5版 要闻
    re.compile(rf"第\s*{_NUM}{{1,3}}\s*版\s*$"),
    re.compile(rf"(责任编辑|责编|美术编辑|美编|版式设计|校对|组版|值班编辑)\s*[:：]?\s*[{UNIFIED}]{{2,4}}"),
    re.compile(rf"^(\S+\s+)?{_NUM}{{4}}年{_NUM}{{1,2}}月{_NUM}{{1,2}}日\s*(星期|周)[一二三四五六日天]"),
]
_PAGE_NUMBER = re.compile(r"^\d{1,3}$")  # a page number alone on the first or last lines
_BRIEF_HEADING = re.compile(
    rf"^[{UNIFIED}]{{0,6}}(简讯|短讯|快讯|简报|速递|速览|集锦|一句话新闻|新闻超市|动态)$")
_EDITOR_HEADING = re.compile(r"^(编者按|编者的话|编后|编后语|编辑部的话|编者附言)[:：]?$")
_EDITOR_NOTE = re.compile(r"^(编者按|编者的话|编后|编后语)\s*[:：]")
_NOTICE_HEADING = re.compile(r"(公告|启事|通告|声明|告知书|公示|通知书|讣告)$")
_AD = re.compile(r"(广告|热线|咨询电话|订购电话|联系电话|报名电话)\s*[:：]?\s*[\d-]{7,}|^广\s*告$")

HEADLINE_MAX = 60  # characters; a longer block is body text


@dataclass
class Tuning:
    """The few numbers the layout rules use, in one place so that `scripts/shape_eval.py` can choose them on
    some page shapes and measure on a shape left out (leave-one-shape-out). The defaults are what it chooses
    with every shape in."""

    full_slack: int = 0  # width units (half a character) a line may fall short of the column and still be full
    wrapped_share: float = 0.45  # share of lines at the commonest width that makes a page hard-wrapped
    comma_clause: int = 14  # an unfinished line with a comma and more characters than this is a clause
    weak_share: float = 0.34  # at most this share of a page's headlines without evidence are column cuts


TUNING = Tuning()


_WIDE_ASCII = set(",;:!?()")  # OCR turns full-width punctuation into these; on the page they were full width


def width(s: str) -> int:
    """Width on the printed page: digits and Latin letters count 1, Chinese characters and punctuation 2."""
    return sum(1 if ord(c) < 0x2000 and c not in _WIDE_ASCII else 2 for c in s)


def word_across(left: str, right: str) -> str:
    """The dictionary word that spans the boundary between `left` and `right` (jieba, no HMM), or ''."""
    a, b = left[-6:], right[:6]
    if not a or not b:
        return ""
    pos = 0
    for w in jieba().cut(a + b, HMM=False):
        if pos < len(a) < pos + len(w) and len(w) >= 2:
            return w
        pos += len(w)
    return ""


# --- data ---------------------------------------------------------------------------------------------------
@dataclass
class Block:
    """A paragraph after line repair (or one piece of page furniture): its text and where it came from."""

    text: str
    start: int  # offset of its first character in the original text
    end: int  # offset just past its last character
    joins: list[int] = field(default_factory=list)  # original offsets of line starts joined to the line before
    pieces: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, original offset) per line
    furniture: str = ""  # header | continued_to | continued_from (furniture blocks only)
    indent: bool = False  # its first line was indented
    gap: int = 0  # blank lines before it

    def orig(self, k: int) -> int:
        """Original-text offset of character k of this block's text."""
        at, base = max(((t, o) for t, o in self.pieces if t <= k), default=(0, self.start))
        return base + (k - at)


@dataclass
class Item:
    """One article, picture, brief, notice or piece of page furniture on a page."""

    index: int
    kind: str  # news | photo | brief | editor_note | notice | ad | furniture
    headline: str
    paragraphs: list[str]
    span: tuple[int, int]
    dateline: str = ""
    byline: str = ""
    people: list[Person] = field(default_factory=list)
    subheads: list[str] = field(default_factory=list)
    kicker: str = ""
    flags: list[dict] = field(default_factory=list)
    items: list["Item"] = field(default_factory=list)  # a brief's short items
    # each paragraph's block and the number of leading block characters cut from it (a dateline)
    sources: list[tuple[Block, int]] = field(default_factory=list, repr=False)
    head_blocks: list[Block] = field(default_factory=list, repr=False)
    # OCR corrections applied to the text the model reads (ocr.py): {kind, original, corrected, span, evidence}
    corrections: list[dict] = field(default_factory=list)
    # the text as printed once a correction is applied ("kicker", "headline", "subheads", "paragraphs"): the
    # fields of those names above hold what the model reads
    printed: dict = field(default_factory=dict, repr=False)
    # per corrected paragraph, its edits (read start, read end, printed start, printed end), in order
    edits: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict, repr=False)

    def printed_span(self, paragraph: int, start: int, end: int) -> tuple[int, int]:
        """Characters [start, end) of a paragraph as read (after OCR corrections) -> the same characters in the
        paragraph as printed. A span that starts or ends inside a corrected stretch takes in all of it."""
        def back(k: int, side: str) -> int:
            shift = 0
            for r0, r1, o0, o1 in self.edits.get(paragraph, ()):
                if (k < r0) if side == "start" else (k <= r0):
                    break
                if (k < r1) if side == "start" else (k <= r1):
                    return o0 if side == "start" else o1
                shift = o1 - r1
            return k + shift
        a = back(start, "start")
        return a, (max(a, back(end, "end")) if end > start else a)

    def locate(self, paragraph: int, start: int, end: int) -> list[int]:
        """Original-text span of characters [start, end) of a paragraph as the model reads it (OCR corrections
        applied: see `printed_span`)."""
        block, cut = self.sources[paragraph]
        start, end = self.printed_span(paragraph, start, end)
        return [block.orig(start + cut), block.orig(max(start, end - 1) + cut) + (1 if end > start else 0)]

    def correct(self, paragraph: int | None, block: Block | None, fixes: list[tuple[int, int, str]]) -> None:
        """Apply OCR corrections to the text the model reads: `fixes` (start, end, new text) in printed offsets,
        not overlapping, to paragraph `paragraph` or to the heading line `block` (kicker, headline or subhead).
        The printed text stays in `printed`; `locate` keeps mapping onto the original file."""
        self.printed.setdefault("kicker", self.kicker)
        self.printed.setdefault("headline", self.headline)
        self.printed.setdefault("subheads", list(self.subheads))
        self.printed.setdefault("paragraphs", list(self.paragraphs))
        if paragraph is not None:
            text, edits = _rewrite(self.printed["paragraphs"][paragraph], fixes)
            self.paragraphs[paragraph] = text
            self.edits[paragraph] = edits
        elif block is not None:
            text, _ = _rewrite(block.text, fixes)
            if self.printed["kicker"] == block.text:
                self.kicker = text
            if self.printed["headline"] == block.text:
                self.headline = text
            self.subheads = [text if old == block.text else s
                             for s, old in zip(self.subheads, self.printed["subheads"])]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def whole(self) -> str:
        """Headings (kicker, headline, subheads) and body, a line each: everything the article says."""
        return "\n".join([self.kicker, self.headline, *self.subheads, self.text])

    def as_dict(self) -> dict:
        """The item as printed (`kicker`, `headline`, `subheads`, `paragraphs`, `text`: the page's text, never
        changed) and as the model reads it (`kicker_read`, `headline_read`, `subheads_read`, `paragraphs_read`: OCR
        corrections applied, the same text when there are none), with the corrections themselves."""
        paragraphs = self.printed.get("paragraphs", self.paragraphs)
        d = {
            "index": self.index,
            "kind": self.kind,
            "kicker": self.printed.get("kicker", self.kicker),
            "headline": self.printed.get("headline", self.headline),
            "subheads": self.printed.get("subheads", self.subheads),
            "dateline": self.dateline,
            "byline": self.byline,
            "people": [p.as_dict() for p in self.people],
            "paragraphs": paragraphs,
            "text": "\n".join(paragraphs),
            "span": list(self.span),
            "kicker_read": self.kicker,
            "headline_read": self.headline,
            "subheads_read": self.subheads,
            "paragraphs_read": self.paragraphs,
            "corrections": self.corrections,
        }
        d["items"] = [{k: v for k, v in it.as_dict().items() if k not in _NOT_IN_PARTS} for it in self.items]
        d["flags"] = self.flags
        return d


# a brief's short items are listed as printed; the text read and its corrections are the brief's own
_NOT_IN_PARTS = ("index", "text", "items", "kicker_read", "headline_read", "subheads_read", "paragraphs_read", "corrections")


def _rewrite(text: str, fixes: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, int, int]]]:
    """`text` with `fixes` (start, end, new) applied, and each change as the smallest edit (read start, read end,
    printed start, printed end): 安管理 -> 安全管理 is 全 inserted, taken with the 安 before it so that the read
    characters map onto printed ones; 出海口口 -> 出海口 is one 口 removed."""
    out, edits, at, shift = [], [], 0, 0
    for start, end, new in sorted(fixes):
        old = text[start:end]
        p = 0
        while p < min(len(old), len(new)) and old[p] == new[p]:
            p += 1
        q = 0
        while q < min(len(old), len(new)) - p and old[len(old) - 1 - q] == new[len(new) - 1 - q]:
            q += 1
        if p + q == len(old) and len(new) > len(old):  # a pure insertion: take in a neighbour
            p, q = (p - 1, q) if p else (p, q - 1)
        o0, o1 = start + p, end - q
        r0 = o0 + shift
        r1 = r0 + len(new) - p - q
        out.append(text[at:start] + new)
        at = end
        edits.append((r0, r1, o0, o1))
        shift += len(new) - len(old)
    out.append(text[at:])
    return "".join(out), edits


# --- lines --------------------------------------------------------------------------------------------------
@dataclass
class _Line:
    text: str  # without surrounding spaces
    start: int
    indent: str = ""
    gap: int = 0  # blank lines before it
    furniture: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def width(self) -> int:
        return width(self.indent) + width(self.text)


def _furniture_kind(s: str) -> str:
    m = _MARKER.fullmatch(s)
    if m:
        return "continued_from" if m.group("dir") in ("上接", "接") else "continued_to"
    if len(s) <= 60 and any(p.search(s) for p in _FURNITURE) and not re.search(r"[。！？!?]", s):
        return "header"
    return ""


def _lines(text: str) -> list[_Line]:
    """Non-blank lines (spaces around them trimmed, offsets kept); continuation markers split off."""
    out: list[_Line] = []
    pos, gap = 0, 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip(_INDENT)
        if not stripped:
            gap += 1
            pos += len(raw)
            continue
        lead = len(body) - len(body.lstrip(_INDENT))
        start = pos + lead
        pieces = [(stripped, start)]
        # a continuation marker at the end or start of a text line is furniture of its own
        m = _MARKER.search(stripped)
        if m and m.end() == len(stripped) and m.start() > 0:
            head = stripped[:m.start()].rstrip(_INDENT)
            pieces = [(head, start), (m.group(0), start + m.start())]
        elif m and m.start() == 0 and m.end() < len(stripped):
            tail = stripped[m.end():]
            skip = len(tail) - len(tail.lstrip(_INDENT))
            pieces = [(m.group(0), start), (tail.lstrip(_INDENT), start + m.end() + skip)]
        for k, (t, s) in enumerate(pieces):
            out.append(_Line(t, s, body[:lead] if k == 0 else "", gap if k == 0 else 0, _furniture_kind(t)))
        gap = 0
        pos += len(raw)
    for k in (0, 1, len(out) - 2, len(out) - 1):
        if 0 <= k < len(out) and _PAGE_NUMBER.match(out[k].text):
            out[k].furniture = "header"
    return out


@dataclass
class _Layout:
    wrapped: bool = False
    width: int = 0  # column width of wrapped text, in the layout's measure
    indented: bool = False  # paragraphs start indented
    chars: bool = False  # the lines were cut at a number of characters, not at a printed width

    def measure(self, s: str) -> int:
        """A text's extent in the measure the page was wrapped with: printed width (digits and Latin letters
        half a character), or, for text cut every N characters as a plain-text export does, two units a
        character of any kind."""
        return 2 * len(s) if self.chars else width(s)

    def line_width(self, ln: _Line) -> int:
        return self.measure(ln.indent) + self.measure(ln.text)


def _layout(lines: list[_Line]) -> _Layout:
    """Hard-wrapped columns show as many lines of (nearly) the same width. The width is measured both ways a
    page can have been cut (printed width, or a count of characters) and the one under which more lines have
    the same width is the page's: a column of 20 characters holding digits is ragged in printed width but
    exact in characters, and the reverse for a typeset column."""
    body = [ln for ln in lines if not ln.furniture]
    if len(body) < 8:
        return _Layout()
    from collections import Counter

    best_lay, best_near = _Layout(), (-1, -1)
    for chars in (False, True):
        lay = _Layout(chars=chars)
        widths = [lay.line_width(ln) for ln in body]
        wide = Counter(w for w in widths if w >= 16)
        if not wide:
            continue
        best = max(wide, key=lambda w: (wide[w], w))  # the commonest width: a full column line
        near = sum(1 for x in widths if best - 3 <= x <= best + 4)
        if (wide[best], near) > best_near:  # the measure with more lines exactly at the column width
            wrapped = near >= TUNING.wrapped_share * len(body) and best <= 64
            best_lay, best_near = _Layout(wrapped, best, chars=chars), (wide[best], near)
    if not best_lay.wrapped:
        best_lay = _Layout()
    n_indented = sum(1 for ln in body if ln.indent)
    best_lay.indented = n_indented >= 2 and n_indented >= 0.03 * len(body)
    return best_lay


def _complete(s: str) -> bool:
    """Does this line end where a paragraph can end (a full stop, a closing quote after one, a sign-off)?"""
    if not s:
        return True
    c = s[-1]
    if c in _STOPS or c in "：:":
        return True
    if c in _CLOSERS:
        return len(s) >= 2 and s[-2] in _STOPS + "：:"
    if c in ")）":
        m = re.search(r"[(（][^()（）]{1,30}[)）]$", s)
        return bool(m) and (m.start() == 0 or s[m.start() - 1] in _STOPS + _CLOSERS)
    return False


def _is_credit(s: str) -> bool:
    if s[0] in "(（" and s[-1] not in ")）" or s[-1] in ")）" and s[0] not in "(（":
        return False  # half a parenthesis: a credit cut by a line break, not a credit line
    if re.search(r"[“”《》\"]", s) or (s[0] not in "(（" and len(s) > 24):
        return False  # names and titles only: a quotation or a long unbracketed line is a sentence (…新闻摄影)
    return bool(_CREDIT.match(s)) and not _DATELINE.match(s)


def _heading_like(s: str) -> bool:
    """Could this block be a headline line (no sentence inside it, no final full stop)?"""
    if not s or len(s) > HEADLINE_MAX or _complete(s) or s[-1] in _NO_END or s[0] in _NO_START:
        return False
    if any(s.count(a) != s.count(b) for a, b in ("“”", "《》", "「」", "『』")) \
            or s.count("(") + s.count("（") != s.count(")") + s.count("）"):
        return False  # a quotation, title or bracket opened and not closed (or closed, not opened): a piece of a
        # sentence running over a line break; a headline holds its quotations whole
    if re.search(r"[。！？!?；;]", s[:-1]) or len(re.findall(r"[，,、]", s)) > 1:
        return False
    if _DATELINE.match(s) or _is_credit(s) or s.startswith(("●", "■", "▲", "◆")):
        return False
    return True


def _full(ln: _Line, following: str, lay: _Layout) -> bool:
    """Does this line fill its column, so that the next character (with any opening bracket or quote carried
    over with it, 避尾) did not fit?"""
    k = 0
    while k < len(following) - 1 and following[k] in _NO_END[:5]:
        k += 1
    return lay.line_width(ln) + lay.measure(following[:k + 1] or "一") > lay.width - TUNING.full_slack


def _wider(ln: _Line, lay: _Layout) -> bool:
    """Wider than a column line can be (only closing punctuation may stick out, 避头)."""
    w = lay.line_width(ln)
    return w > lay.width + 4 or (w > lay.width + 1 and ln.text[-1] not in _NO_START)


def _starts_with_particle(s: str) -> bool:
    if s[0] not in _PARTICLES:
        return False
    first = next(iter(jieba().cut(s[:6], HMM=False)), "")
    return len(first) == 1


def _ends_with_function_word(s: str) -> bool:
    """A line ending in 了, 的, 和, 在 … stops in the middle of a sentence (a headline does not end so)."""
    if s[-1] not in _FUNCTION_END:
        return False
    last = list(jieba().cut(s[-6:], HMM=False))[-1]
    return len(last) == 1


def _should_join(block: Block, prev: _Line, nxt: _Line, after: _Line | None, lay: _Layout,
                 before: Block | None = None) -> bool:
    """Was the break between `prev` (last line of `block`) and `nxt` made by the layout, mid-paragraph?"""
    p, n = prev.text, nxt.text
    if _is_credit(p) or _BYLINE_LINE.match(p):
        return False
    # a dateline cut by a column break: 本报呼和浩特 | 1月2日电记者孟辉报道：
    m = _DATELINE.match(block.text + n)
    if m and len(block.text) < m.end("dateline") and not _DATELINE.match(block.text):
        return True
    if _DATELINE.match(n) or _BYLINE_LINE.match(n) or _EDITOR_NOTE.match(n):
        return False  # these open a paragraph (and close a headline above them)
    if _is_credit(n):  # a credit line ends the caption, unless a full column line runs into it
        return lay.wrapped and _full(prev, n, lay)
    if n[0] in _NO_START or p[-1] in _NO_END:
        return True
    if p[-1].isdigit() and not _DATELINE.match(n):
        return True  # a number cut in two (200 | 0年), or a number and its unit (东经175 | 度60分)
    if _starts_with_particle(n) or _ends_with_function_word(p):
        return True  # 新西兰 | 的吉斯伯恩市; 俄国家杜马通过了 | 总统提交的
    if lay.wrapped and _wider(prev, lay) and _heading_like(p):
        return False  # wider than the column and no sentence in it: a headline set across columns
    if lay.wrapped and not _wider(prev, lay):
        if not _full(prev, n, lay):
            return False  # a line that stops short ends its paragraph (or is a headline)
        if (lay.indented and nxt.indent) or _wider(nxt, lay):
            return False  # a new paragraph, or a line wider than the column (a headline across columns)
        if _OPENER.match(n) and _heading_like(p) and len(block.pieces) == 1:
            return False  # a sentence starts, the line before did not finish one: that line is a headline
        if _heading_like(n) and (after is None or _DATELINE.match(after.text) or not _full(nxt, after.text, lay)
                                 or _wider(after, lay) or (lay.indented and after.indent and not nxt.indent)
                                 or (after.gap and _complete(p))):
            # n ends its block (it is short, a dateline, a wider line, an indented paragraph or a blank line comes
            # next) without ending a sentence: a headline line
            return False
        return True
    # one paragraph a line: the layout only cuts lines at column breaks
    if _complete(p):
        return False
    if lay.indented and nxt.indent:
        return False
    if len(block.pieces) > 1:
        return True  # already a paragraph running over lines: an unfinished line continues
    if (before is not None and not before.furniture and _heading_like(before.text) and _heading_like(p)
            and not (after is not None and _DATELINE.match(after.text))):
        return True  # headline, then the start of a caption or story cut at a column break
    return _continues(p, n, after)


def _continues(p: str, n: str, after: _Line | None) -> bool:
    """Unfinished line `p` followed by `n`: a paragraph cut at a column break, or a headline and its story?"""
    if not _heading_like(p):
        return True  # a sentence with commas or full stops inside, or too long for a headline
    if after is not None and _DATELINE.match(after.text) and _heading_like(n):
        return False  # p and n are two headline lines above a dateline
    if word_across(p, n):
        return True  # the break cuts a word: 全|员, 困|难
    if _OPENER.match(p):
        return True  # 12月8日, / 不久前, / 据了解, : the start of a sentence, not a headline
    if re.search(r"[，,、：:]", p) and not re.search(r"\s", p):
        # a clause with a comma and no spaces: a headline with a comma (手拉手，心连心) is short
        return len(p) > TUNING.comma_clause
    return False


def _blank_breaks(blocks: list[Block], roles: list[str]) -> bool:
    """Are paragraphs separated by blank lines on this page (then a blank line says nothing about a headline)?"""
    text = [b for b, r in zip(blocks, roles) if r in ("body", "dateline")]
    return sum(1 for b in text if b.gap) >= 0.5 * max(1, len(text))


def _head_evidence(blocks: list[Block], roles: list[str], k: int, lay: _Layout, blank_breaks: bool) -> str:
    """What, besides its shape, shows that headline block k heads an item ('' when nothing does): the top of
    the page or furniture above it, a dateline, byline or editor's note under it, more headline lines, a
    picture's credit closing its caption, a blank line around it where paragraphs have none, a width no column
    line has, or an indent pattern that sets it apart."""
    b, n = blocks[k], len(blocks)
    if k == 0 or roles[k - 1] in ("furniture", "credit", "head") or k + 1 >= n:
        return "edge"
    nxt = blocks[k + 1]
    if roles[k + 1] in ("head", "dateline", "byline", "furniture") or _EDITOR_NOTE.match(nxt.text):
        return "opening"
    j = k + 1
    while j < n and roles[j] == "body" and not _INLINE_CREDIT.search(blocks[j].text):
        j += 1
    if (j < n and (roles[j] == "credit" or _INLINE_CREDIT.search(blocks[j].text))) \
            or _BRIEF_HEADING.match(b.text) or b.text.endswith(("（图片）", "(图片)")):
        return "picture or brief"  # a caption and its credit under it
    if not blank_breaks and (b.gap or nxt.gap):
        return "blank line"
    if lay.wrapped and len(b.pieces) == 1 and width(b.text) > lay.width + 4:
        return "width"
    if lay.indented and nxt.indent and not b.indent:
        return "indent"
    return ""


def _rejoin_weak_heads(blocks: list[Block], lay: _Layout) -> list[Block]:
    """On a page whose stories open with a dateline or byline (three or more do, these are most of its headlines,
    and any story without one has other evidence), a one-line 'headline' with no evidence but its shape, between
    two paragraphs, is the first piece of a paragraph cut at a column break (通知要求各级领导 | 要从克服官僚主义…):
    it is joined back."""
    roles = [_role(b) for b in blocks]
    blank_breaks = _blank_breaks(blocks, roles)
    runs = [k for k in range(len(blocks)) if roles[k] == "head" and (k == 0 or roles[k - 1] != "head")]
    dated = sum(1 for k in runs if k + 1 < len(blocks) and roles[k + 1] in ("dateline", "byline"))
    weak = [k for k in runs if k + 1 < len(blocks) and roles[k + 1] == "body" and not blocks[k].furniture
            and not _head_evidence(blocks, roles, k, lay, blank_breaks)]
    undated = [k for k in runs if k not in weak and k + 1 < len(blocks) and roles[k + 1] == "body"
               and not _head_evidence(blocks, roles, k, lay, blank_breaks).startswith("picture")]
    if not weak or dated < 3 or undated or len(weak) > TUNING.weak_share * (len(weak) + dated):
        return blocks
    for k in reversed(weak):
        a, b = blocks[k], blocks[k + 1]
        a.joins += [b.start, *b.joins]
        a.pieces += [(len(a.text) + t, o) for t, o in b.pieces]
        a.text += b.text
        a.end = b.end
        del blocks[k + 1]
    return blocks


def join_lines(text: str) -> list[Block]:
    lines = _lines(text)
    lay = _layout(lines)
    blocks: list[Block] = []
    content = [k for k, ln in enumerate(lines) if not ln.furniture]
    nxt_content = {a: b for a, b in zip(content, content[1:])}
    cur: Block | None = None
    last: _Line | None = None
    # a page of headlines only (a contents list, a page of photo titles): no sentence runs over a line break
    # (not hard-wrapped text: a column of text that lost its punctuation has lines of one width)
    headlines_only = len(content) > 1 and not lay.wrapped and all(_heading_like(lines[k].text) for k in content)
    for k, ln in enumerate(lines):
        if ln.furniture:
            blocks.append(Block(ln.text, ln.start, ln.end, pieces=[(0, ln.start)], furniture=ln.furniture,
                                gap=ln.gap))
            if ln.furniture != "header":
                cur = None  # never join across a continuation marker
            continue
        after = lines[nxt_content[k]] if k in nxt_content else None
        before = blocks[-2] if cur is not None and len(blocks) >= 2 and blocks[-1] is cur else None
        if cur is not None and last is not None and not headlines_only \
                and _should_join(cur, last, ln, after, lay, before):
            cur.joins.append(ln.start)
            cur.pieces.append((len(cur.text), ln.start))
            cur.text += ln.text  # Chinese text: no space at the join
            cur.end = ln.end
        else:
            cur = Block(ln.text, ln.start, ln.end, pieces=[(0, ln.start)], indent=bool(ln.indent), gap=ln.gap)
            blocks.append(cur)
        last = ln
    return _rejoin_weak_heads(blocks, lay)


# --- grouping -----------------------------------------------------------------------------------------------
def _role(b: Block) -> str:
    if b.furniture:
        return "furniture"
    s = b.text
    if _DATELINE.match(s):
        return "dateline"
    if _is_credit(s):
        return "credit"
    if _BYLINE_LINE.match(s):
        return "byline"
    if _heading_like(s) or s.endswith(("（图片）", "(图片)")):
        return "head"
    return "body"


@dataclass
class _Group:
    heads: list[Block] = field(default_factory=list)
    body: list[Block] = field(default_factory=list)
    continued_from: Block | None = None


def segment(text: str, ocr_fix: bool = True, weigh: ocr.Weigh | None = None) -> list[Item]:
    """The items of a page, in page order, each with its flags: the layout's, then the OCR step's (ocr.py), which
    also corrects the text the model reads where the page's evidence is strong (`ocr_fix=False`: flags only).
    `weigh`: a model's `score`, which the OCR step asks about dropped characters (without it they stay flags)."""
    blocks = join_lines(text)
    roles = [_role(b) for b in blocks]
    unpunctuated = _unpunctuated(blocks, roles)
    if roles.count("head") > 1 and all(r in ("head", "furniture") for r in roles) and not unpunctuated:
        return _headlines_only(blocks, roles)
    if unpunctuated:
        # one article: a single line at the top may be its headline, everything else is its text
        roles = ["head" if k == 0 and r == "head" and not b.joins else r if r in ("furniture", "credit") else "body"
                 for k, (b, r) in enumerate(zip(blocks, roles))]
    items: list[Item] = []
    i, n = 0, len(blocks)
    pending_from: Block | None = None  # a 上接 marker: the next item continues an article from another page
    while i < n:
        b, r = blocks[i], roles[i]
        if r == "furniture":
            items.append(_furniture_item(len(items), b))
            if b.furniture == "continued_to":
                prev = next((it for it in reversed(items[:-1]) if it.kind != "furniture"), None)
                if prev is not None:
                    prev.flags.append(_continued_flag(b, to=True))
            elif b.furniture == "continued_from":
                pending_from = b
            i += 1
            continue
        g = _Group(continued_from=pending_from)
        pending_from = None
        while i < n and roles[i] == "head":
            g.heads.append(blocks[i])
            i += 1
        inner: list[Block] = []  # furniture inside the item's span, listed after it
        if i < n and roles[i] == "furniture" and blocks[i].furniture == "continued_from" and g.heads:
            g.continued_from = blocks[i]  # a repeated headline, then （上接第一版）
            inner.append(blocks[i])
            i += 1
        if g.heads and _BRIEF_HEADING.match(g.heads[0].text) and (len(g.heads) > 1 or (i < n and roles[i] in
                                                                                     ("dateline", "body"))):
            i = _brief(items, blocks, roles, i, g)
            continue
        while i < n and roles[i] != "furniture" and not (roles[i] == "head" and (g.heads or g.body)) \
                and not (roles[i] == "dateline" and g.body and not _preamble(g.body)):
            g.body.append(blocks[i])
            i += 1
            if roles[i - 1] == "credit":
                break  # a photo credit closes its item
        # furniture between the parts of one article (a page header in the middle of a column) is skipped
        while (i + 1 < n and roles[i] == "furniture" and blocks[i].furniture == "header" and g.body
               and roles[i + 1] == "body" and not _complete(g.body[-1].text)):
            inner.append(blocks[i])
            i += 1
            while i < n and roles[i] in ("body", "dateline"):
                g.body.append(blocks[i])
                i += 1
        items.append(_make_item(len(items), g))
        items += [_furniture_item(len(items) + k, f) for k, f in enumerate(inner)]
    _flag_weak_splits(items, blocks, roles, _layout(_lines(text)))
    if unpunctuated:
        it = next(it for it in items if it.kind not in SKIP_KINDS)
        it.flags.append(flag("no_headline", "no sentence on this page ends with a full stop (punctuation lost in "
                             "OCR?), so a line without one says nothing about a headline: the page is kept as one "
                             "article.", span=it.span))
    ocr.flag_items([it for it in items if it.kind not in SKIP_KINDS], [b.text for b in blocks if not b.furniture],
                   correct=ocr_fix, weigh=weigh)
    return items


def _flag_weak_splits(items: list[Item], blocks: list[Block], roles: list[str], lay: _Layout) -> None:
    """Flag `possible_split` on an article whose only sign of being one is a short line without a full stop
    after the end of another article's paragraph: a column break can leave such a line too (通知要求各级领导 |
    要从克服…), and a reader should see that the two may be one story."""
    where = {id(b): k for k, b in enumerate(blocks)}
    blank_breaks = _blank_breaks(blocks, roles)
    for prev, it in zip(items, items[1:]):
        if prev.kind in SKIP_KINDS or it.kind != "news" or len(it.head_blocks) != 1 or it.dateline or it.byline:
            continue
        k = where[id(it.head_blocks[0])]
        if _head_evidence(blocks, roles, k, lay, blank_breaks):
            continue
        head = it.head_blocks[0]
        it.flags.append(flag(
            "possible_split", f"'{head.text}' was taken for the headline of a new article, but nothing else marks "
            "one (no dateline or byline under it, no blank line or indent setting it apart): it may be the first "
            "line of a paragraph of the article before, cut at a column break.", span=[head.start, head.end],
            found=head.text))


def _unpunctuated(blocks: list[Block], roles: list[str]) -> bool:
    """Text whose sentences do not end with a full stop anywhere (OCR that lost its punctuation): a short line
    without one is then no sign of a headline, and splitting there would make a dozen fragments of one story."""
    text = [b for b, r in zip(blocks, roles) if r not in ("furniture", "credit")]
    running = [b for b in text if len(b.text) > HEADLINE_MAX or b.joins]  # text, not a list of headlines
    return len(text) >= 3 and bool(running) and not any(re.search(r"[。！？!?；;]", b.text) for b in text)


def _headlines_only(blocks: list[Block], roles: list[str]) -> list[Item]:
    """A page with no body text at all: each headline is an item of its own, never kicker and subheads of one."""
    items: list[Item] = []
    for b, r in zip(blocks, roles):
        items.append(_furniture_item(len(items), b) if r == "furniture" else _make_item(len(items), _Group([b])))
    return items


def _preamble(body: list[Block]) -> bool:
    """Only what may stand between a headline and its dateline: a byline line (本报记者 张三) and an editor's
    note (编者按：…). A dateline after these opens the same story, not a new one."""
    notes = [b for b in body if _EDITOR_NOTE.match(b.text)]
    return len(notes) <= 1 and all(b in notes or _BYLINE_LINE.match(b.text) for b in body)


def _brief(items: list[Item], blocks: list[Block], roles: list[str], i: int, g: _Group) -> int:
    """A brief: a heading such as 简讯, then short items, each one paragraph (with or without a headline).
    It ends at a headline followed by more than one paragraph (a story of its own) or at a long paragraph."""
    n = len(blocks)
    subs: list[_Group] = []
    pending = g.heads[1:]
    headed = bool(pending) or (i < n and roles[i] == "head")
    first_gap = None
    while i < n:
        j = i
        heads, pending = pending, []
        while j < n and roles[j] == "head":
            heads.append(blocks[j])
            j += 1
        if j >= n or roles[j] not in ("dateline", "body") or len(blocks[j].text) > 320 or bool(heads) != headed:
            break
        if headed and j + 1 < n and roles[j + 1] in ("body", "dateline", "credit", "byline"):
            break  # a headline with more than one paragraph, or a picture: an item of its own
        gap = (heads[0] if heads else blocks[j]).gap
        if first_gap is None:
            first_gap = gap
        elif gap > first_gap:
            break  # more space than between the brief's own items: the brief has ended
        subs.append(_Group(heads, [blocks[j]]))
        i = j + 1
    if not subs:  # not a brief after all: a headline and its story
        return _fallback(items, blocks, roles, i, g)
    parts = [_make_item(k, sg) for k, sg in enumerate(subs)]
    paragraphs, sources = [], []
    for sg, it in zip(subs, parts):
        for h in sg.heads:
            paragraphs.append(h.text)
            sources.append((h, 0))
        paragraphs += it.paragraphs
        sources += it.sources
    head = g.heads[0]
    span = (head.start, max(p.span[1] for p in parts))
    items.append(Item(len(items), "brief", head.text, paragraphs, span, items=parts, sources=sources,
                      head_blocks=[head]))
    return i


def _fallback(items, blocks, roles, i, g) -> int:
    n = len(blocks)
    while i < n and roles[i] not in ("furniture", "head"):
        g.body.append(blocks[i])
        i += 1
    items.append(_make_item(len(items), g))
    return i


def _furniture_item(index: int, b: Block) -> Item:
    return Item(index, "furniture", "", [b.text], (b.start, b.end), sources=[(b, 0)])


def _continued_flag(b: Block, to: bool) -> dict:
    m = _MARKER.search(b.text)
    page = m.group("page") if m else "?"
    msg = (f"the article continues on page {page}, marked {b.text}; that part is not in this file." if to else
           f"this continues an article from page {page}, marked {b.text}; its beginning is not in this file.")
    return flag("continued", msg, span=[b.start, b.end], found=b.text)


def _split_heads(heads: list[Block]) -> tuple[str, str, list[str]]:
    """(kicker, headline, subheads). One line: the headline (parts separated by spaces stay one string). Two
    lines: headline and subhead. Three or more (引题, 主题, 副题): kicker, headline, subheads. A line starting
    with a dash is a subhead wherever it is."""
    texts = [h.text for h in heads]
    dashed = [t for t in texts if t.startswith(("—", "－", "--"))]
    plain = [t for t in texts if t not in dashed]
    if not plain:
        return "", (dashed[0] if dashed else ""), dashed[1:]
    if len(plain) >= 3 or (len(plain) == 2 and dashed):
        return plain[0], plain[1], plain[2:] + dashed
    return "", plain[0], plain[1:] + dashed


def _make_item(index: int, g: _Group) -> Item:
    heads, body = g.heads, g.body
    all_blocks = heads + body
    kicker, headline, subheads = _split_heads(heads)
    span = (all_blocks[0].start, all_blocks[-1].end) if all_blocks else (0, 0)
    item = Item(index=index, kind="news", headline=headline, kicker=kicker, subheads=subheads, paragraphs=[],
                span=span, head_blocks=heads)
    paras: list[tuple[Block, int, int]] = [(b, 0, len(b.text)) for b in body]  # block, cut, stop
    # byline line right under the headline (or under an editor's note): 本报记者 张三
    own = next((k for k in range(min(2, len(paras))) if _BYLINE_LINE.match(paras[k][0].text)
                and (k == 0 or _EDITOR_NOTE.match(paras[0][0].text))), None)
    if own is not None:
        item.byline = paras[own][0].text
        item.people = parse_people(item.byline, photo=False)
        paras = paras[:own] + paras[own + 1:]
    # dateline + byline at the start of the first paragraph (the second when the first is an editor's note)
    for k in range(min(2, len(paras))):
        m = _DATELINE.match(paras[k][0].text)
        if m:
            item.dateline = m.group("dateline")
            if m.group("paren") or m.group("rep"):
                item.byline = (m.group("paren") or m.group("rep")).strip()
                item.people = parse_people(item.byline, photo=False)
            b = paras[k][0]
            cut = m.end()
            while cut < len(b.text) and b.text[cut] in _INDENT:
                cut += 1
            paras[k] = (b, cut, len(b.text))
            break
        if not _EDITOR_NOTE.match(paras[k][0].text):
            break
    # a closing dateline （新华社北京12月31日电）
    if paras and not item.dateline and (m := _CLOSING_DATELINE.match(paras[-1][0].text)):
        item.dateline = m.group("dateline")
        paras = paras[:-1]
    # photo credit: a line of its own, or at the end of the caption
    if paras and _is_credit(paras[-1][0].text):
        b = paras[-1][0]
        item.kind = "photo"
        item.byline = _CREDIT.match(b.text).group("credit") if b.text[0] in "(（" else b.text
        item.people = parse_people(item.byline, photo=True)
        paras = paras[:-1]
    elif paras and not item.dateline and (m := _INLINE_CREDIT.search(paras[-1][0].text)):
        b, cut, _ = paras[-1]
        item.kind = "photo"
        item.byline = m.group("credit")
        item.people = parse_people(item.byline, photo=True)
        stop = m.start()
        while stop > cut and b.text[stop - 1] in _INDENT:
            stop -= 1
        paras[-1] = (b, cut, stop)
    texts = [(b, cut, b.text[cut:stop]) for b, cut, stop in paras]
    item.paragraphs = [t for _, _, t in texts if t]
    item.sources = [(b, cut) for b, cut, t in texts if t]
    if item.kind == "news":
        item.kind = _kind(item)
    if g.continued_from is not None:
        item.flags.append(_continued_flag(g.continued_from, to=False))
    return item


def _kind(item: Item) -> str:
    head = item.headline
    if item.dateline:
        return "news"
    if _EDITOR_HEADING.match(head) or (not head and item.paragraphs and _EDITOR_NOTE.match(item.paragraphs[0])):
        return "editor_note"
    if head and _NOTICE_HEADING.search(head):
        return "notice"
    if any(_AD.search(p) for p in [head, *item.paragraphs]):
        return "ad"
    if item.paragraphs and len(item.paragraphs) <= 2 and re.search(r"(^|[。，,])图为", "".join(item.paragraphs)):
        return "photo"
    return "news"
