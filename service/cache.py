"""SQLite store of every generation: the resume cache and the log.

Key: sha256 of (model, prompt template id, generation settings, rendered input) — so the content hash, the
model and the prompt version all take part. Rows are committed after each batch, so an interrupted run loses at
most the batch in flight, and a re-run reuses everything already done. The table doubles as a log (model,
template, input, output, tokens, seconds, time) that can be read with any SQLite tool.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from .backends import Generation

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


def make_key(model: str, template: str, settings: dict, rendered) -> str:
    blob = json.dumps([model, template, settings, rendered], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    def __init__(self, path: str | Path | None):
        """`path=None` keeps nothing between runs (an in-memory database)."""
        self.path = str(path) if path else ":memory:"
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            if path:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)

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
