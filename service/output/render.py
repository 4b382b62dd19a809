"""HTML for the web UI: one card per article (headline zh / en, byline, summary and translation side by side),
with every flag shown as a visible warning next to the part of the card it concerns.

Records are rendered generically, so fields other steps add later show up without changes here: flags are read
from `record["flags"]` (kind, severity, message, field, and where known paragraph, span, expected, found;
service/flags.py), placed by their field, optional fields
such as `byline_en` are shown when present, and any other field appears under "More fields".
Every piece of text is HTML-escaped.
"""

from __future__ import annotations

import html
import itertools
import json

from service.flags import field_of

# Fields a card shows in its own place; anything else in a record goes under "More fields".
_SHOWN = {"issue", "index", "kind", "kicker", "items", "headline", "subheads", "headline_en", "kicker_en", "subheads_en",
          "heading", "dateline", "dateline_en", "byline",
          "byline_en", "people", "paragraphs", "text", "span", "summary", "translation", "flags", "model",
          "summary_model", "prompt_version", "cached", "facts", "fact_counts"}
_ICON = {"error": "⛔", "warning": "⚠", "info": "ℹ"}


def esc(x) -> str:
    return html.escape(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False), quote=True)


def _clip(x, n: int = 160) -> str:
    s = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
    return s if len(s) <= n else s[: n - 1] + "…"


def flag_section(f: dict, rec: dict | None = None) -> str:
    """The part of a card a flag concerns: its `field` (flags.field_of; older records: its kind's)."""
    return field_of(f)


def flag_html(f: dict, source: str | None = None) -> str:
    sev = f.get("severity") or "warning"
    parts = [(f'<span class="nd-flag-kind">{_ICON.get(sev, "⚠")} {esc(f.get("kind", "flag"))}</span> '
              f'<span class="nd-flag-msg">{esc(f.get("message", ""))}</span>')]
    span = f.get("span")
    if span and len(span) == 2:
        where = f"chars {span[0]}–{span[1]}"
        if source is not None and 0 <= span[0] < span[1] <= len(source):
            where += f': “<span lang="zh">{esc(_clip(source[span[0]:span[1]], 60))}</span>”'
        parts.append(f'<span class="nd-flag-where">{where}</span>')
    for key in ("expected", "found"):
        if f.get(key) not in (None, "", []):
            parts.append(f'<span class="nd-flag-{key}">{key}: {esc(_clip(f[key]))}</span>')
    return (f'<div class="nd-flag nd-{esc(sev)}" role="note" data-kind="{esc(f.get("kind", ""))}" '
            f'data-severity="{esc(sev)}">' + " · ".join(parts) + "</div>")


def _found_pieces(f: dict) -> list[str]:
    found = f.get("found")
    pieces = [found] if isinstance(found, str) else found if isinstance(found, list) else []
    return [p for p in pieces if isinstance(p, str) and p.strip()]


def _flags(rec: dict, section: str, source: str | None, only: list[dict] | None = None) -> str:
    mine = only if only is not None else [f for f in rec.get("flags") or [] if flag_section(f, rec) == section]
    return "".join(flag_html(f, source) for f in mine)


def translation_paragraph(f: dict, rec: dict, paras: list[str], source: str | None) -> int | None:
    """Which paragraph of the English translation a flag concerns: its `paragraph`; for a flag without one (older
    records), the paragraph holding its `found` text, else the one translating the source paragraph its span
    points into; None when neither says (the flag goes under the translation)."""
    if isinstance(f.get("paragraph"), int) and 0 <= f["paragraph"] < len(paras):
        return f["paragraph"]
    pieces = _found_pieces(f)
    if pieces:
        hits = [k for k, t in enumerate(paras) if all(p in t for p in pieces)]
        if len(hits) == 1:
            return hits[0]
    span, src = f.get("span"), rec.get("paragraphs") or []
    if source is not None and span and len(span) == 2 and len(paras) == len(src):
        snippet = source[span[0]:span[1]].replace("\r", "").replace("\n", "")
        hits = [k for k, p in enumerate(src) if snippet and snippet in p]
        if len(hits) == 1:
            return hits[0]
    return None


def _translation(rec: dict, source: str | None) -> str:
    """The translation paragraph by paragraph, each followed by the flags that concern it."""
    paras = (rec.get("translation") or "—").split("\n\n")
    at: dict[int | None, list[dict]] = {}
    for f in rec.get("flags") or []:
        if flag_section(f, rec) == "translation":
            at.setdefault(translation_paragraph(f, rec, paras, source), []).append(f)
    return "".join(f'<div class="nd-text nd-para" lang="en">{esc(p)}</div>{_flags(rec, "", source, at.get(k, []))}'
                   for k, p in enumerate(paras)) + _flags(rec, "", source, at.get(None, []))


MARK_MAX = 40  # characters: a flag pointing at more (a whole passage) marks only its found text inside it


def _mark_ranges(f: dict, s0: int, s1: int, source: str) -> list[tuple[int, int]]:
    """The characters of the article [s0, s1) a flag points at: its span when short, else the places its found
    text occurs inside its span."""
    span = f.get("span")
    if not span or len(span) != 2 or span[0] >= s1 or span[1] <= s0:
        return []
    a, b = max(s0, span[0]), min(s1, span[1])
    if b - a <= MARK_MAX:
        return [(a, b)]
    out = []
    for piece in _found_pieces(f):
        at = source.find(piece, a, b)
        while at != -1:
            out.append((at, at + len(piece)))
            at = source.find(piece, at + len(piece), b)
    return out


def _marked(source: str, span: list[int], flags: list[dict]) -> str:
    """The article's original text with the characters flags point at marked (their messages as titles)."""
    s0, s1 = span
    ranges = [(a, b, f) for f in flags for a, b in _mark_ranges(f, s0, s1, source)]
    cuts = sorted({s0, s1, *(a for a, _, _ in ranges), *(b for _, b, _ in ranges)})
    out = []
    for a, b in itertools.pairwise(cuts):
        over = list({id(f): f for x, y, f in ranges if x <= a and b <= y}.values())
        piece = esc(source[a:b])
        if over:
            title = esc("; ".join(f"{f.get('kind')}: {f.get('message', '')}" for f in over))
            piece = f'<mark title="{title}">{piece}</mark>'
        out.append(piece)
    return "".join(out)


def _people(people: list[dict]) -> str:
    names = []
    for p in people or []:
        extra = " ".join(str(p[k]) for k in ("name_en", "pinyin") if p.get(k))
        role = p.get("title") or p.get("role", "")
        names.append(f'{esc(p.get("name", ""))}{" " + esc(extra) if extra else ""}{f" ({esc(role)})" if role else ""}')
    return ", ".join(names)


def _byline(d: dict) -> str:
    meta = [x for x in (d.get("dateline"), d.get("byline")) if x]
    meta_en = [x for x in (d.get("dateline_en"), d.get("byline_en")) if x]
    if not (meta or meta_en or d.get("people")):
        return ""
    line = f'<span lang="zh">{esc(" · ".join(meta))}</span>' if meta else ""
    if meta_en:
        line += f' <span class="nd-byline-en" lang="en">{esc(" · ".join(meta_en))}</span>'
    if d.get("people"):
        line += f' <span class="nd-people">— {_people(d["people"])}</span>'
    return f'<div class="nd-byline">{line}</div>'


def _parts(rec: dict, source: str | None) -> str:
    """The short items of a brief (headline, dateline, byline, their own flags); their text is in the article's."""
    rows = [f'<li><span lang="zh">{esc(p.get("headline") or "—")}</span>{_byline(p)}'
            + "".join(flag_html(f, source) for f in p.get("flags") or []) + "</li>" for p in rec.get("items") or []]
    return f'<ul class="nd-parts">{"".join(rows)}</ul>' if rows else ""


def _facts(rec: dict) -> str:
    """How many numbers, dates, names and terms were checked, and with what result (the flagged ones have flags):
    the record's `fact_counts`."""
    counts = rec.get("fact_counts")
    if not isinstance(counts, dict) or not counts.get("checked"):
        return ""
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if status != "checked" and n)
    return (f'<div class="nd-facts" data-checked="{counts["checked"]}">Facts (numbers, dates, names, terms): '
            f"{counts['checked']} checked — {esc(parts)}</div>")


def _corrections(rec: dict) -> str:
    """The OCR corrections the model read (service/page/ocr.py), a line each (安管理 → 安全管理); the source text above
    them stays as printed."""
    rows = "".join(f'<li data-kind="{esc(c.get("kind", ""))}"><span lang="zh">{esc(c.get("original", ""))} → '
                   f'{esc(c.get("corrected", ""))}</span> <span class="nd-flag-where">chars '
                   f'{esc(c["span"][0] if c.get("span") else "?")}–{esc(c["span"][1] if c.get("span") else "?")}'
                   "</span></li>" for c in rec.get("corrections") or [])
    return (f'<div class="nd-corrections">OCR corrections (the model read the corrected text):<ul>{rows}</ul></div>'
            if rows else "")


# the text the model read is the printed text with the corrections listed above: not repeated under "More fields"
_SHOWN |= {"kicker_read", "headline_read", "subheads_read", "paragraphs_read", "corrections"}


def card(rec: dict, source: str | None = None) -> str:
    """One finished article. `source` is the whole original text (the pasted page), for quoting flagged spans."""
    flags = rec.get("flags") or []
    n_flags = len(flags) + sum(len(p.get("flags") or []) for p in rec.get("items") or [])
    i = rec.get("index", 0)
    kind = rec.get("kind", "")
    span = rec.get("span") or [0, 0]
    n_warn = sum(1 for f in flags if f.get("severity", "warning") != "info")
    badge = (f'<span class="nd-badge{" nd-badge-warn" if n_warn else ""}">{n_flags} flag{"s" if n_flags != 1 else ""}'
             "</span>" if n_flags else "")
    h = [f'<article class="nd-card nd-done" data-index="{i}" data-kind="{esc(kind)}" data-flags="{n_flags}">',
         '<header class="nd-head">',
         f'<div class="nd-num">#{i + 1} · {esc(kind)}{" · cached" if rec.get("cached") else ""} {badge}</div>']
    if rec.get("kicker"):
        h.append(f'<div class="nd-kicker" lang="zh">{esc(rec["kicker"])}</div>')
    h.append(f'<h3 class="nd-hl-zh" lang="zh">{esc(rec.get("headline") or "(no headline)")}</h3>')
    for s in rec.get("subheads") or []:
        h.append(f'<div class="nd-subhead" lang="zh">{esc(s)}</div>')
    if rec.get("kicker_en"):
        h.append(f'<div class="nd-kicker nd-kicker-en" lang="en">{esc(rec["kicker_en"])}</div>')
    h.append(f'<h3 class="nd-hl-en" lang="en">{esc(rec.get("headline_en") or "—")}</h3>')
    for s in rec.get("subheads_en") or []:
        h.append(f'<div class="nd-subhead nd-subhead-en" lang="en">{esc(s)}</div>')
    h.append(_flags(rec, "headline", source))
    h.append(_byline(rec))
    h.append(_flags(rec, "byline", source))
    h.append(_parts(rec, source))
    h.append(_facts(rec))
    h.append("</header>")
    if source is not None and 0 <= span[0] < span[1] <= len(source):
        original = _marked(source, span, flags)
    else:
        original = esc(rec.get("text", ""))
    h.append('<div class="nd-cols">'
             f'<section class="nd-summary"><h4>摘要 · Chinese summary</h4>'
             f'<div class="nd-text nd-summary-text" lang="zh">{esc(rec.get("summary") or "—")}</div>'
             f'{_flags(rec, "summary", source)}'
             f'<details class="nd-source" open><summary>原文 · source text (chars {span[0]}–{span[1]})</summary>'
             f'<div class="nd-text" lang="zh">{original}</div></details>{_corrections(rec)}'
             f'{_flags(rec, "source", source)}</section>'
             f'<section class="nd-translation"><h4>English translation</h4>{_translation(rec, source)}'
             "</section></div>")
    extra = {k: v for k, v in rec.items() if k not in _SHOWN}
    if extra:
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(_clip(v, 600))}</td></tr>" for k, v in extra.items())
        h.append(f'<details class="nd-extra"><summary>More fields</summary><table>{rows}</table></details>')
    h.append("</article>")
    return "".join(h)


def pending_card(item) -> str:
    """An article found on the page whose outputs are still being generated."""
    return (f'<article class="nd-card nd-pending" data-index="{item.index}" data-kind="{esc(item.kind)}">'
            f'<header class="nd-head"><div class="nd-num">#{item.index + 1} · {esc(item.kind)} · working…</div>'
            f'<h3 class="nd-hl-zh" lang="zh">{esc(item.headline or "(no headline)")}</h3></header>'
            f'<div class="nd-wait">summary and translation in progress</div></article>')


def cards(items: list, records: dict[int, dict], source: str | None = None, state: str = "running") -> str:
    """All cards of a page in page order: finished ones in full, the others as placeholders."""
    body = "".join(card(records[it.index], source) if it.index in records else pending_card(it) for it in items)
    return (f'<div class="nd-cards" data-state="{state}" data-done="{len(records)}" data-total="{len(items)}">'
            f"{body}</div>")


CSS = """
.nd-cards { display: flex; flex-direction: column; gap: 14px; }
.nd-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 16px;
           background: var(--background-fill-primary); }
.nd-pending { opacity: .65; border-style: dashed; }
.nd-num { font-size: .85em; color: var(--body-text-color-subdued); }
.nd-badge { border-radius: 8px; padding: 0 6px; margin-left: 6px; background: var(--background-fill-secondary); }
.nd-badge-warn { background: #fde68a; color: #713f12; }
.nd-card h3 { margin: 4px 0; }
.nd-hl-en { font-weight: 500; font-style: italic; }
.nd-subhead { font-weight: 600; }
.nd-facts { font-size: .88em; color: var(--body-text-color-subdued); margin-top: 4px; }
.nd-kicker { font-size: .9em; color: var(--body-text-color-subdued); }
.nd-parts { margin: 6px 0 0 1.2em; font-size: .92em; }
.nd-byline { font-size: .92em; margin: 4px 0; }
.nd-byline-en { font-style: italic; }
.nd-cols { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-top: 8px; }
@media (max-width: 800px) { .nd-cols { grid-template-columns: 1fr; } }
.nd-cols h4 { margin: 0 0 4px 0; font-size: .9em; color: var(--body-text-color-subdued); }
.nd-text { white-space: pre-wrap; line-height: 1.55; }
.nd-para { margin-bottom: .8em; }
.nd-flag { margin: 6px 0; padding: 4px 8px; border-left: 4px solid #d97706; background: #fffbeb; color: #451a03;
           border-radius: 4px; font-size: .9em; }
.nd-flag.nd-error { border-color: #dc2626; background: #fef2f2; color: #450a0a; }
.nd-flag.nd-info { border-color: #2563eb; background: #eff6ff; color: #172554; }
.nd-flag-kind { font-weight: 600; }
.nd-source, .nd-extra { margin-top: 12px; font-size: .92em; }
.nd-source summary, .nd-extra summary { color: var(--body-text-color-subdued); cursor: pointer; }
.nd-source mark { background: #fde68a; }
.nd-extra th { text-align: left; padding-right: 12px; vertical-align: top; }
.nd-wait { color: var(--body-text-color-subdued); font-style: italic; }
.nd-corrections { margin: 6px 0; font-size: .9em; }
.nd-corrections ul { margin: 2px 0 0 1.2em; }
#nd-status.nd-error-text, .nd-error-text { color: #b91c1c; }
"""
