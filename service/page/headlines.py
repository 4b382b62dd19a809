"""Headline structure: a Chinese news headline is often three headlines in one (引题 kicker, 主题 main
headline, 副题 subheads), and OCR often joins them on one line with spaces between them:

    聚焦社区卫生服务中心建设 提升基层医疗服务能力 江南街道开展民生实事项目推进视察

Translated as one string the parts run together ("... Improve Local Medical Services Jiangnan Subdistrict Conduct
..."). So each part is translated on its own, with a headline-style prompt (prompts/headline.toml), and the
English is put together with the separators English news uses (`heading_line`: "Kicker: Main headline — subhead").

Which part is which, when segmentation found separate lines (segment.py: kicker, headline, subheads), is taken
from there. A one-line heading is split at its spaces into *decks*: two neighbouring parts of nearly the same length
(at most one character apart, each of four or more) are a couplet, one deck (多元赋能养老 精准救助帮扶); any other
part is a deck of its own. The main headline is then
- the last deck, when it is a single part without a comma (the kicker couplet comes first: the usual 引题 + 主题);
- otherwise the first deck, and the rest are subheads (主题 + a couplet or an explanatory 副题 after it).
This is a heuristic from the page's layout conventions, not a certainty (there are no type sizes in plain text);
a wrong choice changes only which English part is called the main headline, never what is translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.page.segment import Item

KICKER, MAIN, SUBHEAD = "kicker", "headline", "subhead"
# what the headline prompt is told the line is
LABELS = {KICKER: "Kicker (the line above the main headline)", MAIN: "Main headline",
          SUBHEAD: "Subheadline (the line below the main headline)"}
PHOTO_LABEL = "Title of a news photo"
_GAP = re.compile(r"[ \u3000\t]+")
_COMMA = re.compile(r"[，,；;]")


@dataclass(frozen=True)
class HeadPart:
    role: str  # kicker | headline | subhead
    zh: str  # the part as the model reads it

    @property
    def label(self) -> str:
        return LABELS[self.role]


def _size(text: str) -> int:
    return len(re.sub(r"\s", "", text))


def decks(line: str) -> list[str]:
    """A one-line heading split at its spaces, neighbouring near-equal parts kept together as couplets."""
    parts = [p for p in _GAP.split(line.strip()) if p]
    out: list[str] = []
    k = 0
    while k < len(parts):
        a = parts[k]
        b = parts[k + 1] if k + 1 < len(parts) else None
        if b is not None and min(_size(a), _size(b)) >= 4 and abs(_size(a) - _size(b)) <= 1:
            out.append(f"{a} {b}")
            k += 2
        else:
            out.append(a)
            k += 1
    return out


def heading_parts(item: Item) -> list[HeadPart]:
    """The parts of an item's heading, in page order, each with its role."""
    if item.kicker or item.subheads:  # lines of their own: segmentation said which is which
        return ([HeadPart(KICKER, item.kicker)] if item.kicker else []) + \
            ([HeadPart(MAIN, item.headline)] if item.headline.strip() else []) + \
            [HeadPart(SUBHEAD, s) for s in item.subheads if s.strip()]
    if not item.headline.strip():
        return []
    ds = decks(item.headline)
    if len(ds) == 1:
        return [HeadPart(MAIN, ds[0])]
    last = ds[-1]
    if " " not in last and not _COMMA.search(last):
        return [HeadPart(KICKER, d) for d in ds[:-1]] + [HeadPart(MAIN, last)]
    return [HeadPart(MAIN, ds[0])] + [HeadPart(SUBHEAD, d) for d in ds[1:]]


_ABBREVIATION = re.compile(r"(?:\b(?:Co|Corp|Inc|Ltd|Jr|Sr|St|No|etc|[A-Z])|\.[A-Za-z])\.$")


# the prompt's own label for the part (LABELS, PHOTO_LABEL: the words before any bracket), or its short form,
# copied by the model in front of its answer ('Main headline: ...')
_LABEL_ECHO = re.compile(
    r"^(?:" + "|".join(sorted({re.escape(x.split(" (")[0]) for x in [*LABELS.values(), PHOTO_LABEL]}
                              | {"headline", "subhead"}, key=len, reverse=True)) + r")\s*[:：]\s*", re.IGNORECASE)


def as_headline(english: str) -> str:
    """A heading part's English as English news prints it: without the label the prompt gave it ('Main headline:
    Power station in Yulin is operational': 10 of 109 parts of the seed and dev pages) and without the full stop
    the model sometimes ends it with ('Street trees.' -> 'Street trees'); an abbreviation's point (Co., U.S.)
    stays."""
    text = _LABEL_ECHO.sub("", english.strip())
    if text.endswith(".") and not text.endswith("..") and not _ABBREVIATION.search(text):
        text = text[:-1].rstrip()
    return text


def heading_line(kicker: str, headline: str, subheads: list[str]) -> str:
    """The English heading on one line: 'Kicker: Main headline — subhead'."""
    line = headline.strip()
    if kicker.strip():
        line = f"{kicker.strip().rstrip(':')}: {line}" if line else kicker.strip()
    for s in subheads:
        if s.strip():
            line = f"{line} — {s.strip()}" if line else s.strip()
    return line
