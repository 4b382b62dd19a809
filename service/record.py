"""The article record: one JSON object per article, one line of the `.jsonl` output, made by
`Pipeline.postprocess` and read by the Markdown writer (`outputs.py`), the UI card (`render.py`) and evaluation.

Defined once here, as `TypedDict`s: the record stays a plain dict (JSONL readable without newsdesk, unchanged
by this type), and `tests/test_flags.py` fails when the pipeline writes a field not listed here or leaves one out.
The text as printed and the text as the model read it (OCR corrections applied, `*_read`) are both kept.
"""

from __future__ import annotations

from typing import TypedDict


class Person(TypedDict):
    name: str  # as printed
    role: str  # reporter | correspondent | photographer | editor | ...
    title: str  # the words before the name (融媒记者)
    en: str  # the name in pinyin


class HeadingPart(TypedDict):
    role: str  # kicker | main | subhead
    zh: str
    en: str


class FactCounts(TypedDict):
    checked: int
    verified: int
    repaired: int
    flagged: int


class Record(TypedDict):
    issue: str  # the input's name (an archive's path under its folder, without .txt)
    index: int  # the item's place on the page (0-based)
    kind: str  # news | photo | brief | editor_note | notice | ad | furniture
    kicker: str  # the heading as printed: kicker, main line, subheads
    headline: str
    subheads: list[str]
    dateline: str  # 本报讯, 新华社北京12月23日电, ...
    byline: str
    people: list[Person]
    paragraphs: list[str]  # the body as printed (lines joined across column breaks)
    text: str  # the paragraphs, one per line
    span: list[int]  # [start, end) characters of the input file
    kicker_read: str  # the same fields as the model read them (OCR corrections applied)
    headline_read: str
    subheads_read: list[str]
    paragraphs_read: list[str]
    corrections: list[dict]  # OCR corrections applied: kind, original, corrected, span, evidence
    items: list[dict]  # a brief's short items (their own index, headline, paragraphs, span)
    flags: list[dict]  # flags.Flag as dicts: kind, severity, message, field, paragraph, span, expected, found
    dateline_en: str
    byline_en: str
    kicker_en: str
    headline_en: str  # the main line
    subheads_en: list[str]
    heading: list[HeadingPart]  # every part of the heading with its English, in page order
    summary: str  # Chinese
    translation: str  # English, one paragraph per body paragraph (blank-line separated)
    facts: list[dict]  # every number, date, amount and name checked: source, expected, found, status (and
    # corrected_from: what the model wrote, for a number the check put right)
    fact_counts: FactCounts
    model: str  # the translation model's profile
    runtime: str  # llama.cpp | transformers | openai
    summary_model: str
    summary_length: str  # standard | short
    summary_candidates: int  # times the summary was written for the most typical to be kept (1: written once)
    prompt_version: str  # the template ids used (name@version)
    cached: bool  # every generation came from the cache


FIELDS = tuple(Record.__annotations__)  # in the order the pipeline writes them
