"""Checks on generated text. Every problem becomes a flag in the output; nothing is silently dropped.

A flag is a dict: `kind`, `message`, and where known `span` (character offsets into the original file),
`expected` and `found`. The checks here cover the mechanics of generation (cut-off output, untranslated Chinese,
a summary that is not Chinese or not 2-4 sentences); the faithfulness of facts is checked separately.
"""

from __future__ import annotations

import re

from .chinese import CJK, cjk_share, split_sentences
from .generate import Draft, Job

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def flag(kind: str, message: str, *, span=None, expected=None, found=None, severity: str = "warning") -> dict:
    out = {"kind": kind, "severity": severity, "message": message}
    if span is not None:
        out["span"] = list(span)
    if expected is not None:
        out["expected"] = expected
    if found is not None:
        out["found"] = found
    return out


def job_span(d: Draft, job: Job) -> list[int] | None:
    """Original-file span of a translation chunk (or the whole item for other jobs)."""
    if job.role != "translate":
        return list(d.item.span)
    p, c = job.seq[0], job.seq[1]
    before = sum(len(j.source) for j in d.of("translate") if j.seq[0] == p and j.seq[1] < c)
    return d.item.locate(p, before, before + len(job.source))


def check_generation(d: Draft) -> list[dict]:
    flags = []
    for j in d.jobs:
        if j.result is None:
            continue
        where = "translation" if j.role in ("translate", "headline") else "summary"
        if not j.result.finished and j.template != "none":
            flags.append(flag("truncated", f"the model's {where} of this passage stopped at the length limit "
                              f"({j.max_new} tokens) and may be cut off; check it against the source.",
                              span=job_span(d, j), found=j.result.text[-80:]))
        if j.role in ("translate", "headline"):
            if j.source.strip() and not j.result.text.strip():
                flags.append(flag("empty_output", "the model returned no translation for this passage.",
                                  span=job_span(d, j), expected=j.source))
            runs = _CJK_RUN.findall(j.result.text)
            if runs:
                flags.append(flag("untranslated", "the English translation still contains Chinese: "
                                  + "、".join(runs[:5]), span=job_span(d, j), found=runs))
        if j.template == "none" and j.role == "merge":
            flags.append(flag("summary_unmerged", "the article is too long for the model to summarise in one "
                              "piece; the summary lists the summaries of its parts.", span=list(d.item.span)))
    return flags


def check_summary(d: Draft) -> list[dict]:
    summary = d.summary
    if not d.item.paragraphs:
        return [flag("no_body", "this item has no body text, only a headline; nothing to summarise.",
                     span=list(d.item.span), severity="info")]
    if not summary.strip():
        return [flag("empty_output", "the model returned no summary.", span=list(d.item.span))]
    flags = []
    if cjk_share(summary) < 0.5 or not CJK.search(summary):
        flags.append(flag("summary_not_chinese", "the summary is not in Chinese.", found=summary[:80]))
    n = len([s for s in split_sentences(summary) if s.strip()])
    if not 2 <= n <= 4 and len(summary) > 0:
        flags.append(flag("summary_length", f"the summary has {n} sentence(s), not 2-4.", expected="2-4",
                          found=n, severity="info"))
    return flags


def run_all(d: Draft) -> list[dict]:
    return check_generation(d) + check_summary(d)
