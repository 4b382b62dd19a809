"""Web UI (Gradio Blocks): a thin front over `pipeline.Pipeline`, started by `newsdesk serve`.

- **Article / page** tab: paste one article or a whole OCR'd page; each article's card appears as soon as its
  summary and translation are done (`Pipeline.run` yields records as articles finish); the JSONL, Markdown and
  fact-report downloads are the files `newsdesk batch` writes for the page.
- **Batch** tab: upload issue files (.txt, any encoding the batch command reads); a ZIP of exactly the files
  `newsdesk batch` writes for them.
- API (`gradio_client`): `/process` (text, name) -> the records of a page, in page order; `/batch` (files).

One Pipeline (one model load) per process, shared by all users. Up to CONCURRENT_RUNS runs generate at once and up
to MAX_WAITING more wait their turn, first come first served (`Gate`); a run beyond that is refused at once with a
message naming the limit and how many wait (Gradio's own full queue says only "Queue is full! Please try again.").
The running jobs meet in the model's one generation queue, which admits them round-robin per session into the
running batch (service/generation/scheduler.py), so a one-article paste gets its card while another session's whole page is
still running. Stop cancels that session's queued jobs only.
Sessions never share state: each run's files go to a directory of its own with an unguessable name (the download
link), held in that session's `gr.State`. It is removed when the session runs again, when the session ends (tab
closed, API client closed or gone: Gradio's unload event), RESULTS_TTL after the run at the latest (a periodic
sweep), and with all others when the server stops (Ctrl-C or SIGTERM). The run directories live in one folder per
server process inside Gradio's upload folder, so Gradio serves them as they are instead of keeping a copy of its own;
the folder names its process, and folders of processes that no longer exist are removed at start.
Uploads are read as the bytes Gradio received, from Gradio's upload folder only; the server never reads a path a
user supplies.
"""
from __future__ import annotations

import atexit
import itertools
import os
import queue
import re
import secrets
import shutil
import signal
import stat
import tempfile
import threading
import time
import zipfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from service.data import shipped
from service.errors import InputError, NewsdeskError
from service.generation.generate import SUMMARY_LENGTHS
from service.output import render
from service.output.outputs import pid_alive, report_path, umask, write_issue
from service.page import ingest

ACCEPTED_UPLOADS = (".txt",)
CONCURRENT_RUNS = 8  # runs generating at once
LENGTHS = list(SUMMARY_LENGTHS)  # summary lengths a reader can ask for
MAX_WAITING = 20  # runs waiting for a turn; one more is refused with a message saying how busy the server is
REFUSING_SLOTS = 4  # Gradio slots beyond the gate's, in which arrivals over the limit are refused at once
QUEUE_SIZE = 100  # Gradio's own queue, only a backstop: it holds arrivals for the moment before they are refused
RESULTS_TTL = 3600  # seconds a run's files are kept at most (stated in the UI); less when the session ends first
SWEEP_EVERY = 60  # seconds between removals of expired run directories
WORKDIR_PREFIX = "newsdesk-ui-"
OWNER_FILE = "owner"  # in a server's folder: "<pid> <process start time>", for removing folders of dead servers
LEGACY_AGE = 86400  # a folder without an owner file (older versions) is removed when untouched this long
CORPUS = shipped("examples")  # the example page(s): corpus/*.txt, shipped with the package


class Busy(Exception):
    """Raised by `Gate.join` when the runs allowed to wait are all waiting."""

    def __init__(self, running: int, waiting: int):
        super().__init__(f"{running} running, {waiting} waiting")
        self.running, self.waiting = running, waiting


class Gate:
    """Turns at the model: up to `running` runs at once, up to `waiting` more in line, first come first served.
    `join` refuses a run beyond that at once, so its caller learns how busy the server is and what to do, where
    Gradio's own full queue gives only a generic "Queue is full" (and its queued events run none of our code)."""

    def __init__(self, running: int, waiting: int):
        self.running, self.waiting = running, waiting
        self._cond = threading.Condition()
        self._active: set[int] = set()
        self._line: deque[int] = deque()
        self._tickets = itertools.count()

    def counts(self) -> tuple[int, int]:
        """(runs using the model, runs waiting for a turn)."""
        with self._cond:
            return len(self._active), len(self._line)

    def join(self) -> int:
        """A ticket for a turn (maybe already granted); raises Busy when the line is full."""
        with self._cond:
            if len(self._active) >= self.running and len(self._line) >= self.waiting:
                raise Busy(len(self._active), len(self._line))
            ticket = next(self._tickets)
            self._line.append(ticket)
            self._advance()
            return ticket

    def wait(self, ticket: int, timeout: float | None = None) -> int:
        """Wait up to `timeout` seconds for the ticket's turn; 0 when it is its turn, else its place in line (1:
        next)."""
        with self._cond:
            self._cond.wait_for(lambda: ticket not in self._line, timeout)
            return self._line.index(ticket) + 1 if ticket in self._line else 0

    def leave(self, ticket: int) -> None:
        """The run is over (done, failed, stopped or refused while waiting): the next in line gets its turn."""
        with self._cond:
            self._active.discard(ticket)
            if ticket in self._line:
                self._line.remove(ticket)
            self._advance()

    def _advance(self) -> None:
        while self._line and len(self._active) < self.running:
            self._active.add(self._line.popleft())
        self._cond.notify_all()


class _Stopped(Exception):
    """Raised inside the pipeline's progress callback when the session stopped or left."""


def stream(pipe, doc: ingest.Document, items: list | None = None) -> Iterator[tuple[str, dict]]:
    """Run `pipe.run(doc)` in a worker thread (on `items`, the page as already read, when given); yield
    ("progress", stats) and ("record", record) as they come.

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
            for rec in pipe.run(doc, progress, caller=caller, items=items, interactive=True):
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


def _duration(seconds: float) -> str:
    """`3600` -> "1 hour", `1800` -> "30 minutes": for telling users how long results are kept."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, /proc/PID/stat field 22), which tells a live process from
    a later one that was given the same pid; None where there is no /proc or no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _owner_alive(folder: Path) -> bool:
    """Whether the server process that wrote `folder`'s owner file still runs (another user's counts as running)."""
    try:
        pid_text, _, started = (folder / OWNER_FILE).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    if not pid_alive(pid):
        return False
    now = _start_time(pid)
    return not (started and now and started != now)


def clean_stale(root: Path, max_legacy_age: float = LEGACY_AGE) -> list[Path]:
    """Remove the results folders in `root` whose server process is gone (killed with -9, crashed, or a machine
    restart with a persistent /tmp): they would hold other sessions' results forever. A folder without an owner file
    (written by versions before it was added) is removed once nothing in it changed for `max_legacy_age` seconds."""
    removed = []
    try:
        folders = [d for d in root.glob(WORKDIR_PREFIX + "*") if d.is_dir() and not d.is_symlink()]
    except OSError:
        return removed
    for d in folders:
        if (d / OWNER_FILE).exists():
            stale = not _owner_alive(d)
        else:
            try:
                stale = time.time() - d.stat().st_mtime > max_legacy_age
            except OSError:
                continue
        if stale:
            _remove(d)
            removed.append(d)
    return removed


def _zip(archive: Path, files: list[Path]) -> None:
    """The files in a ZIP, each entry with the mode a new file gets (0666 less the umask), as `newsdesk batch`
    writes them: `ZipFile.write` would copy the mode of the server's copy, whatever the user's umask says."""
    mode = 0o666 & ~umask()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            info = zipfile.ZipInfo.from_file(p, p.name)
            info.external_attr = (stat.S_IFREG | mode) << 16
            z.writestr(info, p.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)


def _on_sigterm(signum, frame) -> None:
    """SIGTERM (`kill`, systemd, `docker stop`) stops the server as Ctrl-C does: Gradio closes and `launch` removes
    every session's results. Python's default for SIGTERM is to die at once, skipping atexit and all clean-up."""
    raise KeyboardInterrupt


class WebUI:
    """The app's state: the pipeline, the gate to the model, and the run directories of all sessions.

    `workdir=None` (the server): a new folder in Gradio's upload folder, named for this process, removed by `close`
    (and at exit); folders of servers that are gone are removed first. A given `workdir` (tests) is used as it is."""

    def __init__(self, pipe, *, max_chars: int = ingest.DEFAULT_MAX_CHARS, max_bytes: int = ingest.DEFAULT_MAX_BYTES,
                 workdir: str | Path | None = None, ttl: float = RESULTS_TTL, sweep_every: float = SWEEP_EVERY,
                 concurrent_runs: int = CONCURRENT_RUNS, max_waiting: int = MAX_WAITING):
        self.pipe = pipe
        self._pipes = {pipe.summary_length: pipe}  # one per summary length asked for, sharing the model
        self.max_chars = max_chars
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.gate = Gate(concurrent_runs, max_waiting)
        self._lock = threading.Lock()
        self._runs: dict[Path, str | None] = {}  # run directory -> the session it belongs to
        self._busy: set[Path] = set()  # run directories whose run is still writing
        self._closed = False
        self._owned = workdir is None
        if workdir is None:
            workdir = self._make_workdir()
            atexit.register(self.close)
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._stop = threading.Event()
        threading.Thread(target=self._sweep_every, args=(sweep_every,), name="newsdesk-ui-sweep", daemon=True).start()

    @staticmethod
    def _make_workdir() -> Path:
        root = Path(get_upload_folder())
        for folder in {root, Path(tempfile.gettempdir())}:  # older versions used the system temp folder
            clean_stale(folder)
        try:
            root.mkdir(parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX, dir=root))
        except OSError as e:
            raise NewsdeskError(f"cannot create the folder for results in {root} ({e}). Set GRADIO_TEMP_DIR to a "
                                "folder this user can write.") from e
        (workdir / OWNER_FILE).write_text(f"{os.getpid()} {_start_time(os.getpid()) or ''}\n")
        return workdir

    def close(self) -> None:
        """Server stopping (Ctrl-C, SIGTERM, exit): remove every session's results; later runs are refused."""
        with self._lock:
            self._closed = True
            runs = list(self._runs)
            self._runs.clear()
        self._stop.set()
        if self._owned:
            _remove(self.workdir)
        for d in runs:
            _remove(d)

    # --- per-session run directories -------------------------------------------------------------
    def _fresh_dir(self, previous: str | None, session: str | None = None) -> Path:
        """A new directory for this run's files, named by 144 random bits (it is the download link, which only its
        session is given); the session's previous run directory is removed."""
        with self._lock:
            if self._closed:
                raise gr.Error("The server is stopping; nothing was started. Reload the page in a minute and run "
                               "again.", title="Server stopping", print_exception=False)
            if previous and Path(previous).resolve().parent == self.workdir:
                self._runs.pop(Path(previous).resolve(), None)
                _remove(previous)
            out = self.workdir / f"run-{secrets.token_urlsafe(18)}"
            out.mkdir(mode=0o700)
            self._runs[out] = session
            self._busy.add(out)
        return out

    def _finished(self, out: Path, ok: bool) -> None:
        """The run writing into `out` ended. Its results are kept from now for `ttl` (the sweep's clock), or removed
        at once when the run failed or stopped, or its session ended (or the server closed) while it ran."""
        with self._lock:
            self._busy.discard(out)
            keep = ok and out in self._runs and not self._closed
            if not keep:
                self._runs.pop(out, None)
        if not keep:
            _remove(out)
            return
        try:
            os.utime(out)
        except OSError:
            pass

    def end_session(self, request: gr.Request | None = None) -> None:
        """Unload event (tab closed or reloaded; API client closed, or its process gone): the session's results are
        removed now, not when Gradio drops the session's state an hour later. A run still writing is removed when
        it ends (`_finished`)."""
        session = request.session_hash if request is not None else None
        if not session:
            return
        with self._lock:
            dirs = [d for d, s in self._runs.items() if s == session]
            for d in dirs:
                del self._runs[d]
            idle = [d for d in dirs if d not in self._busy]
        for d in idle:
            _remove(d)

    def sweep(self, now: float | None = None) -> list[Path]:
        """Remove the run directories whose results are older than `ttl` (the time the UI states); runs still
        writing are kept. Returns what was removed."""
        now = time.time() if now is None else now
        removed = []
        for d in self.workdir.glob("run-*"):
            with self._lock:
                if d in self._busy:
                    continue
            try:
                expired = now - d.stat().st_mtime > self.ttl
            except OSError:
                continue
            if expired:
                with self._lock:
                    self._runs.pop(d, None)
                _remove(d)
                removed.append(d)
        return removed

    def _sweep_every(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self.sweep()

    # --- turns at the model ---------------------------------------------------------------------
    def _join(self) -> int:
        """A ticket for the model, or gr.Error saying how busy the server is and what to do."""
        try:
            return self.gate.join()
        except Busy as b:
            raise gr.Error(f"The server is busy: {b.running} runs are using the model and {b.waiting} more are "
                           f"waiting for a turn, the most it lets wait ({self.gate.waiting}). Nothing was started; "
                           "try again in a minute.", title="Server busy", print_exception=False) from None

    def _waiting(self, ticket: int) -> Iterator[str]:
        """Until the ticket's turn comes: a status line each time its place in line changes."""
        shown = None
        while place := self.gate.wait(ticket, timeout=1.0):
            if place != shown:
                shown = place
                ahead = place - 1
                yield (f"Waiting for a turn at the model: {self.gate.running} runs use it at once and all are busy"
                       f"{f'; {ahead} more wait before this one' if ahead else '; this run is next'}. It starts "
                       "by itself; keep this page open.")

    def _kept(self) -> str:
        return f"kept until you close this page, for {_duration(self.ttl)} at most"

    # --- article / page --------------------------------------------------------------------------
    def pipe_for(self, length: str | None):
        """The pipeline with summaries of the length a request asks for (standard or short; the same model)."""
        length = length or self.pipe.summary_length
        if length not in self._pipes:
            self._pipes[length] = self.pipe.with_summary_length(length)
        return self._pipes[length]

    def page(self, text: str, name: str, run_dir: str | None, length: str | None = None,
             request: gr.Request | None = None):
        """UI event: stream cards for a pasted page.
        Yields (status, cards, jsonl button, markdown button, report button, run_dir)."""
        hidden = gr.update(value=None, visible=False)
        try:
            pipe = self.pipe_for(length)
        except InputError as e:
            yield _status(str(e), "error"), "", hidden, hidden, hidden, run_dir
            return
        try:
            doc = ingest.from_text(text or "", safe_name(name), max_chars=self.max_chars)
        except InputError as e:
            gr.Warning(str(e), title="Cannot process this text")
            yield _status(str(e), "error"), "", hidden, hidden, hidden, run_dir
            return
        ticket = self._join()
        try:
            items = pipe.preprocess(doc)
            records: dict[int, dict] = {}
            yield (_status(_progress_line(None, len(items))), render.cards(items, records, doc.text),
                   hidden, hidden, hidden, run_dir)
            for line in self._waiting(ticket):
                yield _status(line), gr.skip(), hidden, hidden, hidden, run_dir
            for kind, value in stream(pipe, doc, items):  # the page is read once
                if kind == "progress":
                    yield _status(_progress_line(value, len(items))), gr.skip(), hidden, hidden, hidden, run_dir
                else:
                    records[value["index"]] = value
                    yield (_status(f"{len(records)} of {len(items)} done; working on the rest…"),
                           render.cards(items, records, doc.text), hidden, hidden, hidden, run_dir)
        finally:
            self.gate.leave(ticket)
        final = [records[i] for i in sorted(records)]
        out = self._fresh_dir(run_dir, request.session_hash if request else None)
        ok = False
        try:
            jsonl, md = write_issue(out, doc.name, final, run=pipe.provenance(doc))
            ok = True
        finally:
            self._finished(out, ok)
        report = report_path(out, doc.name)
        n_flags = sum(len(r["flags"]) for r in final)
        done = (f"Done: {len(final)} item{'s' if len(final) != 1 else ''}, {n_flags} flag{'s' if n_flags != 1 else ''}"
                f" · model {self.pipe.model_name}. Download the results below ({self._kept()}).")
        yield (_status(done, "done"), render.cards(items, records, doc.text, state="done"),
               gr.update(value=str(jsonl), visible=True), gr.update(value=str(md), visible=True),
               gr.update(value=str(report), visible=True) if report.is_file() else hidden, str(out))

    # --- batch -----------------------------------------------------------------------------------
    def _read_upload(self, path: str) -> ingest.Document:
        """The bytes Gradio received for one upload, as a Document. Refuses anything outside Gradio's upload folder,
        and the results kept there (another session's, whose link someone learnt)."""
        p = Path(path)
        name = p.name
        root = Path(get_upload_folder()).resolve()
        if not p.resolve().is_relative_to(root) or p.resolve().is_relative_to(self.workdir):
            raise InputError(f"{name} was not uploaded through this page; upload the file itself.")
        if p.suffix.lower() not in ACCEPTED_UPLOADS:
            raise InputError(f"{name}: only plain-text issue files ({', '.join(ACCEPTED_UPLOADS)}) are accepted. "
                             "Export the OCR result as a .txt file (UTF-8, GB18030, Big5 or UTF-16).")
        size = p.stat().st_size
        if size > self.max_bytes:
            raise InputError(f"{name} is {size:,} bytes, above the limit of {self.max_bytes:,} bytes for one issue. "
                             "Split it into pages.")
        # path=: the upload's own file name, for messages (never a server path)
        return ingest.read_bytes(p.read_bytes(), safe_name(p.stem, "issue"), max_bytes=self.max_bytes, path=name)

    def batch(self, files: list[str] | None, run_dir: str | None, length: str | None = None,
              request: gr.Request | None = None):
        """UI event: run uploaded issue files through the pipeline; yields (status, zip file, run_dir)."""
        try:
            pipe = self.pipe_for(length)
        except InputError as e:
            yield _status(str(e), "error"), None, run_dir
            return
        if not files:
            msg = "No files: upload one or more issue files (.txt) first."
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
        ticket = self._join()
        out: Path | None = None
        ok = False
        try:
            for line in self._waiting(ticket):
                yield _status([*lines, line]), None, run_dir
            out = self._fresh_dir(run_dir, request.session_hash if request else None)
            for n, (upload, doc) in enumerate(docs, 1):
                records: list[dict] = []
                head = f"file {n} of {len(docs)}: {upload}"
                yield _status([*lines, head + " …"]), None, str(out)
                for kind, value in stream(pipe, doc):
                    if kind == "record":
                        records.append(value)
                    else:
                        yield (_status([*lines, f"{head}: {_progress_line(value, value['articles'])}"]), None,
                               str(out))
                records.sort(key=lambda r: r["index"])
                write_issue(out / "results", doc.name, records, run=pipe.provenance(doc))
                lines.append(f"✓ {upload}: {len(records)} items, {sum(len(r['flags']) for r in records)} flags")
            archive = out / ("newsdesk-" + (docs[0][1].name if len(docs) == 1 else f"{len(docs)}-issues") + ".zip")
            written = sorted((out / "results").iterdir())  # all write_issue wrote, as newsdesk batch would
            _zip(archive, written)
            ok = True
        finally:
            self.gate.leave(ticket)
            if out is not None:
                self._finished(out, ok)
        lines.append(f"Done: {archive.name} holds {len(written)} files, the ones newsdesk batch writes "
                     f"({self._kept()}).")
        yield _status(lines, "done"), str(archive), str(out)

    # --- API ---------------------------------------------------------------------------------------
    def process(self, text: str, name: str = "pasted", length: str = "standard") -> list[dict]:
        """Summarise and translate one pasted article or page. Returns one record per article, in page order:
        the records `newsdesk batch` writes to JSONL. `length`: of the summaries, standard (2-4 sentences) or
        short (one headline-like sentence)."""
        try:
            doc = ingest.from_text(text or "", safe_name(name), max_chars=self.max_chars)
            pipe = self.pipe_for(length)
        except InputError as e:
            raise gr.Error(str(e), print_exception=False) from None
        ticket = self._join()
        try:
            self.gate.wait(ticket)
            return pipe.process(doc, interactive=True)  # a client waits for this answer, as the page view's reader does
        finally:
            self.gate.leave(ticket)

    # --- layout ------------------------------------------------------------------------------------
    def build(self):
        """The Blocks app with its queue set up, as `launch` serves it."""
        examples = [[p.read_text(encoding="utf-8"), p.stem] for p in sorted(CORPUS.glob("*.txt"))[:5]]
        same = self.pipe.summary_profile.name == self.pipe.translate_profile.name
        models = self.pipe.model_name + ("" if same else f" · summaries: {self.pipe.summary_profile.name}")
        # Gradio's own clean-up of what it keeps (uploads) on the same clock as the results
        delete_cache = (int(SWEEP_EVERY), max(1, int(self.ttl)))
        with gr.Blocks(title="newsdesk", analytics_enabled=False, delete_cache=delete_cache) as demo:
            gr.Markdown(f"# newsdesk\nChinese local-newspaper text in; a Chinese summary and an English translation "
                        f"of every article out. Model: `{models}`. Anything the checks cannot verify is flagged "
                        f"next to the text it concerns. Results and uploads are kept for your session only: they "
                        f"are deleted when you close this page, and {_duration(self.ttl)} after a run at the latest; "
                        f"download what you want to keep.")
            with gr.Tab("Article / page", id="page"):
                text = gr.Textbox(label=f"Chinese article or whole OCR'd page (up to {self.max_chars:,} characters)",
                                  lines=12, max_lines=16, elem_id="nd-text",
                                  placeholder="Paste one article or a whole page; lines broken at columns are "
                                              "joined and the page is split into its articles.")
                with gr.Row():
                    name = gr.Textbox(label="Issue name (for the downloaded files)", value="pasted", scale=2,
                                      elem_id="nd-name", max_lines=1)
                    length = gr.Radio(LENGTHS, value=self.pipe.summary_length, label="Summary", scale=2,
                                      elem_id="nd-length", info="standard: 2-4 sentences · short: one line")
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
                gr.Markdown(f"Upload one or more issue files ({', '.join(ACCEPTED_UPLOADS)}; UTF-8, GB18030, Big5 or "
                            f"UTF-16; up to {self.max_bytes:,} bytes each). The ZIP holds exactly the files "
                            "`newsdesk batch` writes for each file: `<issue>.jsonl`, `<issue>.md` and `<issue>.report.json`.")
                files = gr.File(label="Issue files", file_count="multiple", file_types=list(ACCEPTED_UPLOADS),
                                type="filepath", elem_id="nd-files")
                batch_length = gr.Radio(LENGTHS, value=self.pipe.summary_length, label="Summary",
                                        elem_id="nd-batch-length", info="standard: 2-4 sentences · short: one line")
                run_batch = gr.Button("Run batch", variant="primary", elem_id="nd-run-batch")
                batch_status = gr.HTML(elem_id="nd-batch-status")
                batch_zip = gr.File(label="Results (ZIP)", interactive=False, elem_id="nd-zip")
            session_dir = gr.State(None, delete_callback=_remove)

            # Gradio lets in the gate's running and waiting runs and a few more, which the gate refuses with its
            # message; anything beyond waits in Gradio's queue for a moment only
            admitted = self.gate.running + self.gate.waiting + REFUSING_SLOTS
            common = {"concurrency_id": "generate", "concurrency_limit": admitted, "show_progress": "minimal"}
            page_ev = run.click(self.page, [text, name, session_dir, length],
                                [status, cards, dl_jsonl, dl_md, dl_report, session_dir],
                                api_visibility="undocumented", api_name="page", **common)
            stop.click(None, None, None, cancels=[page_ev], api_visibility="private")
            run_batch.click(self.batch, [files, session_dir, batch_length], [batch_status, batch_zip, session_dir],
                            api_name="batch", **common)
            gr.api(self.process, api_name="process", concurrency_id="generate", concurrency_limit=admitted)
            demo.unload(self.end_session)
        demo.queue(default_concurrency_limit=CONCURRENT_RUNS, max_size=QUEUE_SIZE)
        return demo


THEME_FONTS = {"font": ["Noto Sans CJK SC", "system-ui", "sans-serif"], "font_mono": ["monospace"]}


def launch(pipe, *, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           max_chars: int = ingest.DEFAULT_MAX_CHARS, max_bytes: int = ingest.DEFAULT_MAX_BYTES) -> None:
    """Serve the UI until interrupted (Ctrl-C or SIGTERM), then remove every session's results and stop the model's
    engine after its step in flight. Binds to `host` only (localhost by default); no share link unless asked."""
    from service.generation.backends import shutdown

    ui = WebUI(pipe, max_chars=max_chars, max_bytes=max_bytes)
    demo = ui.build()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        demo.launch(server_name=host, server_port=port, share=share, max_file_size=max_bytes, show_error=True,
                    ssr_mode=False, css=render.CSS, theme=gr.themes.Default(**THEME_FONTS),
                    footer_links=["api", "settings"])
    except OSError as e:
        raise NewsdeskError(f"cannot serve on {host}:{port} ({e}). Is another server using the port? "
                            "Pick another with --port.") from e
    finally:
        signal.signal(signal.SIGTERM, previous)
        ui.close()
        shutdown()  # Gradio took the interrupt: never exit while the engine is inside native code
