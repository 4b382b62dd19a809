"""Flags: what a reader must check, said next to the text it concerns.

Every flag of a record -- from reading the file (ingest), splitting the page (segment), the OCR step (ocr), the
faithfulness checks (checks) or the dateline (pipeline) -- is made here, by `flag()`, as a `Flag` and written into
the record as a plain dict (JSONL stays readable without newsdesk). A flag always says where it belongs:

- `field`: the part of the record it concerns -- "source" (the text as printed: OCR defects, continuations, the
  file itself), "headline", "byline" (byline and dateline), "summary" or "translation";
- `paragraph`: the body paragraph (0-based) of a translation flag, when it concerns one;
- `span`: the characters of the original file it concerns;
- `expected` / `found`: what should be there and what is.

The UI card and the Markdown writer place a flag by its `field` (`field_of`), never by reading its message.
`KINDS` lists every kind with the field and severity it has unless the flag says otherwise; records written before
flags carried `field` are placed by it too.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELDS = ("source", "headline", "byline", "summary", "translation")
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Kind:
    field: str
    severity: str
    about: str


KINDS: dict[str, Kind] = {k: Kind(*v) for k, v in {
    # the file and the page (ingest, segment, ocr)
    "html_extracted": ("source", "warning", "the file was an HTML page; its text was read out of the markup"),
    "control_removed": ("source", "warning", "invisible control characters were removed from the text"),
    "no_headline": ("headline", "warning", "no headline could be told from the text; the page is one article"),
    "possible_split": ("headline", "warning", "the line taken for this headline may be a paragraph's first line"),
    "continued": ("source", "info", "the article continues on, or comes from, another page"),
    "ocr_doubled": ("source", "warning", "a character seems doubled by the OCR"),
    "ocr_dropped": ("source", "warning", "a character seems dropped by the OCR"),
    "ocr_swapped": ("source", "warning", "two characters seem swapped by the OCR"),
    "dateline_unknown": ("byline", "info", "a dateline in no form newsdesk knows, left untranslated"),
    "dateline_place_unverified": ("byline", "info", "a dateline place written in pinyin, not from the glossary"),
    # the generated text (checks)
    "truncated": ("translation", "warning", "the model stopped at the length limit"),
    "empty_output": ("translation", "warning", "the model returned nothing"),
    "untranslated": ("translation", "warning", "Chinese left in the English"),
    "term_filled": ("translation", "warning", "a word left in Chinese was filled in from a look-up (an info where CC-CEDICT agrees)"),
    "number_mismatch": ("translation", "warning", "a number differs from the source"),
    "number_unsupported": ("translation", "warning", "a number the source does not have"),
    "name_missing": ("translation", "warning", "a name not rendered as it should be"),
    "term_missing": ("translation", "info", "a glossary term not rendered as the glossary has it"),
    "formula_missing": ("translation", "info", "a news formula not rendered as the table has it"),
    "agent_unsupported": ("translation", "warning", "the English names a source the Chinese does not"),
    "number_corrected": ("translation", "info", "a number still wrong after a re-translation, put right by the check"),
    "statement_added": ("translation", "warning", "the English states something about a phrase that has no verb"),
    "omission": ("translation", "warning", "the English is short for its source; part may be missing"),
    "inconsistent_rendering": ("translation", "info", "a term rendered in more than one way in one article"),
    "summary_unmerged": ("summary", "warning", "the summary lists the summaries of a long article's parts"),
    "no_body": ("summary", "info", "the item has no body text to summarise"),
    "summary_not_chinese": ("summary", "warning", "the summary is not in Chinese"),
    "summary_repeats_headline": ("summary", "warning", "the summary only restates the headline"),
    "summary_length": ("summary", "info", "the summary is not of the length asked for"),
    "summary_ocr_copied": ("summary", "warning", "the summary copies an OCR defect of the page"),
    "summary_sentence_removed": ("summary", "info", "a summary sentence not from the article, taken out"),
    "summary_unsupported": ("summary", "warning", "a summary sentence mostly in words the article does not use"),
    "summary_appraisal": ("summary", "warning", "the summary judges (显著, 圆满 ...) where the article does not"),
    "summary_number_ungrounded": ("summary", "warning", "a number in the summary is not in the article"),
}.items()}


@dataclass(frozen=True)
class Flag:
    kind: str
    message: str
    severity: str | None = None  # default: the kind's
    field: str | None = None  # default: the kind's
    paragraph: int | None = None
    span: tuple[int, int] | list[int] | None = None
    expected: object = None
    found: object = None
    extra: tuple[tuple[str, object], ...] = ()  # more keys a step records (the OCR step's `applied`)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"flag kind {self.kind!r} is not in flags.KINDS: add it there with its field")
        for name, value, allowed in (("field", self.field, FIELDS), ("severity", self.severity, SEVERITIES)):
            if value is not None and value not in allowed:
                raise ValueError(f"flag {self.kind}: {name} {value!r} is not one of {', '.join(allowed)}")

    def as_dict(self) -> dict:
        """The record's form: kind, severity, message, field, then where and what, when known."""
        kind = KINDS[self.kind]
        out = {"kind": self.kind, "severity": self.severity or kind.severity, "message": self.message,
               "field": self.field or kind.field}
        if self.paragraph is not None:
            out["paragraph"] = self.paragraph
        if self.span is not None:
            out["span"] = list(self.span)
        if self.expected is not None:
            out["expected"] = self.expected
        if self.found is not None:
            out["found"] = self.found
        out.update(self.extra)
        return out


def flag(kind: str, message: str, *, severity: str | None = None, field: str | None = None,
         paragraph: int | None = None, span=None, expected=None, found=None, **extra) -> dict:
    """A flag as it goes into a record (see `Flag`)."""
    return Flag(kind, message, severity, field, paragraph, span, expected, found, tuple(extra.items())).as_dict()


def field_of(f: dict) -> str:
    """The part of a record a flag belongs to: its `field`; for a flag written without one, its kind's."""
    if f.get("field") in FIELDS:
        return f["field"]
    kind = KINDS.get(str(f.get("kind", "")))
    return kind.field if kind else "source"
