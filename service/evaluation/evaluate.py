"""Evaluation: score summaries and translations, with or without references.

Metric classes in the style of sacrebleu: each has a `name`, `sentence(hyp, ref)` and `corpus(hyps, refs)`, on a
0-100 scale.
- `Rouge(n, level)`: ROUGE-1 / ROUGE-2 / ROUGE-L F-measure for Chinese, at character level or at word level
  (jieba). Common tools score Chinese wrongly (rouge-score's default tokenizer drops every non-ASCII token), so the
  tokenization is ours and the counting is the standard one (clipped n-gram overlap; ROUGE-L = longest common
  subsequence over the whole text), checked against rouge-score and rouge-chinese in the tests. Corpus = mean of
  the per-item F, as those tools report it.
- `Bleu`, `ChrF`: sacrebleu's BLEU and chrF++ (default 13a tokenization) for English; corpus-level figures are
  sacrebleu's corpus scores, per item its sentence scores.
Reference-free measures (`item_measures`): length, compression (summary length / source length; for translations,
English words per source character), copy rate and novel n-grams (how extractive a summary is), numbers in a
summary not found in its article, and the flags and facts that the checks wrote into a batch record.

Inputs (`load_pairs`): JSONL files (one record per item; field names configurable), aligned text files (one item
per line), or batch output (`newsdesk batch` JSONL files or their directory) with a references file keyed by
`issue` and `index`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from service.chinese import jieba
from service.errors import InputError

TASKS = ("summary", "translation")

# --- tokenization ---------------------------------------------------------------------------------------------
# Character level: every CJK character (and any other non-ASCII letter) is a token; a run of ASCII letters or
# digits (with decimal points: 51.45) is one token; punctuation and spaces are not tokens. Text is NFKC-normalized
# (full-width digits and letters become ASCII) and lowercased first.
_CHAR_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*|[^\W_]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def char_tokens(text: str) -> list[str]:
    return _CHAR_TOKEN.findall(normalize(text))


def word_tokens(text: str) -> list[str]:
    """jieba words of the normalized text; tokens without a letter or digit (punctuation, spaces) are dropped."""
    return [w for w in (t.strip() for t in jieba().lcut(normalize(text))) if any(c.isalnum() for c in w)]


def en_words(text: str) -> list[str]:
    return (text or "").split()


# --- metrics --------------------------------------------------------------------------------------------------
def _f(overlap: int, hyp_total: int, ref_total: int) -> float:
    if not overlap or not hyp_total or not ref_total:
        return 0.0
    p, r = overlap / hyp_total, overlap / ref_total
    return 2 * p * r / (p + r)


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def lcs_length(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


class Metric:
    name = ""
    signature = ""

    def sentence(self, hyp: str, ref: str) -> float:
        raise NotImplementedError

    def corpus(self, hyps: list[str], refs: list[str]) -> float:
        return sum(self.sentence(h, r) for h, r in zip(hyps, refs)) / len(hyps) if hyps else 0.0


class Rouge(Metric):
    """ROUGE-N (n = 1, 2, ...) or ROUGE-L ("L") F-measure, 0-100, at "char" or "word" (jieba) level."""

    def __init__(self, n: int | str = 1, level: str = "char"):
        if level not in ("char", "word"):
            raise ValueError(f"level must be 'char' or 'word', not {level!r}")
        self.n = n if n == "L" else int(n)
        self.level = level
        self.tokenize = char_tokens if level == "char" else word_tokens
        self.name = f"ROUGE-{self.n} {level}"
        self.signature = f"rouge-{str(self.n).lower()}|F|tok:{'char' if level == 'char' else 'jieba'}|nfkc|lc|mean"

    def score_tokens(self, hyp: list[str], ref: list[str]) -> float:
        if self.n == "L":
            return 100 * _f(lcs_length(hyp, ref), len(hyp), len(ref))
        h, r = _ngrams(hyp, self.n), _ngrams(ref, self.n)
        return 100 * _f(sum((h & r).values()), sum(h.values()), sum(r.values()))

    def sentence(self, hyp: str, ref: str) -> float:
        return self.score_tokens(self.tokenize(hyp), self.tokenize(ref))


class _Sacre(Metric):
    def __init__(self):
        self._corpus, self._sentence = self._make(False), self._make(True)
        self.signature = ""  # sacrebleu's signature, known once a corpus has been scored

    def sentence(self, hyp: str, ref: str) -> float:
        return self._sentence.sentence_score(hyp, [ref]).score

    def corpus(self, hyps: list[str], refs: list[str]) -> float:
        if not hyps:
            return 0.0
        score = self._corpus.corpus_score(list(hyps), [list(refs)]).score
        self.signature = str(self._corpus.get_signature())
        return score


class Bleu(_Sacre):
    """sacrebleu BLEU (13a tokenization); sentence scores with effective order, as sacrebleu recommends."""

    name = "BLEU"

    def _make(self, sentence: bool):
        from sacrebleu.metrics import BLEU

        return BLEU(effective_order=sentence)

    def length_ratio(self, hyps: list[str], refs: list[str]) -> float:
        s = self._corpus.corpus_score(list(hyps), [list(refs)])
        return s.sys_len / s.ref_len if s.ref_len else 0.0


class ChrF(_Sacre):
    """sacrebleu chrF++ (character 6-grams plus word 2-grams, beta 2)."""

    name = "chrF++"

    def _make(self, sentence: bool):
        from sacrebleu.metrics import CHRF

        return CHRF(word_order=2)


def reference_metrics(task: str) -> list[Metric]:
    if task == "translation":
        return [Bleu(), ChrF()]
    return [Rouge(n, level) for level in ("char", "word") for n in (1, 2, "L")]


# --- reference-free measures ----------------------------------------------------------------------------------
def novel_ngrams(summary: list[str], source: list[str], n: int) -> float | None:
    """Share (0-100) of the summary's n-grams that do not occur in the source."""
    grams = _ngrams(summary, n)
    if not grams:
        return None
    seen = set(_ngrams(source, n))
    return 100 * sum(c for g, c in grams.items() if g not in seen) / sum(grams.values())


def copy_rate(summary: list[str], source: list[str], min_len: int = 2) -> float | None:
    """Share (0-100) of summary tokens inside fragments of >= min_len tokens copied verbatim from the source:
    the extractive fragment coverage of Grusky et al. (2018), greedy longest match."""
    if not summary:
        return None
    covered, i = 0, 0
    starts: dict[str, list[int]] = {}
    for k, t in enumerate(source):
        starts.setdefault(t, []).append(k)
    while i < len(summary):
        best = 0
        for j in starts.get(summary[i], ()):
            m = 0
            while i + m < len(summary) and j + m < len(source) and summary[i + m] == source[j + m]:
                m += 1
            best = max(best, m)
        if best >= min_len:
            covered += best
        i += max(best, 1)
    return 100 * covered / len(summary)


def numbers(text: str) -> list[str]:
    """Arabic-digit numbers (full-width digits included), thousands separators removed."""
    return [n.replace(",", "") for n in _NUMBER.findall(unicodedata.normalize("NFKC", text or ""))]


def _facts_counts(facts: list[dict]) -> Counter:
    """Counts of a batch record's checked facts (`service.faithfulness.checks`) by status: checked, verified, repaired, flagged."""
    from service.faithfulness.checks import tally

    return Counter(tally(facts))


def item_measures(task: str, pred: str, source: str | None, record: dict | None) -> dict:
    """Everything that can be said about one output without a reference."""
    zh = task == "summary"
    pred_units = char_tokens(pred) if zh else en_words(pred)
    m: dict = {"length": len(pred_units)}
    if source:
        src = char_tokens(source)
        m["source_length"] = len(src)
        if not zh:  # English words per Chinese character: a very low value means something was left out
            m["words_per_source_char"] = len(pred_units) / len(src) if src else None
        else:
            m["compression"] = len(pred_units) / len(src) if src else None
            m["copy_rate"] = copy_rate(pred_units, src)
            for n in (2, 3, 4):
                m[f"novel_{n}gram"] = novel_ngrams(pred_units, src, n)
            found = numbers(pred)
            src_numbers = set(numbers(source))
            m["numbers"] = len(found)
            m["numbers_not_in_source"] = [x for x in found if x not in src_numbers]
    if record is not None and "flags" in record:
        flags = record.get("flags") or []
        m["flags"] = dict(Counter(str(f.get("kind", "unknown")) for f in flags if isinstance(f, dict)))
        if "facts" in record:
            m["facts"] = dict(_facts_counts(record["facts"]))
    return m


# --- inputs ---------------------------------------------------------------------------------------------------
PRED_FIELDS = {"summary": ("summary", "prediction", "pred", "hypothesis", "output"),
               "translation": ("translation", "prediction", "pred", "hypothesis", "output")}
REF_FIELDS = {"summary": ("summary", "reference", "ref", "target"),
              "translation": ("translation", "reference", "ref", "target", "en")}
SOURCE_FIELDS = ("text", "source", "src", "short_text", "zh")


@dataclass
class Pair:
    key: str
    pred: str
    ref: str | None = None
    source: str | None = None
    record: dict | None = None  # the prediction's JSONL record (flags, facts), when it came from JSONL


@dataclass
class Inputs:
    pairs: list[Pair]
    notes: list[str] = field(default_factory=list)  # items that could not be paired, and why
    fields: dict = field(default_factory=dict)


def _is_jsonl(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in (".jsonl", ".json", ".ndjson")


def _read_jsonl(path: Path) -> list[dict]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path} holds no .jsonl files; pass `newsdesk batch` output files or a JSONL file.")
    rows = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read {f}: {e}. Pass a UTF-8 JSONL file (one JSON object a line).") from e
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{f} line {n} is not valid JSON ({e.msg}); each line must be one JSON object.") from e
            if not isinstance(obj, dict):
                raise InputError(f"{f} line {n} is not a JSON object; each line must be one record like "
                                 '{"summary": "...", "reference": "..."}.')
            rows.append(obj)
    if not rows:
        raise InputError(f"{path} has no records.")
    return rows


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise InputError(f"{path} does not exist.") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}. Pass a UTF-8 text file with one item a line.") from e
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError(f"{path} is empty.")
    return [ln.rstrip("\r") for ln in lines]


def _pick(rows: list[dict], wanted: str | None, candidates: tuple, what: str, path: Path) -> str | None:
    if wanted:
        missing = sum(1 for r in rows if wanted not in r)
        if missing:
            raise InputError(f"{path}: {missing} of {len(rows)} records have no field {wanted!r} ({what}); "
                             f"fields present: {', '.join(sorted(rows[0]))}.")
        return wanted
    for c in candidates:
        if all(c in r for r in rows):
            return c
    return None


def _key_fields(preds: list[dict], refs: list[dict] | None, key: str | None) -> list[str] | None:
    if key:
        return [k.strip() for k in key.split(",") if k.strip()]
    rows = preds + (refs or [])
    if all("id" in r for r in rows):
        return ["id"]
    if all("issue" in r and "index" in r for r in rows):
        return ["issue", "index"]
    return None


def _key(r: dict, fields: list[str]) -> str:
    return "#".join(str(r.get(f)) for f in fields)


def load_pairs(pred: str | Path | list, ref: str | Path | None = None, *, task: str = "summary",
               source: str | Path | None = None, pred_field: str | None = None, ref_field: str | None = None,
               source_field: str | None = None, key: str | None = None) -> Inputs:
    """Pair predictions with references (and sources). Records are matched by `key` (default: `id` when every
    record has one, else `issue` + `index`, else line order). Predictions without a reference and references
    without a prediction are listed in `notes`, never silently dropped; with references, only matched items are
    scored."""
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; use one of {', '.join(TASKS)}.")
    pred_paths = [Path(p) for p in (pred if isinstance(pred, (list, tuple)) else [pred])]
    for p in pred_paths:
        if not p.exists():
            raise InputError(f"{p} does not exist; pass the predictions file (JSONL, text, or batch output).")
    ref_path = Path(ref) if ref else None
    if ref_path and not ref_path.exists():
        raise InputError(f"{ref_path} does not exist; pass the references file or leave out --ref.")
    notes: list[str] = []
    fields: dict = {}

    if all(_is_jsonl(p) for p in pred_paths):
        preds = [r for p in pred_paths for r in _read_jsonl(p)]
        pf = _pick(preds, pred_field, PRED_FIELDS[task], "prediction", pred_paths[0])
        if pf is None:
            raise InputError(f"{pred_paths[0]}: no prediction field found for --task {task} (looked for "
                             f"{', '.join(PRED_FIELDS[task])}); name it with --pred-field. Fields present: "
                             f"{', '.join(sorted(preds[0]))}.")
        sf = _pick(preds, source_field, SOURCE_FIELDS, "source", pred_paths[0])
        fields.update(pred=pf, source=sf)
        pred_items = [(r, str(r.get(pf) or ""), (str(r.get(sf) or "") if sf else None)) for r in preds]
    elif any(_is_jsonl(p) for p in pred_paths):
        raise InputError("mix of JSONL and text prediction files; pass one kind.")
    else:
        pred_items = [(None, line, None) for p in pred_paths for line in _read_lines(p)]
        preds = None
        fields.update(pred="line")

    if source:
        src_lines = _read_lines(Path(source))
        if len(src_lines) != len(pred_items):
            raise InputError(f"{source} has {len(src_lines)} lines but there are {len(pred_items)} predictions; "
                             "the source file must be aligned with the predictions, one item a line.")
        pred_items = [(r, p, s) for (r, p, _), s in zip(pred_items, src_lines)]
        fields["source"] = f"{source} (lines)"

    def plain_key(n: int, r: dict | None) -> str:
        return _key(r, key_fields) if (r is not None and key_fields) else str(n + 1)

    if ref_path is None:
        key_fields = _key_fields(preds, None, key) if preds is not None else None
        refs_inline = None
        if ref_field and preds is not None:  # one JSONL file holding both prediction and reference
            _pick(preds, ref_field, (), "reference", pred_paths[0])
            refs_inline = [str(r.get(ref_field) or "") for r in preds]
            fields["ref"] = ref_field
        pairs = [Pair(plain_key(n, r), p, refs_inline[n] if refs_inline else None, s, r)
                 for n, (r, p, s) in enumerate(pred_items)]
        return Inputs(pairs, notes + _empty_refs(pairs), fields)

    if _is_jsonl(ref_path):
        refs = _read_jsonl(ref_path)
        rf = _pick(refs, ref_field, REF_FIELDS[task], "reference", ref_path)
        if rf is None:
            raise InputError(f"{ref_path}: no reference field found for --task {task} (looked for "
                             f"{', '.join(REF_FIELDS[task])}); name it with --ref-field. Fields present: "
                             f"{', '.join(sorted(refs[0]))}.")
        fields["ref"] = rf
        key_fields = _key_fields(preds or [], refs, key) if preds is not None else None
        if key_fields:
            missing = [f for f in key_fields if any(f not in r for r in preds + refs)]
            if missing:
                raise InputError(f"cannot match records by {'+'.join(key_fields)}: some records lack "
                                 f"{', '.join(missing)}. Use --key with fields every record has, or aligned files.")
            fields["key"] = "+".join(key_fields)
            by_key: dict[str, dict] = {}
            for r in refs:
                k = _key(r, key_fields)
                if k in by_key:
                    raise InputError(f"{ref_path}: two references have the key {k!r}; keys must be unique.")
                by_key[k] = r
            pairs, seen = [], set()
            unmatched = []
            for r, p, s in pred_items:
                k = _key(r, key_fields)
                if k in seen:
                    raise InputError(f"two predictions have the key {k!r}; keys must be unique (the same issue "
                                     "passed twice?).")
                if k in by_key:
                    ref_rec = by_key[k]
                    if s is None:
                        sf = _pick([ref_rec], source_field, SOURCE_FIELDS, "source", ref_path)
                        s = str(ref_rec.get(sf) or "") if sf else None
                    pairs.append(Pair(k, p, str(by_key[k].get(rf) or ""), s, r))
                    seen.add(k)
                else:
                    unmatched.append(k)
            if unmatched:
                notes.append(f"{len(unmatched)} prediction(s) have no reference and are not scored: "
                             + ", ".join(unmatched[:20]) + (" ..." if len(unmatched) > 20 else ""))
            lost = [k for k in by_key if k not in seen]
            if lost:
                notes.append(f"{len(lost)} reference(s) have no prediction: "
                             + ", ".join(lost[:20]) + (" ..." if len(lost) > 20 else ""))
            if not pairs:
                raise InputError(f"no prediction matches a reference by {'+'.join(key_fields)}; check the keys "
                                 "(batch output is keyed by issue and index, counted from 0).")
            return Inputs(pairs, notes + _empty_refs(pairs), fields)
        ref_texts = [str(r.get(rf) or "") for r in refs]
        ref_sources = [None] * len(refs)
        sf = _pick(refs, source_field, SOURCE_FIELDS, "source", ref_path)
        if sf:
            ref_sources = [str(r.get(sf) or "") for r in refs]
    else:
        ref_texts = _read_lines(ref_path)
        ref_sources = [None] * len(ref_texts)
        fields["ref"] = "line"
    if len(ref_texts) != len(pred_items):
        raise InputError(f"{len(pred_items)} predictions but {len(ref_texts)} references; aligned inputs must "
                         "have one reference per prediction, in the same order (or give both records an id).")
    key_fields = None
    pairs = [Pair(str(n + 1), p, rt, s if s is not None else rs, r)
             for n, ((r, p, s), rt, rs) in enumerate(zip(pred_items, ref_texts, ref_sources))]
    return Inputs(pairs, notes + _empty_refs(pairs), fields)


def _empty_refs(pairs: list[Pair]) -> list[str]:
    empty = [p.key for p in pairs if p.ref is not None and not p.ref.strip()]
    return [f"{len(empty)} reference(s) are empty (scored as 0): {', '.join(empty[:20])}"] if empty else []


# --- scoring --------------------------------------------------------------------------------------------------
def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def evaluate(inputs: Inputs, task: str = "summary") -> dict:
    """Corpus-level and per-item scores. With references: the reference metrics for the task; always: the
    reference-free measures. Returns a JSON-ready dict."""
    pairs = inputs.pairs
    with_ref = bool(pairs) and all(p.ref is not None for p in pairs)
    items = [{"key": p.key, **item_measures(task, p.pred, p.source, p.record)} for p in pairs]
    corpus: dict = {}
    signatures: dict = {}
    if with_ref:
        hyps, refs = [p.pred for p in pairs], [p.ref for p in pairs]
        for metric in reference_metrics(task):
            per = [metric.sentence(h, r) for h, r in zip(hyps, refs)]
            for it, v in zip(items, per):
                it[metric.name] = v
            corpus[metric.name] = metric.corpus(hyps, refs)
            signatures[metric.name] = metric.signature
        if task == "translation":
            corpus["length ratio"] = Bleu().length_ratio(hyps, refs)
            for it, p in zip(items, pairs):
                it["ref_length"] = len(en_words(p.ref))
        else:
            total_h = sum(len(char_tokens(h)) for h in hyps)
            total_r = sum(len(char_tokens(r)) for r in refs)
            corpus["length ratio"] = total_h / total_r if total_r else 0.0
            for it, p in zip(items, pairs):
                it["ref_length"] = len(char_tokens(p.ref))
    corpus["items"] = len(items)
    corpus["length (mean)"] = _mean(it["length"] for it in items)
    for name in ("compression", "words_per_source_char", "copy_rate", "novel_2gram", "novel_3gram", "novel_4gram"):
        v = _mean(it.get(name) for it in items)
        if v is not None:
            corpus[f"{name} (mean)"] = v
    if any("numbers" in it for it in items):
        total = sum(it.get("numbers", 0) for it in items)
        bad = sum(len(it.get("numbers_not_in_source", [])) for it in items)
        corpus["numbers in output"] = total
        corpus["numbers not in source"] = bad
        corpus["number grounding %"] = 100 * (total - bad) / total if total else None
    if any("flags" in it for it in items):
        flags: Counter = Counter()
        for it in items:
            flags.update(it.get("flags", {}))
        corpus["flags"] = dict(sorted(flags.items()))
        corpus["items with flags"] = sum(1 for it in items if it.get("flags"))
    if any("facts" in it for it in items):
        facts: Counter = Counter()
        for it in items:
            facts.update(it.get("facts", {}))
        corpus["facts"] = dict(sorted(facts.items()))
    return {"task": task, "mode": "reference" if with_ref else "reference-free", "corpus": corpus,
            "signatures": signatures, "fields": inputs.fields, "notes": inputs.notes, "items": items}
