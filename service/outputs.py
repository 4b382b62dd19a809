"""Outputs: one JSONL record per article and a bilingual Markdown file per issue, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


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


def to_markdown(issue: str, records: list[dict]) -> str:
    lines = [f"# {issue}", ""]
    if records:
        r0 = records[0]
        lines += [f"*{len(records)} items · model {r0['model']} · prompts {r0['prompt_version']}*", ""]
    for r in records:
        lines.append(f"## {r['index'] + 1}. {r['headline_en'] or r['headline']}")
        lines.append("")
        lines.append(f"**{r['headline']}**" + (f" · {r['kind']}" if r["kind"] != "news" else ""))
        meta = " · ".join(x for x in (r.get("dateline", ""), r.get("byline", "")) if x)
        if meta:
            lines += ["", f"*{meta}*"]
        lines += ["", "### 摘要", "", r["summary"] or "—", "", "### Translation", "", r["translation"] or "—", ""]
        if r["flags"]:
            lines += [_flag_line(f) for f in r["flags"]] + [""]
        lines += ["<details><summary>原文</summary>", "", r["text"].replace("\n", "\n\n"), "", "</details>", ""]
    return "\n".join(lines)


def write_issue(out_dir: str | Path, issue: str, records: list[dict]) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    jsonl = atomic_write(out_dir / f"{issue}.jsonl", to_jsonl(records))
    md = atomic_write(out_dir / f"{issue}.md", to_markdown(issue, records))
    return jsonl, md
