"""Ingest: bytes or pasted text in, a checked `Document` out.

Decoding: a byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise strict UTF-8, then charset-normalizer
chooses among the encodings Chinese papers are saved in (GB18030/GBK, Big5/Big5-HKSCS from Hong Kong and
Taiwan, UTF-16 without a mark from Windows exports).
Cleaning, each step flagged where it happened (`Document.flags`): an HTML page saved as text is reduced to its
text (block elements become lines; scripts, styles and tags go); NUL and other control characters (kept by some
OCR exports, e.g. 融媒记\x00者) are removed, because they would split words and names.
Rejects, with a message that says what to do: empty input, binary files, files over the size limit and text
with little or no Chinese in it. Offsets used everywhere else are character offsets into `Document.text`: the
decoded file exactly when nothing was cleaned (`Document.original` is then None), else the cleaned text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from charset_normalizer import from_bytes

from service.chinese import cjk_share
from service.errors import InputError
from service.flags import flag

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
    original: str | None = None  # the decoded text before cleaning, when cleaning changed it
    # what cleaning did, as flags: a `span` into `text` places one in the item it concerns, else the first item
    flags: tuple[dict, ...] = field(default=(), compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# what Chinese text files come in when they are neither UTF-8 nor UTF-16; charset-normalizer picks the one whose
# decoding reads as language (Big5 bytes also decode as GB18030, into nonsense)
CANDIDATES = ["gb18030", "big5", "big5hkscs"]


def _binary(label: str, why: str) -> InputError:
    return InputError(
        f"{label} looks like a binary file ({why}), not text. newsdesk reads plain-text pages (UTF-8, UTF-16, "
        "GB18030/GBK or Big5); export the OCR result as a .txt file."
    )


def decode(data: bytes, label: str = "input") -> tuple[str, str]:
    """Decode bytes from a newspaper file; returns (text, encoding name)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc.removesuffix("-sig")), enc
            except UnicodeDecodeError as e:
                raise InputError(f"{label} starts with a {enc} byte-order mark but is not valid {enc} (byte {e.start}"
                                 f" of the file). Save the page again as UTF-8 text.") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:65536]:  # UTF-16 without a byte-order mark (newlines and digits are \n\x00, 1\x00), or binary
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if not _looks_binary(text) and cjk_share(text) >= MIN_CJK_SHARE:
                return text, enc
        raise _binary(label, "it contains NUL bytes")
    best = from_bytes(data, cp_isolation=CANDIDATES).best()
    if best is None:
        raise InputError(
            f"{label} is not readable text in any encoding newsdesk knows (tried UTF-8, UTF-16, GB18030 and Big5). "
            "Save the page as UTF-8 text and try again."
        )
    return str(best), best.encoding


# --- cleaning -------------------------------------------------------------------------------------------------
_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s)", re.I)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_BLOCK_TAGS = frozenset("address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
                        "header hr li main nav ol p pre section table td th tr ul".split())
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})


def looks_like_html(text: str) -> bool:
    """An HTML document, or text that is mostly markup (many tags, a good share of the characters)."""
    if _HTML_START.match(text):
        return True
    tags = _TAG.findall(text[:200_000])
    return len(tags) >= 5 and sum(map(len, tags)) > 0.05 * len(text[:200_000])


class _TextOf(HTMLParser):
    """The readable text of an HTML page: block elements end lines; script, style and <head> (with its <title>,
    usually the site's name and the headline again) are dropped; entities are decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.tags = 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> tuple[str, int]:
    """(text, number of tags) of an HTML page; runs of blank lines collapse to one."""
    p = _TextOf()
    p.feed(html)
    p.close()
    lines = [ln.strip(" \t\r") for ln in "".join(p.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n", p.tags


_KEEP = "\n\r\t\f"
_INVISIBLE = "\ufeff\u200b"  # a byte-order mark inside the text, zero-width spaces


def _removable(c: str) -> bool:
    return (unicodedata.category(c) == "Cc" and c not in _KEEP) or c in _INVISIBLE


def remove_controls(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Text without NUL, other control characters and invisible marks; [(offset in the new text, removed)]."""
    if not any(_removable(c) for c in text):
        return text, []
    out: list[str] = []
    removed: list[tuple[int, str]] = []
    n = 0
    for c in text:
        if _removable(c):
            if removed and removed[-1][0] == n:
                removed[-1] = (n, removed[-1][1] + c)
            else:
                removed.append((n, c))
        else:
            out.append(c)
            n += 1
    return "".join(out), removed


def clean(text: str, label: str = "input") -> tuple[str, list[dict]]:
    """The text the page is read from, and a flag for each change made to get it."""
    flags: list[dict] = []
    if looks_like_html(text):
        text, tags = html_text(text)
        flags.append(flag("html_extracted", f"{label} is an HTML page, not plain text: newsdesk read the text out of "
                          f"its markup ({tags:,} tags; scripts and styles dropped). Check that nothing the page "
                          "shows is missing; for the best result export the article text itself."))
    text, removed = remove_controls(text)
    for at, chars in removed:
        names = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in chars))
        before, after = text[at - 1:at] or "the start", text[at:at + 1] or "the end"
        flags.append(flag("control_removed", f"{len(chars)} invisible control character{'s' if len(chars) > 1 else ''}"
                          f" ({names}) removed between {before} and {after}: an OCR or export fault, not part of the "
                          "text.", span=[max(0, at - 1), at + 1], found=text[max(0, at - 1):at + 1]))
    return text, flags


def _looks_binary(text: str) -> bool:
    """Many control or private-use characters: a binary file, not a page with a few stray NULs (those are
    removed and flagged)."""
    bad = sum(1 for c in text if unicodedata.category(c) in ("Cc", "Co", "Cs") and c not in "\n\r\t\f")
    return bad > max(16, 0.01 * len(text))


def check_text(text: str, label: str = "input") -> None:
    """Raise InputError unless `text` looks like Chinese newspaper text."""
    if not text.strip():
        raise InputError(f"{label} is empty: there is no text to summarise or translate. Paste or pass a page of Chinese newspaper text.")
    if _looks_binary(text):
        raise _binary(label, "many control characters")
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
    return _document(text, name, encoding, path, label)


def _document(raw: str, name: str, encoding: str, path: str | None, label: str) -> Document:
    if raw.strip() and _looks_binary(raw):  # binary input is refused as it came: cleaning would hide it
        raise _binary(label, "many control characters")
    text, flags = clean(raw, label)
    check_text(text, label)
    return Document(name=name, text=text, encoding=encoding, path=path, original=raw if text != raw else None,
                    flags=tuple(flags))


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
    try:
        data = p.read_bytes()
    except PermissionError:
        raise InputError(f"{p} cannot be read: permission denied (owner uid {p.stat().st_uid}, mode "
                         f"{p.stat().st_mode & 0o777:o}). Make it readable (chmod u+r) or run as its owner.") from None
    except OSError as e:
        raise InputError(f"{p} cannot be read: {e.strerror}. Check the file and the disk.") from None
    return read_bytes(data, p.stem, max_bytes=max_bytes, path=str(p))


def from_text(text: str, name: str = "pasted", *, max_chars: int = DEFAULT_MAX_BYTES // 3) -> Document:
    """A pasted page (web UI): same checks as a file."""
    if len(text) > max_chars:
        raise InputError(
            f"the pasted text is {len(text):,} characters, above the limit of {max_chars:,}. "
            "Paste one page at a time, or use the batch upload."
        )
    return _document(text, name, "utf-8", None, "the pasted text")
