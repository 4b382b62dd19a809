"""The Chinese-text toolkit shared by every step: character classes, jieba (loaded once), CJK detection and
sentence splitting. Surname tables and people's names are in `names.py`."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

# Character ranges, as regex fragments (raw escapes, for use inside [...]); the patterns of every module are built
# from these. UNIFIED is what jieba's dictionary and the layout rules know; IDEOGRAPH adds the rare characters of
# Extension A and the compatibility ideographs some OCR engines and legacy encodings produce.
UNIFIED = r"\u4e00-\u9fff"  # CJK Unified Ideographs
EXT_A = r"\u3400-\u4dbf"  # CJK Unified Ideographs Extension A
COMPAT = r"\uf900-\ufaff"  # CJK Compatibility Ideographs
IDEOGRAPH = EXT_A + UNIFIED + COMPAT

CJK = re.compile(f"[{IDEOGRAPH}]")  # any Chinese character
CJK_RUN = re.compile(f"[{IDEOGRAPH}]+")
# Only the unified block. The OCR rules use it on purpose: a rare or compatibility character next to a word is no
# evidence about that word (jieba never makes it part of one), so it is treated like punctuation there.
UNIFIED_CHAR = re.compile(f"[{UNIFIED}]")


@lru_cache(maxsize=1)
def jieba():
    """The jieba module with its default dictionary loaded (once per process) and its logging quiet."""
    import jieba as jb

    jb.setLogLevel(logging.WARNING)
    jb.initialize()
    return jb


# A sentence ends at 。！？ (or their half-width forms, or …), plus any closing quotes/brackets right after.
_SENTENCE = re.compile(r"[^。！？!?…]*(?:[。！？!?]+|…+|$)[”’」』\"')）]*")
_CLAUSE = re.compile(r"[^，,；;：:、]*(?:[，,；;：:、]+|$)")


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among the letters of `text` (0.0 when there are no letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if CJK.match(c)) / len(letters)


def split_sentences(text: str) -> list[str]:
    """Split at sentence-final punctuation; the pieces concatenate back to `text` exactly."""
    return [s for s in _SENTENCE.findall(text) if s]


def split_clauses(text: str) -> list[str]:
    """Split at commas, semicolons, colons and enumeration commas; concatenates back exactly."""
    return [s for s in _CLAUSE.findall(text) if s]


def fill_in(english: str, words: dict[str, str]) -> str:
    """English text with the Chinese words it still holds replaced by their English from `words` (a whole run
    of Chinese characters at a time), kept apart from neighbouring words; an enumeration comma left between
    English words becomes ", "."""
    if not words:
        return english

    def sub(m: re.Match) -> str:
        en = words.get(m.group())
        if en is None:
            return m.group()
        before, after = english[m.start() - 1:m.start()], english[m.end():m.end() + 1]
        prior = english[:m.start()].rstrip()[-1:]
        if prior and prior not in ".!?" and not (len(en.split()) > 1 and en.istitle()):
            en = en[:1].lower() + en[1:]  # mid-sentence: "overall clearance efficiency", not a Title Case name
        left = before.isascii() and not before.isspace() and before not in "([{\"'“‘/-"
        return (" " if before and left else "") + en + (" " if after.isascii() and after.isalnum() else "")

    return re.sub(r"(?<=[!-~])\s*、\s*(?=[!-~])", ", ", CJK_RUN.sub(sub, english))


# A list marker at the start of a line: 1. 1、 (1) （一） 一、 - • (not the "3." of "3.5亿").
_POINT = re.compile(r"^\s*(?:[（(]?(?:\d{1,2}|[一二三四五六])[)）]|(?:\d{1,2}|[一二三四五六])[.、．:：](?!\d)|[-*•·])\s*")
_LABEL = re.compile(r"^\s*(?:摘要|要点|概括)\s*[:：]\s*")


_HALF = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_NEXT_TO_CJK = re.compile(f"(?<=[{UNIFIED}])[,;:?!]|[,;:?!](?=[{UNIFIED}])")


def full_width(text: str) -> str:
    """Half-width commas, semicolons, colons, question and exclamation marks next to a Chinese character as
    Chinese text writes them (，；：？！). A summary copies the OCR's half-width punctuation ("完成91户,累计"); a
    figure's comma (3,060) or an English name's punctuation is left as it is."""
    return _HALF_NEXT_TO_CJK.sub(lambda m: _HALF[m.group()], text)


def as_prose(text: str) -> str:
    """A Chinese summary written as points (one per line, "1. ...") as running prose: the markers and a leading
    "摘要：" removed, each point closed with "。" when it has no end punctuation, a point whose words an earlier
    one already holds (a small model pads a short article's three points so) left out, lines
    joined, half-width punctuation next to Chinese made full-width (`full_width`). One line of prose comes back as
    it was (stripped, punctuation made full-width). Nothing is added but the full stops."""
    lines = [full_width(ln.strip()) for ln in _LABEL.sub("", text.strip()).splitlines() if ln.strip()]
    if len(lines) == 1 and not _POINT.match(lines[0]):
        return lines[0]
    out = []
    for ln in lines:
        ln = _POINT.sub("", ln).strip()
        if not ln:
            continue
        if ln[-1] not in "。！？!?…”’」』":
            ln = ln.rstrip("，,；;、") + "。"
        core = _bare(ln).removeprefix("这是").removeprefix("该")
        if out and core and any(core in _bare(o) for o in out):
            continue
        out.append(ln)
    return "".join(out)


def _bare(text: str) -> str:
    return "".join(c for c in text if c.isalnum())
