"""Showing evaluation results: a terminal table (rich), JSON, and HTML or Markdown reports with plots.

Plots (matplotlib, drawn off-screen): the distribution of each per-item score, and one bar per article for the
main score. HTML reports carry the plots inline (base64 PNG) and are self-contained; Markdown reports link PNG
files written beside them in `<name>_files/`.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from service.errors import InputError
from service.output.outputs import atomic_write

SKIP_ITEM = {"key", "flags", "facts", "numbers_not_in_source", "source_length"}


def cell(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return f"{v:.2f}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {n}" for k, n in v.items()) or "—"
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "—"
    return str(v)


def item_columns(result: dict) -> list[str]:
    """Per-item numeric columns, reference metrics first."""
    cols: list[str] = []
    for it in result["items"]:
        for k, v in it.items():
            if k not in SKIP_ITEM and k not in cols and (v is None or isinstance(v, (int, float))):
                cols.append(k)
    ref = [c for c in cols if c.startswith(("ROUGE", "BLEU", "chrF"))]
    return ref + [c for c in cols if c not in ref]


def main_metric(result: dict) -> str:
    cols = item_columns(result)
    for c in ("ROUGE-1 char", "chrF++", "compression", "length"):
        if c in cols:
            return c
    return cols[0]


def corpus_rows(result: dict) -> list[tuple[str, str]]:
    rows = [(k, cell(v)) for k, v in result["corpus"].items()]
    return rows


# Short column names for the terminal's per-item table.
SHORT = {"ROUGE-1 char": "R1c", "ROUGE-2 char": "R2c", "ROUGE-L char": "RLc", "ROUGE-1 word": "R1w",
         "ROUGE-2 word": "R2w", "ROUGE-L word": "RLw", "length": "len", "compression": "compr",
         "copy_rate": "copy%"}
TERMINAL_COLS = [*SHORT, "BLEU", "chrF++"]


def item_rows(result: dict, compact: bool = False) -> tuple[list[str], list[list[str]]]:
    cols = item_columns(result)
    if compact:
        cols = [c for c in cols if c in TERMINAL_COLS]
    head = ["item", *(SHORT.get(c, c) if compact else c for c in cols), "flags"]
    rows = []
    for it in result["items"]:
        extra = cell(it.get("flags")) if it.get("flags") else ""
        if it.get("numbers_not_in_source"):
            extra = (extra + "; " if extra else "") + "numbers not in source: " + cell(it["numbers_not_in_source"])
        rows.append([it["key"], *((f"{v:.{1 if abs(v) >= 10 else 2}f}" if compact and isinstance(v, float) else cell(v))
                                  for v in (it.get(c) for c in cols)), extra])
    return head, rows


# --- terminal -------------------------------------------------------------------------------------------------
def print_table(result: dict, items: bool | None = None, console=None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t = Table(title=f"newsdesk eval · {result['task']} · {result['mode']}", show_header=True)
    t.add_column("measure")
    t.add_column("corpus", justify="right")
    for k, v in corpus_rows(result):
        t.add_row(k, v)
    console.print(t)
    if items is None:
        items = len(result["items"]) <= 30
    if items:
        head, rows = item_rows(result, compact=True)
        legend = ", ".join(f"{v} = {k}" for k, v in SHORT.items() if v in head)
        it = Table(title="per item", caption=legend, show_header=True, box=box.SIMPLE_HEAD, padding=(0, 1))
        for h in head:
            text = h in ("item", "flags")
            it.add_column(h, justify="left" if text else "right", overflow="fold", no_wrap=not text,
                          min_width=min(12, max(4, len(h))) if text else None)
        for r in rows:
            it.add_row(*r)
        console.print(it)
    elif result["items"]:
        console.print(f"({len(result['items'])} items; --items shows each, --json or --report keeps them all)")
    for n in result["notes"]:
        console.print(f"[yellow]note:[/yellow] {n}")


def to_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2)


def save_figures(result: dict, folder: str | Path, name: str, detail: str) -> Path:
    """A measuring script's figures (scripts/summary_lengths.py, scripts/headline_parts.py) as
    `<folder>/<date>-<name>.json`, stamped with when and by which command they were made; printed without the
    per-item `detail`."""
    import sys
    import time

    result = {"created": time.strftime("%Y-%m-%d %H:%M"),
              "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), **result}
    out = atomic_write(Path(folder) / f"{time.strftime('%Y%m%d')}-{name}.json", to_json(result) + "\n")
    print(to_json({k: v for k, v in result.items() if k != detail}))
    print(f"written {out}")
    return out


# --- plots ----------------------------------------------------------------------------------------------------
def plots(result: dict) -> dict[str, bytes]:
    """PNG images: score distributions and per-article bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out: dict[str, bytes] = {}
    cols = [c for c in item_columns(result) if c not in ("numbers", "ref_length")]
    cols = [c for c in cols if any(it.get(c) is not None for it in result["items"])]
    if not cols:
        return out

    def png(fig) -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        return buf.getvalue()

    ncol = min(3, len(cols))
    nrow = (len(cols) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 2.8 * nrow), squeeze=False)
    for ax, c in zip(axes.flat, cols):
        vals = [it[c] for it in result["items"] if it.get(c) is not None]
        ax.hist(vals, bins=min(20, max(5, len(vals) // 3)), color="#4477aa", edgecolor="white")
        ax.set_title(c, fontsize=10)
        ax.set_ylabel("items", fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(cols):]:
        ax.axis("off")
    fig.suptitle(f"Score distributions ({len(result['items'])} items)", fontsize=11)
    fig.tight_layout()
    out["distributions"] = png(fig)

    m = main_metric(result)
    vals = [it.get(m) or 0.0 for it in result["items"]]
    fig, ax = plt.subplots(figsize=(min(14, 2 + 0.25 * len(vals)), 3.2))
    ax.bar(range(1, len(vals) + 1), vals, color="#228833")
    ax.set_xlabel("item (in input order; keys in the table)")
    ax.set_ylabel(m)
    ax.set_title(f"{m} per article")
    corpus_v = result["corpus"].get(m, result["corpus"].get(f"{m} (mean)"))
    if isinstance(corpus_v, (int, float)):
        ax.axhline(corpus_v, color="#cc3311", linestyle="--", linewidth=1, label=f"corpus {corpus_v:.2f}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    out["per_article"] = png(fig)
    return out


# --- reports --------------------------------------------------------------------------------------------------
def _md_table(head: list[str], rows: list[list[str]]) -> str:
    def esc(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(esc, head)) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(lines)


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def write_report(result: dict, path: str | Path) -> Path:
    """Write an .html (self-contained) or .md report (plus PNGs in `<name>_files/`)."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".html", ".htm", ".md"):
        raise InputError(f"--report {path}: the report must be a .html or .md file.")
    title = f"newsdesk eval · {result['task']} · {result['mode']} · {len(result['items'])} items"
    images = plots(result)
    head, rows = item_rows(result)
    sigs = [[k, v] for k, v in result.get("signatures", {}).items()]
    if kind == ".md":
        files = path.parent / f"{path.stem}_files"
        parts = [f"# {title}", "", "## Corpus", "", _md_table(["measure", "corpus"], [list(r) for r in corpus_rows(result)])]
        if result["notes"]:
            parts += ["", *[f"> note: {n}" for n in result["notes"]]]
        for name, data in images.items():
            files.mkdir(parents=True, exist_ok=True)
            (files / f"{name}.png").write_bytes(data)
            parts += ["", f"![{name}]({files.name}/{name}.png)"]
        parts += ["", "## Per item", "", _md_table(head, rows)]
        if sigs:
            parts += ["", "## Metric signatures", "", _md_table(["metric", "signature"], sigs)]
        return atomic_write(path, "\n".join(parts) + "\n")
    imgs = "".join(f'<figure><img alt="{n}" src="data:image/png;base64,{base64.b64encode(d).decode()}"></figure>'
                   for n, d in images.items())
    notes = "".join(f"<p class=note>note: {html.escape(n)}</p>" for n in result["notes"])
    doc = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:90em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:.2em .5em;text-align:right}}td:first-child,th:first-child{{text-align:left}}
img{{max-width:100%}}.note{{color:#a60}}</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Corpus</h2>{_html_table(["measure", "corpus"], [list(r) for r in corpus_rows(result)])}{notes}
<h2>Plots</h2>{imgs}
<h2>Per item</h2>{_html_table(head, rows)}
{"<h2>Metric signatures</h2>" + _html_table(["metric", "signature"], sigs) if sigs else ""}
</body></html>
"""
    return atomic_write(path, doc)
