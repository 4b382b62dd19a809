"""Glossary of places, institutions and terms: `glossary/zh-en.csv` shipped in the repository, extendable by
the user (`newsdesk batch --glossary FILE`, merged over the shipped one: a user row replaces the shipped row with
the same `zh`).

CSV columns: `zh`, `en`, `note`. `en` is the rendering the model is asked to use; more accepted renderings may
follow it, separated by `|` (`Zhejiang Province|Zhejiang`): the check passes when the English contains any of
them (case-insensitive). An alternative `-` says the English may leave the term out (`the city|city|-` for 我市, a
local paper's "our city", which an English headline or sentence often drops): the passage is still given the
rendering, and a use of it is checked, but its absence is neither flagged nor counted as a fact. Lines whose `zh`
starts with `#` are comments.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from service.data import shipped
from service.errors import InputError

SHIPPED = shipped("glossary") / "zh-en.csv"


@dataclass(frozen=True)
class Entry:
    zh: str
    en: str  # preferred rendering
    accept: tuple[str, ...]  # every accepted rendering, the preferred one first
    note: str = ""
    optional: bool = False  # `-` among the renderings: the English may leave the term out


def normalise_en(text: str) -> str:
    """For containment checks: lower case, curly quotes straight, and no commas, hyphens or spaces, so that the
    ways English spells one rendering compare equal: 'Yongkang, Wuyi, and Jinyun' (a serial comma) is 'Yongkang,
    Wuyi and Jinyun', 'primary healthcare' is 'primary health care', 'sub-district' is 'subdistrict'. (Seen on
    the seed page: each of the first two cost a re-translation of a passage that was right.)"""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"[\s\-‐–,]+", "", text)


class Glossary:
    def __init__(self, entries: dict[str, Entry] | None = None):
        self.entries: dict[str, Entry] = dict(entries or {})
        self._pattern: re.Pattern | None = None

    @classmethod
    def load(cls, *extra: str | Path, shipped: bool = True) -> "Glossary":
        g = cls()
        for path in ([SHIPPED] if shipped else []) + [Path(p) for p in extra]:
            g.entries.update(read_csv(path))
        return g

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str, exclude: tuple[str, ...] = ()) -> list[tuple[int, int, Entry]]:
        """Glossary terms in a Chinese text, longest first, not overlapping each other: (start, end, entry)."""
        if not self.entries:
            return []
        if self._pattern is None:
            keys = sorted(self.entries, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, keys)))
        return [(m.start(), m.end(), self.entries[m.group(0)]) for m in self._pattern.finditer(text)
                if m.group(0) not in exclude]

    @staticmethod
    def present(entry: Entry, english: str) -> bool:
        en = normalise_en(english)
        return any(normalise_en(a) in en for a in entry.accept)


def read_csv(path: str | Path) -> dict[str, Entry]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read glossary {path}: {e.strerror}. Pass a CSV file with columns zh,en,note.") from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"glossary {path} is not UTF-8; save it as UTF-8 CSV (columns zh,en,note).") from e
    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or not {"zh", "en"} <= {f.strip() for f in rows.fieldnames}:
        raise InputError(f"glossary {path} needs a header line with columns zh,en (and optionally note); "
                         f"found {rows.fieldnames}.")
    out: dict[str, Entry] = {}
    for n, row in enumerate(rows, start=2):
        extra = row.pop(None, None) or []  # an unquoted comma in the note: keep the rest of the line in it
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if extra:
            row["note"] = ", ".join(x.strip() for x in [row.get("note", ""), *extra] if x.strip())
        zh, en = row.get("zh", ""), row.get("en", "")
        if not zh or zh.startswith("#"):
            continue
        if not en:
            raise InputError(f"glossary {path}, line {n}: '{zh}' has no English (column en).")
        alternatives = [a.strip() for a in en.split("|") if a.strip()]
        if alternatives[0] == "-":
            raise InputError(f"glossary {path}, line {n}: '{zh}' starts with '-'; put the English rendering first "
                             "and '-' (may be left out) after it, e.g. 'the city|-'.")
        accept = tuple(a for a in alternatives if a != "-")
        out[zh] = Entry(zh, accept[0], accept, row.get("note", ""), optional="-" in alternatives)
    return out
