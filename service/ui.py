"""Web UI (Gradio Blocks): a thin front over `pipeline.Pipeline`, started by `newsdesk serve`.

- **Article / page** tab: paste one article or a whole OCR'd page; each article's card appears as soon as its
  summary and translation are done (`Pipeline.run` yields records as articles finish); the JSONL, Markdown and
  fact-report downloads are the files `newsdesk batch` writes for the page.
- **Batch** tab: upload issue files (.txt, any encoding the batch command reads); a ZIP of exactly the files
  `newsdesk batch` writes for them.
- API (`gradio_client`): `/process` (text, name) -> the records of a page, in page order; `/batch` (files).

One Pipeline (one model load) per process, shared by all users. Up to CONCURRENT_RUNS generating events run
at once (one Gradio concurrency group); their jobs meet in the model's one generation queue, which admits them
round-robin per session into the running batch (service/scheduler.py), so a one-article paste gets its card while
another session's whole page is still running. Stop cancels that session's queued jobs only.
Sessions never share state: each run's files go to a directory held in that session's `gr.State`, removed when
the session ends or runs again. Uploads are read as the bytes Gradio received, from Gradio's upload folder only;
the server never reads a path a user supplies.
"""

from __future__ import annotations

import atexit
import queue
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

from . import ingest, render
from .errors import InputError, NewsdeskError
from .outputs import report_path, write_issue

ACCEPTED_UPLOADS = (".txt",)
QUEUE_SIZE = 20
CONCURRENT_RUNS = 8  # sessions generating at once; more wait in Gradio's queue
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


class _Stopped(Exception):
    """Raised inside the pipeline's progress callback when the session stopped or left."""


def stream(pipe, doc: ingest.Document) -> Iterator[tuple[str, dict]]:
    """Run `pipe.run(doc)` in a worker thread; yield ("progress", stats) and ("record", record) as they come.

    Closing this iterator (Stop button, closed tab) cancels this run's queued and running jobs (finished ones are
    cached), so a left session does not keep the model busy; other sessions' jobs go on."""
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    caller = object()  # this run, as the generation queue knows it

    def progress(stats: dict) -> None:
        if stop.is_set():
            raise _Stopped
        events.put(("progress", stats))

    def work() -> None:
        try:
            for rec in pipe.run(doc, progress, caller=caller):
                events.put(("record", rec))
                if stop.is_set():
                    return
        except _Stopped:
            pass
        except Exception as e:  # noqa: BLE001  (handed to the caller's thread)
            events.put(("error", e))
        finally:
            events.put(("end", None))

    threading.Thread(target=work, name=f"newsdesk-run-{doc.name}", daemon=True).start()
    try:
        while True:
            kind, value = events.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield kind, value
    finally:
        stop.set()
        pipe.cancel(caller)


def safe_name(name: str | None, default: str = "pasted") -> str:
    """An issue name usable as a file name: letters (any script), digits, `._-`; never a path."""
    s = re.sub(r"[^\w.-]+", "_", (name or "").strip()).strip("._")[:80]
    return s or default


def _progress_line(stats: dict | None, total: int) -> str:
    if not stats:
        return f"{total} item{'s' if total != 1 else ''} found on the page; generating…"
    rate = stats["tokens"] / stats["seconds"] if stats["seconds"] else 0.0
    return (f"{stats['done']} of {total} done · {stats['generated']} generated, {stats['cached']} from cache"
            f" · {rate:.1f} tokens/s")


def _status(text: str | list[str], kind: str = "info") -> str:
    """Status lines as HTML; errors (the whole status, or lines starting with ✗) are red and announced."""
    lines = [text] if isinstance(text, str) else text
    out = []
    for line in lines:
        bad = kind == "error" or line.startswith("✗")
        icon = "⚠ " if kind == "error" and not line.startswith("✗") else ""
        attrs = ' class="nd-status-line nd-error-text" role="alert"' if bad else ' class="nd-status-line"'
        out.append(f"<div{attrs}>{icon}{render.esc(line)}</div>")
    return f'<div class="nd-status nd-status-{kind}">{"".join(out)}</div>'


def _remove(path) -> None:
    if path:
        shutil.rmtree(path, ignore_errors=True)


class WebUI:
    def __init__(self, pipe, *, max_chars: int = ingest.DEFAULT_MAX_CHARS, max_bytes: int = ingest.DEFAULT_MAX_BYTES,
                 workdir: str | Path | None = None):
        self.pipe = pipe
        self.max_chars = max_chars
        self.max_bytes = max_bytes
        if workdir is None:
            workdir = tempfile.mkdtemp(prefix="newsdesk-ui-")
            atexit.register(_remove, workdir)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)

    # --- per-session run directories -------------------------------------------------------------
    def _fresh_dir(self, previous: str | None) -> Path:
        """A new directory for this run's files; the session's previous run directory is removed."""
        if previous and Path(previous).resolve().parent == self.workdir.resolve():
            _remove(previous)
        return Path(tempfile.mkdtemp(prefix="run-", dir=self.workdir))

    # --- article / page --------------------------------------------------------------------------
    def page(self, text: str, name: str, run_dir: str | None):
        """UI event: stream cards for a pasted page.
        Yields (status, cards, jsonl button, markdown button, report button, run_dir)."""
        import gradio as gr

        hidden = gr.update(value=None, visible=False)
        try:
            doc = ingest.from_text(text or "", safe_name(name), max_chars=self.max_chars)
        except InputError as e:
            gr.Warning(str(e), title="Cannot process this text")
            yield _status(str(e), "error"), "", hidden, hidden, hidden, run_dir
            return
        items = self.pipe.preprocess(doc)
        records: dict[int, dict] = {}
        yield (_status(_progress_line(None, len(items))), render.cards(items, records, doc.text),
               hidden, hidden, hidden, run_dir)
        for kind, value in stream(self.pipe, doc):
            if kind == "progress":
                yield _status(_progress_line(value, len(items))), gr.skip(), hidden, hidden, hidden, run_dir
            else:
                records[value["index"]] = value
                yield (_status(f"{len(records)} of {len(items)} done; working on the rest…"),
                       render.cards(items, records, doc.text), hidden, hidden, hidden, run_dir)
        final = [records[i] for i in sorted(records)]
        out = self._fresh_dir(run_dir)
        jsonl, md = write_issue(out, doc.name, final)
        report = report_path(out, doc.name)
        n_flags = sum(len(r["flags"]) for r in final)
        done = (f"Done: {len(final)} item{'s' if len(final) != 1 else ''}, {n_flags} flag{'s' if n_flags != 1 else ''}"
                f" · model {self.pipe.model_name}. Download the results below.")
        yield (_status(done, "done"), render.cards(items, records, doc.text, state="done"),
               gr.update(value=str(jsonl), visible=True), gr.update(value=str(md), visible=True),
               gr.update(value=str(report), visible=True) if report.is_file() else hidden, str(out))

    # --- batch -----------------------------------------------------------------------------------
    def _read_upload(self, path: str) -> ingest.Document:
        """The bytes Gradio received for one upload, as a Document. Refuses anything outside Gradio's upload folder."""
        from gradio.utils import get_upload_folder

        p = Path(path)
        name = p.name
        root = Path(get_upload_folder()).resolve()
        if not p.resolve().is_relative_to(root):
            raise InputError(f"{name} was not uploaded through this page; upload the file itself.")
        if p.suffix.lower() not in ACCEPTED_UPLOADS:
            raise InputError(f"{name}: only plain-text issue files ({', '.join(ACCEPTED_UPLOADS)}) are accepted. "
                             "Export the OCR result as a .txt file (UTF-8 or GB18030).")
        size = p.stat().st_size
        if size > self.max_bytes:
            raise InputError(f"{name} is {size:,} bytes, above the limit of {self.max_bytes:,} bytes for one issue. "
                             "Split it into pages.")
        # path=: the upload's own file name, for messages (never a server path)
        return ingest.read_bytes(p.read_bytes(), safe_name(p.stem, "issue"), max_bytes=self.max_bytes, path=name)

    def batch(self, files: list[str] | None, run_dir: str | None):
        """UI event: run uploaded issue files through the pipeline; yields (status, zip file, run_dir)."""
        import gradio as gr

        if not files:
            msg = "No files: upload one or more issue files (.txt, UTF-8 or GB18030) first."
            gr.Warning(msg, title="Nothing to run")
            yield _status(msg, "error"), None, run_dir
            return
        lines: list[str] = []
        docs: list[tuple[str, ingest.Document]] = []
        for f in files:
            upload = Path(f).name
            try:
                doc = self._read_upload(f)
                if any(d.name == doc.name for _, d in docs):
                    raise InputError(f"two uploaded files are named {doc.name}; their results would overwrite each "
                                     "other. Rename one and upload again.")
                docs.append((upload, doc))
            except InputError as e:
                lines.append(f"✗ {e}")
        if not docs:
            gr.Warning(" ".join(lines), title="No file could be read")
            yield _status(lines), None, run_dir
            return
        if lines:
            gr.Warning(" ".join(lines), title="Some files were skipped")
        out = self._fresh_dir(run_dir)
        for n, (upload, doc) in enumerate(docs, 1):
            records: list[dict] = []
            head = f"file {n} of {len(docs)}: {upload}"
            yield _status([*lines, head + " …"]), None, str(out)
            for kind, value in stream(self.pipe, doc):
                if kind == "record":
                    records.append(value)
                else:
                    yield _status([*lines, f"{head}: {_progress_line(value, value['articles'])}"]), None, str(out)
            records.sort(key=lambda r: r["index"])
            write_issue(out / "results", doc.name, records)
            lines.append(f"✓ {upload}: {len(records)} items, {sum(len(r['flags']) for r in records)} flags")
        archive = out / ("newsdesk-" + (docs[0][1].name if len(docs) == 1 else f"{len(docs)}-issues") + ".zip")
        written = sorted((out / "results").iterdir())  # all write_issue wrote, as newsdesk batch would
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for p in written:
                z.write(p, p.name)
        lines.append(f"Done: {archive.name} holds {len(written)} files, the ones newsdesk batch writes.")
        yield _status(lines, "done"), str(archive), str(out)

    # --- API ---------------------------------------------------------------------------------------
    def process(self, text: str, name: str = "pasted") -> list[dict]:
        """Summarise and translate one pasted article or page. Returns one record per article, in page order:
        the records `newsdesk batch` writes to JSONL."""
        import gradio as gr

        try:
            doc = ingest.from_text(text or "", safe_name(name), max_chars=self.max_chars)
        except InputError as e:
            raise gr.Error(str(e), print_exception=False) from None
        return self.pipe.process(doc)

    # --- layout ------------------------------------------------------------------------------------
    def build(self):
        import gradio as gr

        examples = [[p.read_text(encoding="utf-8"), p.stem] for p in sorted(CORPUS.glob("*.txt"))[:5]]
        same = self.pipe.summary_profile.name == self.pipe.translate_profile.name
        models = self.pipe.model_name + ("" if same else f" · summaries: {self.pipe.summary_profile.name}")
        with gr.Blocks(title="newsdesk", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
            gr.Markdown(f"# newsdesk\nChinese local-newspaper text in; a Chinese summary and an English translation "
                        f"of every article out. Model: `{models}`. Anything the checks cannot verify is flagged "
                        f"next to the text it concerns.")
            with gr.Tab("Article / page", id="page"):
                text = gr.Textbox(label=f"Chinese article or whole OCR'd page (up to {self.max_chars:,} characters)",
                                  lines=12, max_lines=16, elem_id="nd-text",
                                  placeholder="Paste one article or a whole page; lines broken at columns are "
                                              "joined and the page is split into its articles.")
                with gr.Row():
                    name = gr.Textbox(label="Issue name (for the downloaded files)", value="pasted", scale=2,
                                      elem_id="nd-name", max_lines=1)
                    run = gr.Button("Run", variant="primary", scale=1, elem_id="nd-run")
                    stop = gr.Button("Stop", variant="stop", scale=1, elem_id="nd-stop")
                if examples:
                    gr.Examples(examples, [text, name], label="Example page (click to load)")
                status = gr.HTML(elem_id="nd-status")
                with gr.Row():
                    dl_jsonl = gr.DownloadButton("Download JSONL", visible=False, elem_id="nd-dl-jsonl")
                    dl_md = gr.DownloadButton("Download Markdown", visible=False, elem_id="nd-dl-md")
                    dl_report = gr.DownloadButton("Download fact report (JSON)", visible=False,
                                                  elem_id="nd-dl-report")
                cards = gr.HTML(elem_id="nd-cards")
            with gr.Tab("Batch", id="batch"):
                gr.Markdown(f"Upload one or more issue files ({', '.join(ACCEPTED_UPLOADS)}; UTF-8 or GB18030; up "
                            f"to {self.max_bytes:,} bytes each). The ZIP holds exactly the files `newsdesk batch` "
                            "writes for each file: `<issue>.jsonl`, `<issue>.md` and `<issue>.report.json`.")
                files = gr.File(label="Issue files", file_count="multiple", file_types=list(ACCEPTED_UPLOADS),
                                type="filepath", elem_id="nd-files")
                run_batch = gr.Button("Run batch", variant="primary", elem_id="nd-run-batch")
                batch_status = gr.HTML(elem_id="nd-batch-status")
                batch_zip = gr.File(label="Results (ZIP)", interactive=False, elem_id="nd-zip")
            session_dir = gr.State(None, delete_callback=_remove)

            common = {"concurrency_id": "generate", "concurrency_limit": CONCURRENT_RUNS, "show_progress": "minimal"}
            page_ev = run.click(self.page, [text, name, session_dir],
                                [status, cards, dl_jsonl, dl_md, dl_report, session_dir],
                                api_visibility="undocumented", api_name="page", **common)
            stop.click(None, None, None, cancels=[page_ev], api_visibility="private")
            run_batch.click(self.batch, [files, session_dir], [batch_status, batch_zip, session_dir],
                            api_name="batch", **common)
            gr.api(self.process, api_name="process", concurrency_id="generate", concurrency_limit=CONCURRENT_RUNS)
        return demo


THEME_FONTS = {"font": ["Noto Sans CJK SC", "system-ui", "sans-serif"], "font_mono": ["monospace"]}


def launch(pipe, *, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           max_chars: int = ingest.DEFAULT_MAX_CHARS, max_bytes: int = ingest.DEFAULT_MAX_BYTES) -> None:
    """Serve the UI until interrupted. Binds to `host` only (localhost by default); no share link unless asked."""
    import gradio as gr

    demo = WebUI(pipe, max_chars=max_chars, max_bytes=max_bytes).build()
    demo.queue(default_concurrency_limit=CONCURRENT_RUNS, max_size=QUEUE_SIZE)
    try:
        demo.launch(server_name=host, server_port=port, share=share, max_file_size=max_bytes, show_error=True,
                    ssr_mode=False, css=render.CSS, theme=gr.themes.Default(**THEME_FONTS),
                    footer_links=["api", "settings"])
    except OSError as e:
        raise NewsdeskError(f"cannot serve on {host}:{port} ({e}). Is another server using the port? "
                            "Pick another with --port.") from e
