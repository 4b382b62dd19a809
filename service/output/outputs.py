"""Outputs per issue, written as one set: one JSONL record per article, a bilingual Markdown file, and a report
of the fact checks (`<issue>.report.json`: facts checked / verified / repaired / flagged, per article and in
total).

How a set is written (as git and rsync do it: nothing half-done is ever left to be taken for a result):
1. each file goes to a temporary file beside its target (`.<name>.<pid>.<random>.tmp`), fsynced;
2. a journal `.<issue>.pending.json` naming the three renames is written atomically;
3. the temporary files are renamed into place, then the journal is removed.
A run killed before step 2 leaves only temporary files: the old set stays whole. One killed during step 3 leaves
the journal; `recover` (run before every batch and every write into the folder) completes the renames, so the
three files are always from the same run. Temporary files of processes that no longer exist are removed.
New files get the modes the user's umask gives (as any other tool's output); a file that exists keeps its mode.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from pathlib import Path

from service.faithfulness.checks import tally
from service.flags import field_of
from service.page.headlines import heading_line

_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")
_JOURNAL = re.compile(r"^\.(?P<issue>.+)\.pending\.json$")
_umask_lock = threading.Lock()


def umask() -> int:
    """The process umask, read without changing it where the system allows (Linux), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        old = os.umask(0o022)
        os.umask(old)
    return old


def file_mode(path: Path) -> int:
    """The mode a new version of `path` gets: the existing file's (a user's chmod stands), else 0666 less umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~umask()


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stage(path: Path, text: str) -> Path:
    """`text` in a fsynced temporary file beside `path`, with the mode `path` will have."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), file_mode(path))
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: str | Path, text: str) -> Path:
    """Write to a temporary file beside `path`, fsync, then rename: readers see the old file or the new one."""
    path = Path(path)
    tmp = _stage(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def write_set(out_dir: str | Path, issue: str, files: dict[str, str]) -> list[Path]:
    """Write {file name: text} into `out_dir` as one set (see the module docstring); returns the paths."""
    out_dir = Path(out_dir)
    recover(out_dir)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in files.items():
            staged.append((_stage(out_dir / name, text), out_dir / name))
        atomic_write(out_dir / f".{issue}.pending.json",
                     json.dumps({"renames": [[t.name, f.name] for t, f in staged]}, ensure_ascii=False))
    except BaseException:
        for t, _ in staged:
            t.unlink(missing_ok=True)
        raise
    _finish(out_dir / f".{issue}.pending.json")
    return [f for _, f in staged]


def _finish(journal: Path) -> list[str]:
    """Do the renames a journal names whose temporary file is still there; then remove the journal."""
    try:
        renames = json.loads(journal.read_text(encoding="utf-8"))["renames"]
    except (OSError, ValueError, KeyError):
        renames = []  # unreadable: its temporary files are cleaned as strays
    done = []
    for tmp, final in renames:
        src = journal.parent / Path(tmp).name
        if src.is_file():
            os.replace(src, journal.parent / Path(final).name)
            done.append(Path(final).name)
    _fsync_dir(journal.parent)
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)
    return done


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs (one of another user's counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out_dir: str | Path) -> list[str]:
    """Finish sets whose writing was interrupted (a journal left behind) and remove temporary files of writers
    that no longer run. Returns what it did, one line each, for the user."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    said: list[str] = []
    for j in sorted(out_dir.iterdir()):
        if _JOURNAL.match(j.name) and j.is_file():
            done = _finish(j)
            if done:
                said.append(f"completed an interrupted write in {out_dir}: {', '.join(done)}")
    for t in sorted(out_dir.iterdir()):
        m = _TMP.match(t.name)
        if m and t.is_file() and not pid_alive(int(m.group("pid"))):
            t.unlink(missing_ok=True)
            said.append(f"removed {t} (left by a run that was stopped)")
    return said


def to_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _flag_line(f: dict) -> str:
    """One flag as a Markdown quote line, led by the part of the record it concerns (its field and paragraph)."""
    part = field_of(f) + (f" ¶{f['paragraph'] + 1}" if isinstance(f.get("paragraph"), int) else "")
    where = f" (chars {f['span'][0]}–{f['span'][1]})" if f.get("span") else ""
    return f"> ⚠ **{f['kind']}** · {part}{where}: {f['message']}"


def fact_report(issue: str, records: list[dict]) -> dict:
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


def to_markdown(issue: str, records: list[dict], report: dict | None = None) -> str:
    """The bilingual Markdown of an issue; `report`: its `fact_report`, when the caller has it already."""
    lines = [f"# {issue}", ""]
    if records:
        r0 = records[0]
        lines += [f"*{len(records)} items · model {r0['model']} · prompts {r0['prompt_version']}*", ""]
        rep = report or fact_report(issue, records)
        lines += ["## Fact check", "", f"Numbers, dates, names and glossary terms: {_counts_line(rep['facts'])}.",
                  "", "| # | article | checked | verified | repaired | flagged | flags |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {a['index'] + 1} | {_cell(a['headline_en'] or a['headline'])} | {a['checked']} | {a['verified']} | "
                  f"{a['repaired']} | {a['flagged']} | {a['flags']} |" for a in rep["articles"]]
        lines.append("")
    for r in records:
        english = heading_line(r.get("kicker_en", ""), r["headline_en"], r.get("subheads_en") or [])
        lines.append(f"## {r['index'] + 1}. {english or r['headline']}")
        lines.append("")
        lines.append(f"**{r['headline']}**" + (f" · {r['kind']}" if r["kind"] != "news" else ""))
        meta = " · ".join(x for x in (r.get("dateline", ""), r.get("byline", ""), r.get("dateline_en", ""),
                                      r.get("byline_en", "")) if x)
        if meta:
            lines += ["", f"*{meta}*"]
        if r.get("facts"):
            lines += ["", f"*Facts: {_counts_line(tally(r['facts']))}*"]
        lines += ["", "### 摘要", "", r["summary"] or "—", "", "### Translation", "", r["translation"] or "—", ""]
        if r["flags"]:
            lines += [_flag_line(f) for f in r["flags"]] + [""]
        lines += _corrections_lines(r)
        lines += ["<details><summary>原文</summary>", "", r["text"].replace("\n", "\n\n"), "", "</details>", ""]
    return "\n".join(lines)


def _corrections_lines(r: dict) -> list[str]:
    """The OCR corrections the model read (service/page/ocr.py), one line each; 原文 below stays the text as printed."""
    fixes = r.get("corrections") or []
    if not fixes:
        return []
    return (["OCR corrections (the model read the corrected text; 原文 is as printed):", ""]
            + [f"- {c['original']} → {c['corrected']} ({c['kind']}, chars {c['span'][0]}–{c['span'][1]})"
               for c in fixes] + [""])


def report_path(out_dir: str | Path, issue: str) -> Path:
    return Path(out_dir) / f"{issue}.report.json"


def issue_files(issue: str, records: list[dict], run: dict | None = None, stem: str | None = None) -> dict[str, str]:
    """The texts of an issue's three files, by file name (`stem`, default the issue name). `run` (what produced
    them: model, runtime, prompt versions, the source's sha256) goes into the report as `run`; `newsdesk archive`
    reads it to skip sets that are current."""
    report = fact_report(issue, records)
    if run is not None:
        report["run"] = run
    stem = stem or issue
    return {
        f"{stem}.jsonl": to_jsonl(records),
        f"{stem}.md": to_markdown(issue, records, report),
        f"{stem}.report.json": json.dumps(report, ensure_ascii=False, indent=2) + "\n",
    }


def write_issue(out_dir: str | Path, issue: str, records: list[dict], run: dict | None = None) -> tuple[Path, Path]:
    """Writes `<issue>.jsonl`, `<issue>.md` and `<issue>.report.json` as one set; returns the first two."""
    jsonl, md, _ = write_set(out_dir, issue, issue_files(issue, records, run))
    return jsonl, md
