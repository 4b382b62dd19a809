"""News conventions: formulaic phrases, the agents a translation may name, judging words, and datelines.

Small tables, each in one place:
- `glossary/news-formulas.csv`: fixed phrases of Chinese news prose (记者从…了解到, 据悉, 近日, 图为 ...) with
  their faithful English. They are used like the glossary: written in English in place in the text the model
  reads (service/faithfulness/repair.py), and checked in its output (service/faithfulness/checks.py, `formula_missing`).
- `glossary/news-agents.csv`: who a translation may say said or did something (the government, police,
  officials, state media ...), with the Chinese words that name each. An English passage that names one its
  Chinese passage does not is flagged `agent_unsupported`: the model has invented a source.
- `glossary/news-appraisal.csv`: judging words (显著, 圆满, 有力 ...). A Chinese summary that uses one its article
  never uses is praising on its own account: `summary_appraisal` (service/faithfulness/checks.py).
- Datelines (本报北京1月2日讯, 新华社金边12月31日电): rendered here, without the model, as
  "Beijing, January 2 (Staff report)"; a place not in the glossary is written in pinyin and flagged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache

from service.chinese import CJK, jieba, split_sentences
from service.data import shipped
from service.faithfulness import facts as F
from service.faithfulness.glossary import Glossary, normalise_en
from service.page.names import pinyin_place

FORMULAS = shipped("glossary") / "news-formulas.csv"
AGENTS = shipped("glossary") / "news-agents.csv"
APPRAISAL = shipped("glossary") / "news-appraisal.csv"
SLOT = "…"
_SLOT_RE = r"([^，。；：！？、,.;:!?\n“”\"《》（）()]{1,20}?)"
# 日前 after a date or a numeral is "before" (12月31日前), not the formula "recently"
_NOT_AFTER = {"日前": "0-9０-９一二三四五六七八九十〇月"}


@dataclass(frozen=True)
class Formula:
    zh: str  # with `…` for a slot
    en: str  # preferred rendering, `…` where the slot goes
    accept: tuple[str, ...]
    note: str
    pattern: re.Pattern

    def pieces(self, rendering: str | None = None) -> list[str]:
        """The fixed English around the slot(s), in order (empty strings where nothing is written)."""
        return [p.strip() for p in (rendering or self.en).split(SLOT)]

    def present(self, english: str) -> bool:
        en = normalise_en(english)
        return any(all(normalise_en(p) in en for p in self.pieces(a) if p) for a in self.accept)


@dataclass(frozen=True)
class Match:
    formula: Formula
    start: int
    end: int
    # (start, end, English) of each fixed Chinese piece: written in place of it; the slots stay
    pieces: tuple[tuple[int, int, str], ...]


def _rows(path) -> list[dict]:
    text = path.read_text(encoding="utf-8-sig")
    lines = [x for x in text.splitlines() if x.strip() and not x.startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO("\n".join(lines)))]


@lru_cache(maxsize=1)
def formulas() -> tuple[Formula, ...]:
    out = []
    for row in _rows(FORMULAS):
        zh, accept = row["zh"], tuple(a.strip() for a in row["en"].split("|") if a.strip())
        slots = zh.count(SLOT)
        bad = [a for a in accept if a.count(SLOT) != slots]
        if bad:  # a shipped table error: fail loudly in tests, not quietly on a page
            raise ValueError(f"{FORMULAS}: {zh}: rendering {bad[0]!r} must have {slots} slot(s) '{SLOT}'")
        body = _SLOT_RE.join(re.escape(p) for p in zh.split(SLOT))
        guard = f"(?<![{_NOT_AFTER[zh]}])" if zh in _NOT_AFTER else ""
        out.append(Formula(zh, accept[0], accept, row.get("note", ""), re.compile(guard + body)))
    return tuple(sorted(out, key=lambda f: -len(f.zh)))


def find_formulas(text: str) -> list[Match]:
    """The news formulas of a Chinese text, longest first where they overlap, in text order."""
    taken: list[tuple[int, int]] = []
    out = []
    for f in formulas():
        for m in f.pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            en = f.pieces()
            fixed, pos = [], m.start()
            for k, piece in enumerate(f.zh.split(SLOT)):
                if k:
                    pos = m.end(k)  # after slot k
                fixed.append((pos, pos + len(piece), en[k]))
                pos += len(piece)
            out.append(Match(f, m.start(), m.end(), tuple(fixed)))
    return sorted(out, key=lambda m: m.start)


@dataclass(frozen=True)
class Agent:
    en: tuple[str, ...]
    zh: tuple[str, ...]
    pattern: re.Pattern


@lru_cache(maxsize=1)
def agents() -> tuple[Agent, ...]:
    out = []
    for row in _rows(AGENTS):
        en = tuple(a.strip() for a in row["en"].split("|") if a.strip())
        zh = tuple(c.strip() for c in row["zh"].split("|") if c.strip())
        words = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(en, key=len, reverse=True))
        out.append(Agent(en, zh, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)))
    return tuple(out)


@lru_cache(maxsize=1)
def appraisal_words() -> tuple[str, ...]:
    return tuple(row["word"] for row in _rows(APPRAISAL) if row["word"])


def added_appraisals(summary: str, article: str) -> list[str]:
    """The judging words of a Chinese summary that its article never uses (whole jieba words; words of three or
    more characters also inside longer ones), longest first, none inside another one found."""
    words = set(jieba().lcut(summary))
    found = [w for w in sorted(appraisal_words(), key=len, reverse=True)
             if (w in words or (len(w) >= 3 and w in summary)) and w not in article]
    return [w for w in found if not any(w != o and w in o for o in found)]


def unsupported_agents(source: str, english: str) -> list[tuple[str, Agent]]:
    """Agents the English names (as written there) that the Chinese passage names in none of their words. A
    longer agent ('the Chinese government') is judged before the shorter one inside it ('government')."""
    out, taken = [], []
    for a in agents():
        for m in a.pattern.finditer(english):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            if not any(c in source for c in a.zh) and all(m.group(0).lower() != x.lower() for x, _ in out):
                out.append((m.group(0), a))
    return out


# A summary sentence most of whose words the article never uses ("该活动吸引了大量观众，为当地的文化和旅游业带来了新的活力"
# for an article that says nothing of audiences or tourism) was written from the model's idea of such news, not
# from the article. Calibrated on the seed and dev pages' standard summaries (286 sentences of three or more
# words): the four below both limits are all inventions; the next ones (a place written 北京市 for 北京) are not.
UNSUPPORTED_SHARE = 0.4  # at most this share of the sentence's words are in the article ...
UNSUPPORTED_MIN = 3  # ... and at least this many are not


def unsupported_sentences(summary: str, article: str) -> list[tuple[str, list[str]]]:
    """The sentences of a Chinese summary whose words (jieba words of two or more characters) are mostly not in
    the article, each with the words that are not."""
    out = []
    for sentence in split_sentences(summary):
        words = [w for w in jieba().lcut(sentence) if len(w) >= 2 and CJK.search(w)]
        missing = [w for w in words if w not in article]
        if len(missing) >= UNSUPPORTED_MIN and len(words) - len(missing) <= UNSUPPORTED_SHARE * len(words):
            out.append((sentence.strip(), list(dict.fromkeys(missing))))
    return out


# --- datelines ----------------------------------------------------------------------------------------------
# who files the report: the newspaper itself, or an agency
AGENCIES = {"本报": "Staff report", "新华社": "Xinhua", "中新社": "China News Service", "人民日报": "People's Daily",
            "央视": "CCTV", "人民网": "People's Daily Online", "新华网": "Xinhuanet", "中新网": "Chinanews.com"}
_DATELINE = re.compile(rf"^(?P<agency>{'|'.join(sorted(AGENCIES, key=len, reverse=True))})"
                       r"(?:(?P<place>[\u4e00-\u9fff]{2,6}?)(?=\d|[〇零一二三四五六七八九十]|讯|电))?"
                       r"(?P<date>(?:[\d〇零一二三四五六七八九十]{2,4}年)?[\d一二三四五六七八九十]{1,2}月[\d一二三四五六七八九十]{1,3}日)?"
                       r"(?P<kind>讯|电)$")


@dataclass(frozen=True)
class Dateline:
    en: str  # "Beijing, January 2 (Xinhua)"; "" when the dateline is not in a known form
    place: str = ""  # the place as written
    place_en: str = ""
    place_checked: bool = True  # False: the place is not in the glossary, and its English is pinyin


def dateline_en(dateline: str, glossary: Glossary | None = None) -> Dateline:
    """本报讯 -> (Staff report); 本报北京1月2日讯 -> Beijing, January 2 (Staff report); 新华社金边12月31日电 ->
    Phnom Penh, December 31 (Xinhua). Places come from the glossary, else pinyin (place_checked False)."""
    m = _DATELINE.match(dateline.strip())
    if not m:
        return Dateline("")
    parts = []
    place, place_en, checked = m.group("place") or "", "", True
    if place:
        entry = (glossary.entries if glossary else {}).get(place)
        place_en, checked = (entry.en, True) if entry else (pinyin_place(place), False)
        parts.append(place_en)
    if m.group("date"):
        dates = [f for f in F.extract_zh(m.group("date")) if f.kind in ("date", "month")]
        parts.append(dates[0].english if dates else m.group("date"))
    agency = f"({AGENCIES[m.group('agency')]})"
    return Dateline(f"{', '.join(parts)} {agency}" if parts else agency, place, place_en, checked)


# --- statements added to a phrase ---------------------------------------------------------------------------
# A short Chinese line with no verb, adjective or idiom (a kicker such as 行道树, a photo title, a column name)
# names something; it says nothing about it. Its English may not either: an auxiliary or modal verb in it
# ("Street trees are being removed") is a statement the model added. jieba's part-of-speech tags decide what is
# a phrase: nouns (n*), numerals and measure words (m, q), places, times and directions (s, t, f), pronouns (r),
# abbreviations (j), distinguishing words (b), function words (c, p, u) and non-words (x, eng); not a noun of one
# character, which is often a verb the dictionary tags as a noun.
PHRASE_MAX = 16  # Chinese characters: a headline part or a caption, not a sentence of the body
_PHRASE_TAGS = ("n", "m", "q", "s", "t", "f", "r", "j", "b", "c", "p", "u", "x", "eng")
_STATEMENT = re.compile(r"\b(?:is|are|was|were|be|being|been|has|have|had|will|would|shall|should|can|could|may|"
                        r"might|must)\b", re.IGNORECASE)


def added_statement(source: str, english: str) -> str | None:
    """The verb that makes the English of a verbless Chinese phrase a statement (`are` in 'Street trees are being
    removed' for 行道树), or None: the source is a sentence, longer than PHRASE_MAX characters, or the English
    states nothing."""
    chars = len(CJK.findall(source))
    if not chars or chars > PHRASE_MAX:
        return None
    m = _STATEMENT.search(english)
    if m is None:
        return None
    import jieba.posseg as pseg

    jieba()
    words = [w for w in pseg.cut(source.strip()) if w.word.strip()]
    # a one-character "noun" is often a verb jieba's dictionary tags as a noun (结 in 我市SCORE项目结硕果)
    if all(w.flag.startswith(_PHRASE_TAGS) and not (len(w.word) == 1 and w.flag.startswith("n")) for w in words):
        return m.group(0)
    return None
