"""Ingest: bytes or pasted text in, a checked `Document` out.

Accepts UTF-8 (with or without BOM) and GB18030/GBK; other encodings are guessed with charset-normalizer.
Rejects, with a message that says what to do: empty input, binary files, files over the size limit and text
with little or no Chinese in it. Offsets used everywhere else are character offsets into `Document.text`,
which is the decoded file exactly (no normalisation), so spans point back into the original.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from .chinese import cjk_share
from .errors import InputError

DEFAULT_MAX_BYTES = 2_000_000  # a whole 24-page county daily is about 300 KB of text
# pasted text (web UI): about six dense pages; the embedded model takes ~4 min a page on 2 cores
DEFAULT_MAX_CHARS = 20_000
MIN_CJK_SHARE = 0.2  # of letters (CJK + Latin etc.), below which the text is not Chinese news


@dataclass(frozen=True)
class Document:
    name: str  # the issue name used for outputs (file stem, or a name given with pasted text)
    text: str  # decoded text, exactly as in the file
    encoding: str
    path: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def decode(data: bytes, label: str = "input") -> tuple[str, str]:
    """Decode bytes from a newspaper file; returns (text, encoding name)."""
    if b"\x00" in data[:65536]:
        raise InputError(
            f"{label} looks like a binary file (it contains NUL bytes), not text. "
            "newsdesk reads plain-text pages (UTF-8 or GB18030); export the OCR result as a .txt file."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise InputError(
            f"{label} is not readable text in any encoding newsdesk knows (tried UTF-8, GB18030 and detection). "
            "Save the page as UTF-8 text and try again."
        )
    return str(best), best.encoding


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for c in text if unicodedata.category(c) in ("Cc", "Co", "Cs") and c not in "\n\r\t\f")
    return bad / len(text)


def check_text(text: str, label: str = "input") -> None:
    """Raise InputError unless `text` looks like Chinese newspaper text."""
    if not text.strip():
        raise InputError(f"{label} is empty: there is no text to summarise or translate. Paste or pass a page of Chinese newspaper text.")
    if _control_share(text) > 0.01:
        raise InputError(
            f"{label} looks like a binary file (many control characters), not text. "
            "newsdesk reads plain-text pages (UTF-8 or GB18030); export the OCR result as a .txt file."
        )
    share = cjk_share(text)
    if share < MIN_CJK_SHARE:
        raise InputError(
            f"{label} has little or no Chinese in it ({share:.0%} of its letters are Chinese characters). "
            "newsdesk summarises and translates Chinese newspaper text; check that this is the right file."
        )


def read_bytes(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES, path: str | None = None) -> Document:
    label = path or name
    if len(data) > max_bytes:
        raise InputError(
            f"{label} is {len(data):,} bytes, above the limit of {max_bytes:,} bytes for one issue. "
            "Split it into pages, or raise the limit (--max-bytes)."
        )
    text, encoding = decode(data, label)
    check_text(text, label)
    return Document(name=name, text=text, encoding=encoding, path=path)


def read_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p} is not a file (missing, or a directory). Pass a text file of a newspaper page or issue.")
    size = p.stat().st_size
    if size > max_bytes:  # don't read a huge file into memory just to refuse it
        raise InputError(
            f"{p} is {size:,} bytes, above the limit of {max_bytes:,} bytes for one issue. "
            "Split it into pages, or raise the limit (--max-bytes)."
        )
    return read_bytes(p.read_bytes(), p.stem, max_bytes=max_bytes, path=str(p))


def from_text(text: str, name: str = "pasted", *, max_chars: int = DEFAULT_MAX_BYTES // 3) -> Document:
    """A pasted page (web UI): same checks as a file."""
    if len(text) > max_chars:
        raise InputError(
            f"the pasted text is {len(text):,} characters, above the limit of {max_chars:,}. "
            "Paste one page at a time, or use the batch upload."
        )
    check_text(text, "the pasted text")
    return Document(name=name, text=text, encoding="utf-8")
