"""SQLite store of every generation: the resume cache and the log.

Key: sha256 of (model, prompt template id, generation settings, rendered input) — so the content hash, the
model and the prompt version all take part. Rows are committed after each batch, so an interrupted run loses at
most the batch in flight, and a re-run reuses everything already done. The table doubles as a log (model,
template, input, output, tokens, seconds, time) that can be read with any SQLite tool.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from service.errors import NewsdeskError
from service.generation.backends import Generation

SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    template TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL
);
"""


def _check_location(path: Path) -> None:
    """A cache path that can hold the database, or a message saying why not (before any model is loaded)."""
    if path.is_dir():
        raise NewsdeskError(f"the cache {path} is a directory; --cache takes a file, e.g. {path / 'cache.sqlite'}.")
    parent = path.parent
    for up in (parent, *parent.parents):
        if up.exists():
            if not up.is_dir():
                raise NewsdeskError(f"the cache {path} cannot be created: {up} is a file, not a directory.")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NewsdeskError(f"the cache folder {parent} cannot be created ({e.strerror}). Pass --cache FILE in a "
                            "folder you can write to.") from None
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        raise NewsdeskError(f"the cache {path} is not writable by this user. Pass --cache FILE in a folder you can "
                            "write to, or fix the permissions.")


def make_key(model: str, template: str, settings: dict, rendered) -> str:
    blob = json.dumps([model, template, settings, rendered], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    def __init__(self, path: str | Path | None):
        """`path=None` keeps nothing between runs (an in-memory database)."""
        self.path = str(path) if path else ":memory:"
        if path:
            _check_location(Path(path))
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            with self._lock:
                if path:
                    self._db.execute("PRAGMA journal_mode=WAL")
                self._db.executescript(SCHEMA)
                cols = [r[1] for r in self._db.execute("PRAGMA table_info(generations)")]
        except sqlite3.DatabaseError as e:
            raise NewsdeskError(
                f"the cache {self.path} is not a newsdesk cache database ({e}). Pass another file with --cache, "
                "or move this one away (newsdesk never overwrites a file it did not create)."
            ) from None
        if cols[:4] != ["key", "model", "template", "input"]:
            raise NewsdeskError(f"the cache {self.path} is an SQLite database of something else (its generations "
                                "table has other columns). Pass another file with --cache.")

    def get(self, key: str) -> Generation | None:
        with self._lock:
            row = self._db.execute("SELECT output, tokens, finished, seconds FROM generations WHERE key=?", (key,)).fetchone()
        return Generation(row[0], row[1], bool(row[2]), row[3]) if row else None

    def put_many(self, rows: list[tuple[str, str, str, str, Generation]]) -> None:
        """rows: (key, model, template, input text, generation); one transaction."""
        now = time.time()
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO generations VALUES (?,?,?,?,?,?,?,?,?)",
                [(k, m, t, i, g.text, g.tokens, int(g.finished), g.seconds, now) for k, m, t, i, g in rows],
            )

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
