"""Outputs per issue, written atomically: one JSONL record per article, a bilingual Markdown file, and a report
of the fact checks (`<issue>.report.json`: facts checked / verified / repaired / flagged, per article and in
total)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .checks import tally


def atomic_write(path: str | Path, text: str) -> Path:
    """Write to a temporary file beside `path`, fsync, then rename: readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def to_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _flag_line(f: dict) -> str:
    where = f" (chars {f['span'][0]}–{f['span'][1]})" if f.get("span") else ""
    return f"> ⚠ **{f['kind']}**{where}: {f['message']}"


def issue_report(issue: str, records: list[dict]) -> dict:
    """What the fact checks found in one issue: totals, by where (headline / translation / summary) and by
    category (number / name / term / extra_number), per article, and the flags by kind."""
    facts = [f for r in records for f in r.get("facts", [])]
    flags: dict[str, int] = {}
    for r in records:
        for f in r["flags"]:
            flags[f["kind"]] = flags.get(f["kind"], 0) + 1
    return {
        "issue": issue,
        "items": len(records),
        "facts": tally(facts),
        "by_where": {w: tally([f for f in facts if f["where"] == w]) for w in ("headline", "translation", "summary")},
        "by_category": {c: tally([f for f in facts if f["category"] == c])
                        for c in dict.fromkeys(f["category"] for f in facts)},
        "flags": dict(sorted(flags.items())),
        "articles": [{"index": r["index"], "headline": r["headline"], "headline_en": r["headline_en"],
                      **tally(r.get("facts", [])), "flags": len(r["flags"])} for r in records],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _counts_line(c: dict) -> str:
    return f"{c['checked']} checked · {c['verified']} verified · {c['repaired']} repaired · {c['flagged']} flagged"


def to_markdown(issue: str, records: list[dict]) -> str:
    lines = [f"# {issue}", ""]
    if records:
        r0 = records[0]
        lines += [f"*{len(records)} items · model {r0['model']} · prompts {r0['prompt_version']}*", ""]
        rep = issue_report(issue, records)
        lines += ["## Fact check", "", f"Numbers, dates, names and glossary terms: {_counts_line(rep['facts'])}.",
                  "", "| # | article | checked | verified | repaired | flagged | flags |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {a['index'] + 1} | {_cell(a['headline_en'] or a['headline'])} | {a['checked']} | {a['verified']} | "
                  f"{a['repaired']} | {a['flagged']} | {a['flags']} |" for a in rep["articles"]]
        lines.append("")
    for r in records:
        lines.append(f"## {r['index'] + 1}. {r['headline_en'] or r['headline']}")
        lines.append("")
        lines.append(f"**{r['headline']}**" + (f" · {r['kind']}" if r["kind"] != "news" else ""))
        meta = " · ".join(x for x in (r.get("dateline", ""), r.get("byline", ""), r.get("byline_en", "")) if x)
        if meta:
            lines += ["", f"*{meta}*"]
        if r.get("facts"):
            lines += ["", f"*Facts: {_counts_line(tally(r['facts']))}*"]
        lines += ["", "### 摘要", "", r["summary"] or "—", "", "### Translation", "", r["translation"] or "—", ""]
        if r["flags"]:
            lines += [_flag_line(f) for f in r["flags"]] + [""]
        lines += ["<details><summary>原文</summary>", "", r["text"].replace("\n", "\n\n"), "", "</details>", ""]
    return "\n".join(lines)


def report_path(out_dir: str | Path, issue: str) -> Path:
    return Path(out_dir) / f"{issue}.report.json"


def write_issue(out_dir: str | Path, issue: str, records: list[dict]) -> tuple[Path, Path]:
    """Writes `<issue>.jsonl`, `<issue>.md` and `<issue>.report.json`; returns the first two."""
    out_dir = Path(out_dir)
    jsonl = atomic_write(out_dir / f"{issue}.jsonl", to_jsonl(records))
    md = atomic_write(out_dir / f"{issue}.md", to_markdown(issue, records))
    atomic_write(report_path(out_dir, issue), json.dumps(issue_report(issue, records), ensure_ascii=False, indent=2)
                 + "\n")
    return jsonl, md
