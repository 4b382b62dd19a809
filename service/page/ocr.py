"""OCR defects: characters that are likely doubled, dropped or swapped by the OCR, flagged, and corrected in the
text the model reads when the evidence is strong.

Each finding becomes a flag on its item with the original-file span of the suspicious text (`found`), a message
that says what the evidence is, and a suggested reading (`expected`). The evidence comes from the jieba
dictionary (word frequencies from a large general corpus) and from the page itself (the same word written in full
elsewhere on the page):

- doubled: 出海口口 -- a word (出海口) is followed by its own last character standing alone, and the doubled
  pair (口口) is not a common word;
- swapped: 金五产品 -- two characters that stand alone in the segmentation, where the swapped pair is a word
  (五金) that appears elsewhere on the page;
- dropped: 安管理 -- a character that is not a word on its own (安) before or after a word (管理), where adding one
  character gives a word (安全) that appears elsewhere on the page, and the result is one word shorter.

The rules are conservative on purpose: a false alarm costs a reader's time on every page.

Corrections. A finding whose rule the evidence supports well is also applied to the text the model reads (the
item's paragraphs and heading lines: `Item.correct`), so that the translation does not say "gold five
product". The page as printed is never changed: the item keeps it (`Item.printed`; in the record `headline`,
`paragraphs` and `text`), lists each change in `Item.corrections` ({kind, original, corrected, span, evidence},
the span in the original file), and `Item.locate` maps offsets in the corrected text back onto the file. The flag
of an applied correction says that the model read the corrected form; every other flag says why the text was left
as it is. Which findings are applied (`Defect.confident`) was decided on clean text, where every flag is a false
alarm (588,815 characters: pku-news-raw, which the rules were developed on, and the Chinese of WMT17/18, TICO-19
and FLORES-200 as held-out text), and on the development pages (scripts/ocr_corrections.py;
bench/results/20261202-ocr-corrections.json has the figures and a verdict on each correction):

- doubled: applied. The evidence is in the text itself (a word, then its own last character alone, the pair not
  a word); on the clean text it fired twice, once on a real typo (运动员员) and once across a line break that
  line repair had removed (功能 / 能以…): so it is not applied across such a break, which may be real (a rule
  added after seeing that held-out case).
- swapped: applied when the found pair is written nowhere else on the page. A slip of the OCR is not repeated
  verbatim; a pair that recurs is the text's own (阴转 in a weather table that also writes 转阴). One wrong
  correction is left on the held-out text (日本高品油, high-grade oil, read as 高油品).
- dropped: applied only when a model weighs it (`weigh_dropped`; the pipeline passes its translating model's
  `score`, `newsdesk segment` has no model and leaves a flag). Nothing the page shows tells 安管理 (for 安全管理)
  on the seed page from 安峰山 (a spokesman's name) or 免下车 (drive-through) on clean text: the same character,
  the same kind of evidence; on the held-out clean text the rule fires 27 times, every one a wrong insertion had
  it been applied on the page's evidence alone. The model reads the sentence as printed and with the character
  put back, and the correction is applied when the corrected sentence is at least e^DROPPED_GAIN times likelier
  (on the seed page: +13.0 and +10.8 for 安全管理; on the 31 findings of clean text, at most +1.4:
  bench/results/20261206-ocr-dropped-model.json). A summary that copies a defect left as a flag is written again
  (checks.summary_problems, `summary_ocr_copied`).

Two findings on the same characters: the first one is applied.

This is a step of its own after segmentation (`flag_items`, called at the end of `segment.segment`): it reads the
items' text and offsets, adds flags and applies corrections, and knows nothing else of how the page was split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from service.chinese import UNIFIED_CHAR as _CJK  # the unified block only: see chinese.py
from service.chinese import jieba
from service.flags import flag

# Characters that are common words on their own (function words, measure words, frequent verbs and nouns,
# numerals): alone in a segmentation they are no sign of a lost neighbour.
_FREE = set(
    "的了着过们地得么吗呢吧啊呀和与及或在对把被将向从给于而并就都也还又则是有为以由到说做让使等个年月日时分秒"
    "人中上下大小多少新老这那其各每该此本我你他她它谁哪何不没无未非很更最再已曾才只又且但若如因所之其者被"
    "百千万亿两几第元名家位种件项次天岁条张座所台辆部篇份批期届号层米吨亩斤"
    "市省县区镇乡村街路国州港局厅处科站队组团会院校所司部委办"
    "去来出入进回开关看听想见写读打买卖用拿走跑坐站住送带找查管办建修"
)
# Single-character abbreviations of countries and provinces (中美, 苏浙): they stand alone in compounds.
_ABBREVIATIONS = set("中美英法德日俄韩朝越泰巴荷意西澳加印埃以叙伊古秘墨智欧亚非港台京沪津渝苏浙皖闽赣鲁豫鄂湘粤桂"
                     "琼川黔滇藏陕甘宁蒙辽吉黑晋冀")
# Verbs that headlines and news prose use alone (获奖 as 获一等奖, 迎新春, 创佳绩)
_NEWS_VERBS = set("获庆迎创增助具赴抵致访谈签称称据逾近约")
FREE_WORD_FREQ = 10000  # a character this frequent as a word on its own in the dictionary is a free word
_FUNCTION = set("的了着过们地得么吗呢吧啊呀和与及或在对把被将向从给于而并就都也还又则是有为以由到")
# Productive prefixes and suffixes: alone in a segmentation they attach to the word after / before them
# (总投资, 全覆盖, 救护员, 便捷化), which is no sign of a lost character.
_NUMERALS = set("一二三四五六七八九十零〇○")
_FREE |= _NUMERALS
_PREFIX = set("总副前原新老非超准反全多各每该本其首次单双近共约")
_SUFFIX = set("类化性员者家业界型式率额量度区馆店里间内外前后上下中边处方型点线站所厂场局院队版期级届")
DOUBLE_PAIR_MAX = 5  # a doubled pair more frequent than this in the dictionary is a real word (人人, 常常)
WORD_MIN = 20  # dictionary frequency for a word to count as evidence
DROPPED_WORD_MIN = 1000  # ... for the completed word when a character seems dropped
DROPPED_REPEAT = 2  # times the same defective sequence must be on the page


@lru_cache(maxsize=1)
def _dict():
    jb = jieba()
    return jb, jb.dt.FREQ


def _freq(w: str) -> int:
    return _dict()[1].get(w, 0) or 0


def _tokens(text: str) -> list[tuple[str, int]]:
    jb, _ = _dict()
    out, pos = [], 0
    for w in jb.cut(text, HMM=False):
        out.append((w, pos))
        pos += len(w)
    return out


@dataclass
class Page:
    """What the page itself says: how often each dictionary word (two characters or more) is written on it,
    and its text (to count repeated defects)."""

    words: Counter
    text: str


def page_evidence(texts: list[str]) -> Page:
    c: Counter = Counter()
    for t in texts:
        c.update(w for w, _ in _tokens(t) if len(w) >= 2)
    return Page(c, "\n".join(texts))


@dataclass
class Defect:
    kind: str  # doubled | dropped | swapped
    start: int  # offsets in the scanned text
    end: int
    found: str
    expected: str
    evidence: str
    confident: bool = True  # strong enough to correct the text the model reads
    doubt: str = ""  # why not, when not


def _single(w: str) -> bool:
    return len(w) == 1 and bool(_CJK.match(w))


def find_defects(text: str, page: Page) -> list[Defect]:
    """Likely OCR defects in one paragraph or headline, with evidence from the dictionary and the whole page."""
    words = page.words
    toks = _tokens(text)
    out: list[Defect] = []
    for k, (w, pos) in enumerate(toks):
        prev = toks[k - 1][0] if k else ""
        nxt = toks[k + 1][0] if k + 1 < len(toks) else ""
        nxt_pos = toks[k + 1][1] if k + 1 < len(toks) else len(text)
        if not _single(w):
            continue
        # doubled: 出海口 口 的 -- the word's last character again, alone, then a free word or punctuation
        if (len(prev) >= 2 and prev[-1] == w and _freq(prev) >= WORD_MIN and _freq(w + w) <= DOUBLE_PAIR_MAX
                and w not in _FUNCTION and not (len(prev) == 2 and prev[0] in "一两几每")
                and (not nxt or nxt in _FREE or not _CJK.match(nxt[0]))):
            out.append(Defect("doubled", pos - len(prev), pos + 1, prev + w, prev,
                              f"'{w}' is written twice: '{prev}' is a word (dictionary frequency {_freq(prev)}) and "
                              f"'{w}{w}' is not"))
            continue
        if w in _FUNCTION:
            continue
        # swapped: 金 五 -> 五金, a word written elsewhere on the page
        if (_single(nxt) and nxt != w and not {w, nxt} & (_FUNCTION | _ABBREVIATIONS)
                and not any(c in _FREE and c not in _NUMERALS for c in (w, nxt))):
            swapped = nxt + w
            if not _freq(w + nxt) and _freq(swapped) >= WORD_MIN and words[swapped] >= 2:
                repeats = page.text.count(w + nxt)
                out.append(Defect("swapped", pos, nxt_pos + 1, w + nxt, swapped,
                                  f"'{w}{nxt}' is not a word; '{swapped}' is (dictionary frequency "
                                  f"{_freq(swapped)}) and is written {words[swapped]} times elsewhere on this page",
                                  confident=repeats <= 1,
                                  doubt=f"'{w}{nxt}' itself is written {repeats} times on this page, and a slip of "
                                        "the OCR is not repeated verbatim"))
                continue
        # dropped: (的) 安 管理 -> 安全 管理: a character that is not a word, not an affix, and not part of an
        # unknown word with the character before it, in front of a word; the same sequence is on the page more
        # than once (a glyph the OCR keeps missing) and 安全 is written elsewhere on the page. A single such
        # sequence is too weak a sign: general text has many (abbreviations, names, new words).
        if (_freq(w) >= FREE_WORD_FREQ or w in _FREE | _ABBREVIATIONS | _NEWS_VERBS | _PREFIX | _SUFFIX
                or _single(prev) and prev not in _FREE or len(nxt) < 2
                or _freq(w + nxt[:2]) or not _CJK.match(nxt[0])
                or page.text.count(w + nxt[:2]) < DROPPED_REPEAT):
            continue
        best = None
        for cand, n in words.items():
            if (len(cand) == 2 and cand[0] == w and n >= 2 and _freq(cand) >= DROPPED_WORD_MIN
                    and cand[1] != nxt[0] and (best is None or n > best[1])):
                best = (cand, n)
        if best is not None:
            cand, n = best
            out.append(Defect("dropped", pos, nxt_pos + 2, w + nxt[:2], cand + nxt[:2],
                              f"'{w}' does not stand alone as a word here; '{cand}' (dictionary frequency "
                              f"{_freq(cand)}) is written {n} times elsewhere on this page",
                              confident=False, doubt="no model weighed it, and a dropped character is inserted only "
                                                     "when a model finds the sentence far likelier with it: on clean "
                                                     "text this rule also fires on names and terms such as 安峰山 "
                                                     "and 免下车"))
    return out


_MESSAGES = {
    "doubled": "a character seems doubled by the OCR",
    "dropped": "a character seems dropped by the OCR",
    "swapped": "two characters seem swapped by the OCR",
}


def suspicions(flags: list[dict]) -> list[tuple[str, str]]:
    """(found, expected) of each OCR flag among an item's flags, once each, in order: what a summary must not copy
    (checks.summary_problems) and what its prompt warns of (generate.ocr_notes)."""
    return list(dict.fromkeys((f["found"], f["expected"]) for f in flags
                              if str(f.get("kind", "")).startswith("ocr_") and f.get("found") and f.get("expected")))


Weigh = Callable[[list[str]], list[float]]  # texts -> their log-probabilities under the model (Backend.score)
DROPPED_GAIN = 4.0  # nats: how much likelier the model must find the sentence with the character put back
SENTENCE_END = "。！？!?；;\n"
CONTEXT = 40  # characters of the defect's sentence on each side, at most, that the model reads


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence around text[start:end], at most CONTEXT characters on each side."""
    a = max(start - CONTEXT, max((text.rfind(c, 0, start) for c in SENTENCE_END), default=-1) + 1)
    ends = [k for k in (text.find(c, end) for c in SENTENCE_END) if k >= 0]
    z = min(end + CONTEXT, min(ends) + 1 if ends else len(text))
    return a, z


def weigh_dropped(found: list[tuple[str, Defect]], weigh: Weigh) -> None:
    """Ask the model about each dropped character (text, defect): the printed sentence and the same sentence with
    the character put back are scored, and the correction becomes confident (applied) when the model finds the
    corrected sentence at least e^DROPPED_GAIN (about 55) times likelier. Where the page's evidence cannot tell
    安管理 (for 安全管理) from a name or a term (安峰山, 免下车), the reading of the whole sentence can: an
    inserted character costs its own probability, so the model has to find the printed sentence clearly wrong.
    The rule only fires on a sequence written at least twice on the page (a glyph the OCR keeps missing), so the
    same sequence is decided once for the page, by the sentence that says most: 授企业以安管理之渔, an idiom the
    model cannot read either way, is corrected with the page's two other 安管理 (not a sentence where the model
    clearly prefers the text as printed, by DROPPED_GAIN or more)."""
    texts = []
    for text, d in found:  # after a newline: `score` counts every token but the first, which the two share
        a, z = _sentence(text, d.start, d.end)
        texts += ["\n" + text[a:z], "\n" + text[a:d.start] + d.expected + text[d.end:z]]
    lps = weigh(texts)
    gains = [lps[2 * k + 1] - lps[2 * k] for k in range(len(found))]
    best: dict[tuple[str, str], float] = {}
    for (_, d), g in zip(found, gains):
        best[d.found, d.expected] = max(g, best.get((d.found, d.expected), g))
    for (_, d), gain in zip(found, gains):
        top = best[d.found, d.expected]
        if gain >= DROPPED_GAIN:
            d.confident = True
            d.evidence += (f"; and the model finds the sentence with '{d.expected}' far likelier than as printed "
                           f"(log-probability {gain:+.1f})")
        elif top >= DROPPED_GAIN and gain > -DROPPED_GAIN:  # not where the model clearly reads it as printed
            d.confident = True
            d.evidence += (f"; and the model finds '{d.expected}' far likelier in another sentence of this page "
                           f"(log-probability {top:+.1f}; here {gain:+.1f}), the same sequence the OCR keeps missing")
        else:
            d.doubt = (f"the model does not find the sentence clearly likelier with '{d.expected}' (log-probability "
                       f"{gain:+.1f}, {DROPPED_GAIN:.0f} needed), and a character is not inserted on weaker evidence")


class Found(NamedTuple):
    """A finding in one piece of an item (a headline line, `block`, or a paragraph), located in the file."""

    text: str  # the piece as printed
    paragraph: int | None
    block: object  # segment.Block of a headline line, else None
    defect: Defect
    span: list[int]  # in the original file
    joins: list[int]  # original offsets of line breaks line repair removed in the piece


def _found(item, page: Page) -> list[Found]:
    """Every finding in an item's headline lines and paragraphs, found and located in the printed text before any
    correction is applied."""
    out = []
    pieces = [(b.text, None, b, lambda a, z, b=b: [b.orig(a), b.orig(z - 1) + 1]) for b in item.head_blocks]
    pieces += [(p, k, None, lambda a, z, k=k: item.locate(k, a, z)) for k, p in enumerate(item.paragraphs)]
    for text, paragraph, block, locate in pieces:
        joins = (block or item.sources[paragraph][0]).joins  # original offsets of line breaks line repair removed
        out += [Found(text, paragraph, block, d, locate(d.start, d.end), joins) for d in find_defects(text, page)]
    return out


def _apply(item, found: list[Found], correct: bool) -> list[dict]:
    """Flags for an item's findings; with `correct`, the confident ones applied to the text the model reads
    (`Item.correct`) and listed in `item.corrections`."""
    out = []
    pieces: dict = {}
    for _text, paragraph, block, d, span, joins in found:
        fixes, taken = pieces.setdefault((paragraph, id(block)), (paragraph, block, [], []))[2:]
        free = not any(a < d.end and d.start < z for a, z in taken)  # never two changes to one character
        broken = any(span[0] < j < span[1] for j in joins)
        applied = correct and d.confident and free and not broken
        if applied:
            fixes.append((d.start, d.end, d.expected))
            taken.append((d.start, d.end))
            item.corrections.append({"kind": f"ocr_{d.kind}", "original": d.found, "corrected": d.expected,
                                     "span": span, "evidence": d.evidence})
            tail = f"The model read '{d.expected}'."
        else:
            why = (d.doubt if not d.confident else "it overlaps another correction" if not free else
                   "it runs across a line break, which may be real" if broken else "corrections are turned off")
            tail = f"The text is left as it is ({why})."
        out.append(flag(f"ocr_{d.kind}", f"{_MESSAGES[d.kind]}: '{d.found}' probably should read "
                        f"'{d.expected}' ({d.evidence}). {tail}", span=span, found=d.found, expected=d.expected,
                        applied=applied))
    for paragraph, block, fixes, _ in pieces.values():
        if fixes:
            item.correct(paragraph, block, fixes)
    return out


def flags(item, page: Page, correct: bool = True) -> list[dict]:
    """OCR defect flags for an item's headline lines and paragraphs, with original-file spans; with `correct`,
    the confident findings are applied to the text the model reads (`Item.correct`) and listed in
    `item.corrections`."""
    return _apply(item, _found(item, page), correct)


def flag_items(items, texts: list[str], correct: bool = True, weigh: Weigh | None = None) -> None:
    """The OCR step: add OCR defect flags to each of `items` (segment.Item objects: articles, not furniture), with
    the evidence of the whole page, `texts` (the text of each of its paragraphs and headline lines), and, with
    `correct`, apply the confident ones to the text the model reads. With `weigh` (a model's `score`), the
    dropped characters of the whole page are put to the model in one batch (`weigh_dropped`) first."""
    page = page_evidence(texts)
    found = [(it, _found(it, page)) for it in items]
    dropped = [(f.text, f.defect) for _, fs in found for f in fs if f.defect.kind == "dropped" and not f.defect.confident]
    if weigh is not None and correct and dropped:
        try:
            weigh_dropped(dropped, weigh)
        except Exception as e:  # noqa: BLE001 - a model that cannot answer costs a correction, not the page
            for _, d in dropped:
                d.doubt = f"the model could not be asked ({type(e).__name__}: {e}), so nothing is inserted"
    for it, fs in found:
        it.flags.extend(_apply(it, fs, correct))
