"""Numeric facts: found in Chinese and English text, normalised, and matched.

A *fact* of a Chinese passage is something a faithful translation has to carry, normalised to exact values
(`Decimal`, never floats): an amount with its scale (316.4万元 = 3,164,000 yuan), a count (25家企业), a
percentage (57%, 百分之五十七), a year (2024年, 二〇二四年), a date (12月23日 → December 23) or a range
(12月18日至24日), written in Arabic, full-width or Chinese digits (三千零六十). Each fact holds *atoms*, the
values an English rendering must contain: ("num", 3164000), ("pct", 57), ("date", (12, 23)), ("month", 12),
("day", 24). `english_atoms` reads the same atoms from English text, whatever way of writing it chose
(3,164,000 / 3.164 million / 3.164m yuan / three; December 23 / 23 December / Dec. 23rd), so a match means the
value is right, and wrong scaling (316.4 million) does not match.

Single Chinese numeral characters (两项, 一年, 第一) are too often part of a word (一站式, 五金) to be required;
they become *weak* facts: never checked, but they ground an English number that renders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import cn2an

Atom = tuple  # ("num" | "pct", Decimal) | ("date", (month, day)) | ("month", int) | ("day", int)

# Full-width digits and signs -> ASCII, one character for one, so offsets into the text stay valid.
_WIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")
_ZH_DIGIT = "〇零一二两三四五六七八九"
_ZH_NUMERAL = f"[{_ZH_DIGIT}十百千万亿]+(?:点[{_ZH_DIGIT}]+)?"
_ARABIC = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_SCALES = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000),
           "百": Decimal(100)}
# Units whose English name helps the model; other measure words (家, 名, 个 ...) are rendered as a bare number.
UNITS = {"万元": "yuan", "亿元": "yuan", "元": "yuan", "美元": "US dollars", "平方米": "square metres",
         "平方公里": "square kilometres", "公里": "kilometres", "千米": "kilometres", "米": "metres",
         "公斤": "kilograms", "千克": "kilograms", "吨": "tonnes", "公顷": "hectares", "亩": "mu",
         "标箱": "TEU", "人次": "person-times", "岁": "years old", "小时": "hours", "分钟": "minutes"}
MEASURE = ("家名个张户层人项所台辆条件位次篇场批届支座栋处间套本只头匹款种类起例份期号天周年月日"
           "元吨米亩笔辆部栏组队床间倍瓶箱盒袋株棵枚架艘斤")
_UNIT_RE = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
_APPROX = "多|余|以上|左右"
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


@dataclass(frozen=True)
class Fact:
    kind: str  # amount | count | number | percent | year | date | date_range | month | rate_base
    text: str  # as written in the source
    start: int  # offsets in the source text
    end: int
    atoms: tuple[Atom, ...]  # what a faithful rendering must contain
    english: str  # how to write it in English
    weak: bool = False  # grounds English numbers, never required

    @property
    def value(self) -> str:
        """The normalised value(s), for records and messages."""
        if self.kind == "year":
            return self.english
        return ", ".join(_atom_str(a) for a in self.atoms)

    @property
    def needs_hint(self) -> bool:
        """Worth telling the model: dates, scaled amounts (万/亿), Chinese numerals; not a plain 25家."""
        if self.weak:
            return False
        if self.kind in ("date", "date_range", "month", "rate_base"):
            return True
        return bool(re.search(r"[万亿千]|[^\d.,%\s]", self.text.translate(_WIDTH).rstrip(MEASURE + "元")))

    def hint(self) -> str:
        return f"{self.text} = {self.english}"

    def inline(self, digits: bool = False) -> str:
        """The rendering to write in place of the source text: '3.164 million yuan', or with `digits` (and for
        mantissas of more than three decimals, which the model rescales wrongly: 3.9279 million -> 392,790,000)
        the full figure '3,927,900 yuan'."""
        short, _, full = self.english.partition(" (")
        if full and (digits or len(re.sub(r"\D", "", short.split(".")[-1])) > 3 and "." in short):
            return full.rstrip(")")
        return short

    def as_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "value": self.value, "english": self.english}


def _atom_str(a: Atom) -> str:
    kind, v = a
    if kind == "num":
        return fmt(v)
    if kind == "pct":
        return f"{fmt(v)}%"
    if kind == "date":
        return f"{_MONTHS[v[0] - 1]} {v[1]}"
    if kind == "month":
        return _MONTHS[v - 1]
    return f"day {v}"


# --- numbers -----------------------------------------------------------------------------------------
def parse_arabic(s: str) -> Decimal:
    return Decimal(s.translate(_WIDTH).replace(",", ""))


def parse_chinese(s: str) -> Decimal | None:
    """三千零六十 -> 3060, 二〇二四 -> 2024, 一万二千 -> 12000, 三点五 -> 3.5; None for what is not a number
    (千万 as 'by all means', 万一 'in case', 一一 'one by one')."""
    if not s or s[0] in "百千万亿" or not any(c in _ZH_DIGIT + "十" for c in s):
        return None
    if len(s) > 1 and not any(c in "十百千万亿点" for c in s) and not re.fullmatch(f"[{_ZH_DIGIT}]{{4}}", s):
        return None  # 五六 'five or six', 一一 'one by one': runs of digits are numbers only as years
    try:
        v = cn2an.cn2an(s, "strict") if any(c in "十百千万亿点" for c in s) else cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return Decimal(str(v))


def fmt(v: Decimal) -> str:
    """3164000 -> '3,164,000'; 24725.21 -> '24,725.21'; 30.0304 stays exact (no rounding, no exponent)."""
    v = v.normalize()
    if v.as_tuple().exponent > 0:
        v = v.quantize(Decimal(1))
    return f"{v:,f}"


def english_number(v: Decimal) -> str:
    """The usual English way to write an exact value: 3.164 million, 53 billion, 26,200."""
    for word, scale in (("trillion", Decimal(10) ** 12), ("billion", Decimal(10) ** 9),
                        ("million", Decimal(10) ** 6)):
        if abs(v) >= scale:
            return f"{fmt(v / scale)} {word}"
    return fmt(v)


def _scaled(num: Decimal, scale: str) -> Decimal:
    return num * _SCALES.get(scale, Decimal(1))


# --- Chinese extraction --------------------------------------------------------------------------------
_DAY = rf"(?:\d{{1,2}}|[{_ZH_DIGIT}十]{{1,3}})"
_MON = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
_YEAR = rf"(?:\d{{4}}|[{_ZH_DIGIT}]{{4}})"
_RANGE_SEP = r"(?:至|到|—|－|-|~|～)"
# A space may stand between an Arabic number and what it counts ("约 1,000 万份", "2016 年", "12 月 23 日"): text
# typed with spaces around Latin letters and digits, and OCR output, write them so.
_S = r"[ \u00a0\u3000]?"
# 数十亿 and 几十万 are "billions", "hundreds of thousands": no figure (read as 十亿, 1 billion, before); nor does a
# Chinese numeral start inside another one.
_NOT_AFTER_VAGUE = f"(?<![数几{_ZH_DIGIT}十百千万亿])"
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("date_range", re.compile(
        rf"(?:(?P<y>{_YEAR}){_S}年{_S})?(?P<m>{_MON}){_S}月{_S}(?P<d>{_DAY}){_S}[日号]?{_S}{_RANGE_SEP}{_S}"
        rf"(?:(?:(?P<y2>{_YEAR}){_S}年{_S})?(?P<m2>{_MON}){_S}月{_S})?(?P<d2>{_DAY}){_S}[日号]")),
    ("date", re.compile(rf"(?:(?P<y>{_YEAR}){_S}年{_S})?(?P<m>{_MON}){_S}月(?:{_S}(?P<d>{_DAY}){_S}[日号])?")),
    ("day_range", re.compile(rf"(?P<d>{_DAY}){_S}[日号]?{_S}{_RANGE_SEP}{_S}(?P<d2>{_DAY}){_S}[日号]")),
    ("year", re.compile(rf"(?P<y>{_YEAR}){_S}年")),
    ("percent", re.compile(rf"百分之(?P<n>{_ARABIC}|{_ZH_NUMERAL})|(?P<n2>{_ARABIC})\s*(?:%|个百分点)")),
    ("rate_base", re.compile(r"每(?P<s>[十百千万])(?=[名人户个家元])")),
    ("number", re.compile(
        rf"(?P<n>{_ARABIC}|{_NOT_AFTER_VAGUE}{_ZH_NUMERAL})(?P<a1>{_APPROX})?(?:{_S}(?P<s>万亿|亿|万|千))?(?P<a2>{_APPROX})?"
        rf"(?:{_S}(?P<u>{_UNIT_RE}|[{MEASURE}]))?")),
]


def _num(s: str) -> Decimal | None:
    s = s.translate(_WIDTH)
    if re.fullmatch(_ARABIC, s):
        return parse_arabic(s)
    return parse_chinese(s)


def _int(s: str | None) -> int | None:
    v = _num(s) if s else None
    return int(v) if v is not None and v == int(v) else None


def extract_zh(text: str) -> list[Fact]:
    """All numeric facts of a Chinese text, in order, none overlapping."""
    norm = text.translate(_WIDTH)
    taken = [False] * len(norm)
    out: list[Fact] = []
    for kind, pat in _PATTERNS:
        for m in pat.finditer(norm):
            s, e = m.span()
            if s == e or any(taken[s:e]):
                continue
            f = _make(kind, m, text[s:e], s, e, norm)
            if f is None:
                continue
            out.append(f)
            for k in range(s, e):
                taken[k] = True
    return sorted(out, key=lambda f: f.start)


def _make(kind: str, m: re.Match, text: str, s: int, e: int, norm: str) -> Fact | None:
    g = m.groupdict()
    if kind in ("date", "date_range", "day_range"):
        y, mo, d = _int(g.get("y")), _int(g.get("m")), _int(g.get("d"))
        if mo is not None and not 1 <= mo <= 12 or d is not None and not 1 <= d <= 31:
            return None
        atoms: list[Atom] = [("num", Decimal(y))] if y else []
        if kind == "date":
            atoms.append(("date", (mo, d)) if d else ("month", mo))
            en = f"{_MONTHS[mo - 1]} {d}" if d else _MONTHS[mo - 1]
            return Fact("date" if d else "month", text, s, e, tuple(atoms), f"{en}, {y}" if y else en)
        mo2, d2 = _int(g.get("m2")) or mo, _int(g.get("d2"))
        if d2 is None or not 1 <= d2 <= 31 or mo2 is not None and not 1 <= mo2 <= 12:
            return None
        if kind == "day_range":
            return Fact("date_range", text, s, e, (("day", d), ("day", d2)), f"the {d}th to the {d2}th")
        atoms += [("date", (mo, d)), ("date", (mo2, d2))]
        if mo2 == mo:
            en = f"{_MONTHS[mo - 1]} {d} to {d2}"
        else:
            en = f"{_MONTHS[mo - 1]} {d} to {_MONTHS[mo2 - 1]} {d2}"
        return Fact("date_range", text, s, e, tuple(atoms), en)
    if kind == "year":
        y = _int(g["y"])
        if y is None or not 1000 <= y <= 2999:
            return None
        return Fact("year", text, s, e, (("num", Decimal(y)),), str(y))
    if kind == "percent":
        v = _num(g["n"] or g["n2"])
        if v is None:
            return None
        return Fact("percent", text, s, e, (("pct", v),), f"{fmt(v)}%")
    if kind == "rate_base":
        v = _SCALES.get(g["s"], Decimal(10))
        return Fact("rate_base", text, s, e, (("num", v),), f"per {fmt(v)}")
    # numbers, amounts and counts
    raw, scale, unit = g["n"], g["s"] or "", g["u"] or ""
    arabic = bool(re.match(r"\d", raw))
    approx = g["a1"] or g["a2"] or ""
    if not arabic:
        if (len(raw) == 1 and not (scale and approx)) or (s > 0 and norm[s - 1] == "第"):  # 十余万: a number
            v = parse_chinese(raw) if raw in _ZH_DIGIT + "十" else None
            if v is None or not unit:
                return None  # 五金, 一站式: a numeral character inside a word
            return Fact("count", text, s, e, (("num", v),), fmt(v), weak=True)
        if raw[0] == "十" and not (unit or scale or approx):
            return None  # 十分 'very', 十万火急 (but 十万余瓶: more than 100,000 bottles)
        if re.fullmatch(f"[{_ZH_DIGIT}]{{4}}", raw) and not unit:
            return None
    v = _num(raw)
    if v is None:
        return None
    if arabic and (s > 0 and re.match(r"[第A-Za-z]", norm[s - 1]) or re.match(r"[A-Za-z]", norm[e:e + 1])):
        return Fact("count", text, s, e, (("num", v),), fmt(v), weak=True)  # 第5届 an ordinal, 5G a name
    value = _scaled(v, scale)
    approx = "more than " if approx in ("多", "余", "以上") else ""
    unit_en = UNITS.get(unit, "")
    if scale or unit_en == "yuan":
        kind = "amount" if unit_en else "number"
    else:
        kind = "count" if unit else "number"
    en = f"{approx}{english_number(value)}" + (f" {unit_en}" if unit_en else "")
    if scale and value >= 10 ** 6 and english_number(value) != fmt(value):
        en += f" ({approx}{fmt(value)}" + (f" {unit_en}" if unit_en else "") + ")"
    return Fact(kind, text, s, e, (("num", value),), en)


def zh_atoms(facts: list[Fact]) -> set[Atom]:
    """Every atom of these facts, weak ones included: what an English number may be grounded in."""
    return {a for f in facts for a in f.atoms}


# --- English extraction ------------------------------------------------------------------------------
_MONTH_RE = (r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
             r"Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)")
_ORD = r"(?:st|nd|rd|th)?"
_EN_SEP = r"\s*(?:-|–|—|to|through|until|and)\s*"
_EN_DATE_MD = re.compile(
    rf"\b(?P<m>{_MONTH_RE})\s+(?P<d>\d{{1,2}}){_ORD}\b(?:{_EN_SEP}(?:(?P<m2>{_MONTH_RE})\s+)?(?P<d2>\d{{1,2}}){_ORD}\b)?"
    rf"(?:,?\s+(?P<y>\d{{4}})\b)?")
_EN_DATE_DM = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORD}(?:{_EN_SEP}(?P<d2>\d{{1,2}}){_ORD})?\s+(?:of\s+)?(?P<m>{_MONTH_RE})\b"
    rf"(?:,?\s+(?P<y>\d{{4}})\b)?")
_EN_MONTH = re.compile(rf"\b(?P<m>{_MONTH_RE})(?![\w.]\w)(?:\s+(?P<y>\d{{4}})\b)?")
_EN_SCALE = {"hundred million": Decimal(10) ** 8, "ten million": Decimal(10) ** 7,
             "hundred thousand": Decimal(10) ** 5, "ten thousand": Decimal(10) ** 4, "thousand": Decimal(1000),
             "million": Decimal(10) ** 6, "billion": Decimal(10) ** 9, "trillion": Decimal(10) ** 12,
             "mn": Decimal(10) ** 6, "m": Decimal(10) ** 6, "bn": Decimal(10) ** 9, "k": Decimal(1000)}
_MONEY = re.compile(r"\s*(?:yuan|RMB|CNY|dollars?|USD|US\$|euros?)\b", re.IGNORECASE)
_EN_NUM = re.compile(
    r"(?<![\w.,])(?P<cur>(?:RMB|CNY|¥|￥|\$|US\$)\s?)?(?P<n>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<f>\.\d+)?"
    r"(?:(?:st|nd|rd|th)(?!\w))?"
    r"(?:(?P<pct>\s*%|\s+percent(?:age points?)?|\s+per\s?cent)"
    r"|\s*-?\s*(?P<s>hundred million|ten million|hundred thousand|ten thousand|thousand|million|billion|trillion)\b"
    r"|\s?(?P<abbr>mn|bn|m|k)\b)?", re.IGNORECASE)
_MONTH_NUM = {m[:3].lower(): i + 1 for i, m in enumerate(_MONTHS)}


@dataclass(frozen=True)
class EnglishNumber:
    text: str
    start: int
    end: int
    atoms: tuple[Atom, ...]


def _month(s: str) -> int:
    return _MONTH_NUM[s[:3].lower()]


def english_numbers(text: str) -> list[EnglishNumber]:
    """Numbers and dates written with digits (and month names) in English text, with their atoms."""
    out: list[EnglishNumber] = []
    taken = [False] * len(text)

    def add(start: int, end: int, atoms: list[Atom]) -> None:
        out.append(EnglishNumber(text[start:end], start, end, tuple(atoms)))
        for k in range(start, end):
            taken[k] = True

    for pat in (_EN_DATE_MD, _EN_DATE_DM):
        for m in pat.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            g = m.groupdict()
            mo, d = _month(g["m"]), int(g["d"])
            if not 1 <= d <= 31:
                continue
            atoms: list[Atom] = [("date", (mo, d)), ("month", mo)]
            if g.get("d2"):
                mo2 = _month(g["m2"]) if g.get("m2") else mo
                atoms += [("date", (mo2, int(g["d2"]))), ("month", mo2)]
            if g.get("y"):
                atoms.append(("num", Decimal(g["y"])))
            add(m.start(), m.end(), atoms)
    for m in _EN_MONTH.finditer(text):
        if any(taken[m.start():m.end()]) or (m.group("m") == "May" and _sentence_start(text, m.start())):
            continue
        atoms = [("month", _month(m.group("m")))]
        if m.group("y"):
            atoms.append(("num", Decimal(m.group("y"))))
        add(m.start(), m.end(), atoms)
    for m in _EN_NUM.finditer(text):
        if any(taken[m.start():m.end()]):
            continue
        v = Decimal(m.group("n").replace(",", "") + (m.group("f") or ""))
        if m.group("pct"):
            add(m.start(), m.end(), [("pct", v)])
            continue
        word, end = (m.group("s") or "").lower(), m.end()
        if m.group("abbr"):  # 3.164m yuan, RMB 53bn; but 5m (metres) or 10k (a race) is no amount
            if m.group("cur") or _MONEY.match(text, m.end()):
                word = m.group("abbr").lower()
            else:
                end = m.end("f") if m.group("f") else m.end("n")
        add(m.start(), end, [("num", v * _EN_SCALE.get(word, Decimal(1)))])
    return sorted(out, key=lambda n: n.start)


def _sentence_start(text: str, i: int) -> bool:
    before = text[:i].rstrip()
    return not before or before[-1] in ".!?\"'"


def english_atoms(text: str) -> set[Atom]:
    """Atoms of English text: numbers and dates in digits, plus numbers written as words (three, twenty-five)."""
    from text_to_num import alpha2digit

    nums = english_numbers(text)
    atoms = {a for n in nums for a in n.atoms}
    masked = list(text)
    for n in nums:  # words only: digits already read (and 3.164 million must not become 3.164 1000000)
        masked[n.start:n.end] = "#" * (n.end - n.start)
    converted = alpha2digit("".join(masked), "en", threshold=0)
    atoms |= {a for n in english_numbers(converted) for a in n.atoms}
    return atoms


# --- matching ------------------------------------------------------------------------------------------
def satisfied(atom: Atom, have: set[Atom]) -> bool:
    kind, v = atom
    if atom in have:
        return True
    if kind == "pct":  # "57 per cent" is read as pct; a bare 57 next to "percent" written oddly is not enough
        return False
    if kind == "day":
        return ("num", Decimal(v)) in have or any(k == "date" and w[1] == v for k, w in have)
    if kind == "month":
        return any(k == "date" and w[0] == v for k, w in have)
    return False


def missing(fact: Fact, have: set[Atom]) -> list[Atom]:
    return [a for a in fact.atoms if not satisfied(a, have)]


def grounded(atom: Atom, source: set[Atom]) -> bool:
    """Is this English (or summary) atom backed by the source? A percentage may render a plain number and
    the other way round; a month is backed by any date in that month; a day by a date or day."""
    kind, v = atom
    if atom in source:
        return True
    if kind in ("num", "pct"):
        return ("pct" if kind == "num" else "num", v) in source or (
            kind == "num" and v == int(v) and 1 <= v <= 31 and ("day", int(v)) in source)
    if kind == "month":
        return any(k == "date" and w[0] == v for k, w in source)
    if kind == "date":
        return ("day", v[1]) in source
    return False


def digits_of(v: Decimal) -> str:
    """Significant digits, for pairing a wrong rendering with its source: 316.4万 and 316.4 million -> 3164."""
    return "".join(c for c in format(v.normalize(), "f") if c.isdigit()).strip("0")


_SPACED_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:, ?\d{3})*(?:\. ?\d+)?(?![\w,]|\.\d)|(?<![\w.,])\d+\. ?\d+(?![\w,]|\.\d)")


def join_spaced_numbers(english: str, source: str) -> str:
    """A number the model wrote with spaces in it ('24, 725. 21 square meters' for 24725.21平方米) written as one
    ('24,725.21'): only where the joined number is one of the source's and the pieces are not, so that a list
    ('aged 24, 725 others') or two sentences ('rose to 725. 21 more ...') are left as they are. A typographic fix
    (the value is the source's), which spares a re-translation for a number the checks would find wrong."""
    values = {v for kind, v in zh_atoms(extract_zh(source)) if kind in ("num", "pct")}

    def join(m: re.Match) -> str:
        if " " not in m.group():
            return m.group()
        joined = m.group().replace(" ", "")
        pieces = re.split(r"[,.] ", m.group())
        try:
            ok = Decimal(joined.replace(",", "")) in values and not all(Decimal(p.replace(",", "")) in values
                                                                         for p in pieces)
        except ArithmeticError:
            ok = False
        return joined if ok else m.group()

    return _SPACED_NUMBER.sub(join, english)
