"""Checks on generated text. Every problem becomes a flag in the output; nothing is silently dropped.

A flag is a dict: `kind`, `message`, and where known `span` (character offsets into the original file),
`expected` and `found`. Two groups of checks live here:
- mechanics of generation: cut-off output, untranslated Chinese, a summary that is not Chinese or not 2-4
  sentences (`check_generation`, `check_summary`);
- faithfulness (`check_passage`, `check_facts`): every numeric fact of a source passage (service/faithfulness/facts.py)
  must appear, correctly scaled, in its English; every number in the English must be backed by the source;
  people's names (pinyin, surname first) and glossary terms must appear; a translation much shorter than its
  source probably left something out; every number in the Chinese summary must be in the article.
  Each fact gets a status: `verified` (right at the first attempt), `repaired` (right after a re-translation,
  service/faithfulness/repair.py) or `flagged` (still wrong or missing: a flag says what was expected and what was found).
  Nothing is reported as verified that was not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from service.chinese import CJK, CJK_RUN, as_prose, cjk_share, fill_in, split_sentences
from service.faithfulness import dictionary
from service.faithfulness import facts as F
from service.faithfulness.glossary import Glossary, normalise_en
from service.faithfulness.newsstyle import (Match, added_appraisals, added_statement, find_formulas, unsupported_agents,
                                            unsupported_sentences)
from service.flags import flag
from service.generation.generate import Draft, Job, Role
from service.page import ocr
from service.page.names import find_people, name_variants, pinyin_name
from service.page.segment import Item

# where an English sentence ends: . ! ? (and a closing quote or bracket) before a space and a capital, digit or quote
_EN_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[A-Z0-9\"'“‘(])")


def english_sentences(english: str) -> list[str]:
    """An English text's sentences (split after . ! ? before a capital, digit or quote)."""
    return [e for e in _EN_SENTENCE_END.split(english.strip()) if e.strip()]


def place(job: Job) -> dict:
    """Where a flag about a job's output belongs (flags.Flag): its passage's field, and the body paragraph."""
    p = job.passage
    return {"field": p.field, "paragraph": p.part} if p.field == "translation" and p.part is not None \
        else {"field": p.field}


def job_span(d: Draft, job: Job, start: int = 0, end: int | None = None) -> list[int] | None:
    """Original-file span of characters [start, end) of a job's source (default: all of it), from its passage:
    exact for body chunks and their repairs; a headline part maps into its line (when the line is printed as
    read); other jobs get the whole item."""
    end = len(job.source) if end is None else end
    p = job.passage
    if p.part is not None and p.field == "translation":
        return d.item.locate(p.part, p.offset + start, p.offset + end)
    if p.part is not None and p.field == "headline" and p.part < len(d.heading):
        part = d.heading[p.part].zh
        for b in d.item.head_blocks:  # a part of the heading: where it is printed on its line
            at = b.text.find(part)
            if at >= 0 and end > start:
                return [b.orig(at + p.offset + start), b.orig(at + p.offset + end - 1) + 1]
    return list(d.item.span)


def _in_use(d: Draft, j: Job) -> bool:
    """Does this job's output stand in the record? (Not when a repair replaced it, or it is an unused repair, or a
    summary candidate not kept.)"""
    if j.role == Role.REPAIR:
        return j.replaces in d.revised
    if j.role in (Role.SUMMARY, Role.SUMMARY_SAMPLE) and d.summary_chosen is not None:  # candidates: the one kept
        return j is _kept_candidate(d)
    return (j.role, j.seq) not in d.revised


def _kept_candidate(d: Draft) -> Job | None:
    """The one summary candidate that stands for the text chosen among them: of those that wrote it (drawn
    candidates can repeat each other), the first that finished, else the first; so the kept summary is flagged
    once, and as cut off only when no candidate wrote it to the end."""
    same = [j for j in (*d.of(Role.SUMMARY), *d.of(Role.SUMMARY_SAMPLE))
            if j.result is not None and as_prose(j.result.text).strip() == d.summary_chosen]
    return next((j for j in same if j.result.finished), same[0] if same else None)


def check_generation(d: Draft) -> list[dict]:
    flags = []
    for j in d.in_order():
        if j.result is None or not _in_use(d, j) or j.role == Role.FILL:
            continue
        where = "translation" if j.role in (Role.TRANSLATE, Role.HEADLINE, Role.REPAIR) else "summary"
        if not j.result.finished and j.template != "none":
            flags.append(flag("truncated", f"the model's {where} of this passage stopped at the length limit "
                              f"({j.max_new} tokens) and may be cut off; check it against the source.",
                              span=job_span(d, j), found=j.result.text[-80:], **place(j)))
        if j.role in (Role.TRANSLATE, Role.HEADLINE, Role.REPAIR):
            if j.source.strip() and not j.result.text.strip():
                flags.append(flag("empty_output", "the model returned no translation for this passage.",
                                  span=job_span(d, j), expected=j.source, **place(j)))
            runs = CJK_RUN.findall(fill_in(j.result.text, d.filled))
            if runs:
                meanings = " ".join(dictionary.describe(w) for w in dict.fromkeys(runs[:5]) if dictionary.senses(w))
                flags.append(flag("untranslated", "the English translation still contains Chinese: "
                                  + "、".join(runs[:5]) + (f". {meanings}" if meanings else ""),
                                  span=job_span(d, j), found=runs, **place(j)))
        if j.template == "none" and j.role == Role.MERGE:
            flags.append(flag("summary_unmerged", "the article is too long for the model to summarise in one "
                              "piece; the summary lists the summaries of its parts.", span=list(d.item.span),
                              field="summary"))
    return flags


def check_fills(d: Draft) -> list[dict]:
    """Say where a word the translation left in Chinese was filled in with an English word asked for separately."""
    flags = []
    for job, _ in passages(d):
        for zh in dict.fromkeys(CJK_RUN.findall(d.chosen(job))):
            if zh in d.filled:
                start = job.source.find(zh)
                span = job_span(d, job, start, start + len(zh)) if start >= 0 else job_span(d, job)
                sense = dictionary.agreeing(d.filled[zh], zh)
                verdict = (f"CC-CEDICT agrees ({zh}: {sense}). Check it fits the sentence." if sense else
                           dictionary.describe(zh) + " Check the wording.")
                flags.append(flag("term_filled", f"the translation left {zh} in Chinese; it reads '{d.filled[zh]}', "
                                  f"translated on its own in the context of its sentence. {verdict}",
                                  severity="info" if sense else None, span=span, expected=d.filled[zh], found=zh,
                                  dictionary=list(dictionary.senses(zh)), **place(job)))
    return flags


@dataclass
class SummaryProblem:
    """A rule a summary breaks: its flag (kind, message, expected, found) and the reason as the model is told it
    when the summary is written again (service/faithfulness/repair.py)."""

    kind: str
    message: str
    reason: str
    expected: object = None
    found: object = None
    flagged: bool = True  # False: flagged elsewhere (numbers: check_summary_facts), only told to the model


def summary_miss(d: Draft, summary: str) -> tuple[int, int, int]:
    """How far `summary` is from the run's rules, to choose between two attempts (smaller is nearer): the rules it
    breaks, then the sentences outside the length's range, then the characters above its limit. Of two short
    summaries that are both too long, the shorter one is nearer."""
    rule = d.summary_length
    lo, hi = rule.sentences
    n, chars = _summary_size(summary)
    over = max(chars - rule.max_chars, 0) if rule.max_chars else 0
    return len(summary_problems(d, summary)), max(lo - n, n - hi, 0), over


def _summary_size(summary: str) -> tuple[int, int]:
    """A summary's sentences and its characters (letters and digits), as its length rule counts them."""
    return len([x for x in split_sentences(summary) if x.strip()]), len(_letters(summary))


def summary_problems(d: Draft, summary: str) -> list[SummaryProblem]:
    """The rules `summary` breaks for this article at the run's summary length: not Chinese, the headline
    restated, the wrong number of sentences or too long, an OCR defect of the page copied, a judging word the
    article does not use, a sentence mostly in words the article does not use, a number not in the article."""
    out: list[SummaryProblem] = []
    if cjk_share(summary) < 0.5 or not CJK.search(summary):
        out.append(SummaryProblem("summary_not_chinese", "the summary is not in Chinese.", "摘要不是中文。",
                                  found=summary[:80]))
    if _restates_headline(summary, d.item):
        out.append(SummaryProblem("summary_repeats_headline", "the summary only restates the headline; it says "
                                  "nothing the headline does not. Read the article itself.",
                                  "摘要只重复了标题，没有概括正文的事实。", found=summary[:80]))
    rule = d.summary_length
    lo, hi = rule.sentences
    n, chars = _summary_size(summary)
    if not lo <= n <= hi or (rule.max_chars and chars > rule.max_chars):
        if rule.max_chars:
            want = f"{lo} sentence of at most {rule.max_chars} characters"
            msg = f"the summary has {n} sentence(s) and {chars} characters, not {want} (length {rule.name})."
            zh = f"摘要写了{n}句、{chars}个字，要求只写一句，不超过30个字。"
        else:
            want = f"{lo}-{hi}"
            msg = f"the summary has {n} sentence(s), not {want}."
            zh = f"摘要写了{n}句，要求写{lo}到{hi}句。"
        out.append(SummaryProblem("summary_length", msg, zh, expected=want, found=n))
    for found, expected in sorted(ocr.suspicions(d.item.flags)):
        if found in summary:
            out.append(SummaryProblem("summary_ocr_copied", f"the summary copies the OCR defect '{found}' of "
                                      f"the article; it probably should read '{expected}'.",
                                      f"摘要照抄了原文的识别错误“{found}”，应为“{expected}”。",
                                      expected=expected, found=found))
    for word in added_appraisals(summary, d.item.whole):
        out.append(SummaryProblem("summary_appraisal", f"the summary calls something '{word}', a judgement the "
                                  "article does not make; a summary reports, it does not praise.",
                                  f"摘要用了原文没有的评价“{word}”，只写原文的事实。", found=word))
    for sentence, words in [] if rule.own_words_allowed else unsupported_sentences(summary, d.item.whole):
        out.append(SummaryProblem("summary_unsupported", f"the summary says '{sentence}', mostly in words the "
                                  f"article does not use ({', '.join(words[:6])}); it may be invented.",
                                  f"摘要里的“{sentence}”原文没有说（{'、'.join(words[:6])}），只写原文说的事实。",
                                  found=sentence))
    for f, ok in summary_numbers(d, summary):
        if not ok:
            out.append(SummaryProblem("summary_number_ungrounded", "", f"摘要里的“{f.text}”在原文中没有。",
                                      found=f.text, flagged=False))
    return out


def summary_numbers(d: Draft, summary: str) -> list[tuple]:
    """The numbers of a Chinese summary (weak ones left out), each with whether the article has it."""
    article = F.zh_atoms(F.extract_zh(d.item.whole))
    return [(f, all(F.grounded(a, article) for a in f.atoms)) for f in F.extract_zh(summary) if not f.weak]


def check_summary(d: Draft) -> list[dict]:
    summary = d.summary
    if not d.item.paragraphs:
        return [flag("no_body", "this item has no body text, only a headline; nothing to summarise.",
                     span=list(d.item.span))]
    if not summary.strip():
        return [flag("empty_output", "the model returned no summary.", span=list(d.item.span), field="summary")]
    retried = " (also after the summary was written again with this reason)" if d.of(Role.SUMMARY_RETRY) else ""
    flags = []
    for p in summary_problems(d, summary):
        if p.flagged:
            flags.append(flag(p.kind, p.message.rstrip(".") + retried + ".", expected=p.expected, found=p.found))
    for sentence in d.summary_struck:
        flags.append(flag("summary_sentence_removed", f"the summary said '{sentence}', mostly in words the article "
                          f"does not use{retried}; the sentence was taken out.", found=sentence, field="summary"))
    return flags


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _restates_headline(summary: str, item: Item) -> bool:
    """The summary is (nearly) the headline, kicker or subheads again: all of it in them, or 90 % alike."""
    s, head = _letters(summary), _letters("".join([item.kicker, item.headline, *item.subheads]))
    return bool(s and head) and (s in head or SequenceMatcher(None, s, head, autojunk=False).ratio() >= 0.9)


# --- faithfulness -----------------------------------------------------------------------------------------
OMISSION_RATIO = 2.0  # English characters per Chinese character below which part is probably missing (usual: 3.5-6)
OMISSION_MIN = 12  # Chinese characters; shorter passages are not judged by length
STATUSES = ("verified", "repaired", "flagged")


@dataclass
class Finding:
    """One thing checked in one translated passage."""

    category: str  # number | name | term | formula | agent | statement | extra_number | omission | untranslated
    kind: str  # for numbers the fact kind (amount, count, percent, date, ...); else = category
    text: str  # the source text it is about (for extra_number: the English)
    start: int = -1  # offsets in the passage source; -1: about the passage as a whole
    end: int = -1
    expected: str = ""
    found: str | None = None
    ok: bool = False

    @property
    def key(self) -> tuple:
        return (self.category, self.kind, self.start, self.text)


class Context:
    """What the faithfulness checks need besides the text: the glossary and each article's people."""

    def __init__(self, glossary: Glossary | None = None):
        self.glossary = Glossary.load() if glossary is None else glossary
        self._people: dict[tuple, dict[str, str]] = {}

    def people(self, item: Item) -> dict[str, str]:
        """Chinese name -> pinyin of the people of an article: its byline and names found in its text."""
        key = (item.byline, item.headline, item.text)
        if key not in self._people:
            if len(self._people) > 256:
                self._people.clear()
            known = tuple(p.name for p in item.people if CJK.match(p.name))
            found = find_people(item.whole, known)
            self._people[key] = {n: pinyin_name(n) for n in [*known, *(name for _, _, name in found)]}
        return self._people[key]

    def passage_terms(self, item: Item, source: str):
        """(names, terms) of a passage: [(start, end, zh, en)], [(start, end, Entry)]."""
        people = self.people(item)
        names = [(m.start(), m.end(), n, en) for n, en in people.items() for m in re.finditer(re.escape(n), source)]
        terms = [t for t in self.glossary.find(source, exclude=tuple(people))
                 if not any(s < t[1] and t[0] < e for s, e, _, _ in names)]
        return sorted(names), terms

    @staticmethod
    def passage_formulas(source: str) -> list[Match]:
        """The news formulas of a passage (service/faithfulness/newsstyle.py): 记者从…了解到, 据悉, 近日 ..."""
        return find_formulas(source)


def _squash(text: str) -> str:
    return re.sub(r"[\s'’\-]+", "", text.lower())


def findings(d: Draft, source: str, english: str, ctx: Context) -> list[Finding]:
    """`check_passage` for one attempt at a passage of this article, computed once and kept on the Draft: the
    repair round, the choice between attempts and the record all read the same findings."""
    key = (source, english)
    if key not in d.findings:
        d.findings[key] = check_passage(source, english, ctx, d.item)
    return d.findings[key]


def check_passage(source: str, english: str, ctx: Context, item: Item) -> list[Finding]:
    """Everything checked in one translated passage: its numeric facts, names and terms (ok or not), English
    numbers the source does not back, a suspiciously short translation, Chinese left in the English."""
    facts = F.extract_zh(source)
    have = F.english_atoms(english)
    out: list[Finding] = []
    for f in facts:
        if not f.weak:
            out.append(Finding("number", f.kind, f.text, f.start, f.end, f.english, ok=not F.missing(f, have)))
    source_atoms = F.zh_atoms(facts)
    extras = [n for n in F.english_numbers(english) if not all(F.grounded(a, source_atoms) for a in n.atoms)]
    for fd in out:  # what a wrong number was rendered as: an unbacked English number with the same digits
        if not fd.ok:
            fact = next(f for f in facts if f.start == fd.start)
            same = [n.text for n in extras if _alike(fact, n)]
            fd.found = "; ".join(same) if same else None
    paired = {t for fd in out if fd.found for t in fd.found.split("; ")}
    out += [Finding("extra_number", "extra_number", n.text, expected="(not in the source)", found=n.text)
            for n in extras if n.text not in paired]
    names, terms = ctx.passage_terms(item, source)
    squashed = _squash(english)
    for s, e, zh, en in names:
        ok = any(_squash(v) in squashed for v in name_variants(en))
        out.append(Finding("name", "name", zh, s, e, en, ok=ok))
    for s, e, entry in terms:
        ok = Glossary.present(entry, english)
        if ok or not entry.optional:  # a term the English may leave out (我市) is no fact when it does
            out.append(Finding("term", "term", entry.zh, s, e, entry.en, ok=ok))
    for m in ctx.passage_formulas(source):
        out.append(Finding("formula", "formula", m.formula.zh, m.start, m.end, m.formula.en,
                           ok=m.formula.present(english)))
    for said, agent in unsupported_agents(source, english):
        out.append(Finding("agent", "agent", said, expected="(named nowhere in the Chinese: " + "、".join(agent.zh[:4])
                           + " ...)", found=said))
    verb = added_statement(source, english)
    if verb:
        out.append(Finding("statement", "statement", source.strip(), expected=f"(a phrase with no verb: '{verb}' "
                           "states something it does not)", found=english.strip()))
    out += omissions(source, english)
    runs = CJK_RUN.findall(english)
    if runs:
        out.append(Finding("untranslated", "untranslated", "、".join(runs), found="、".join(runs)))
    return out


def _zh_len(text: str) -> int:
    return len(CJK.findall(text)) + len(re.findall(r"\d+", text))


def _omission(zh: str, en: str, start: int = -1, end: int = -1) -> list[Finding]:
    n = _zh_len(zh)
    if n >= OMISSION_MIN and len(en.strip()) < OMISSION_RATIO * n:
        return [Finding("omission", "omission", zh.strip(), start, end, expected=f"{n} Chinese characters",
                        found=f"{len(en.strip())} characters of English")]
    return []


def omissions(source: str, english: str) -> list[Finding]:
    """A translation much shorter than its source. Judged sentence by sentence when the English has as many
    sentences as the Chinese (so a dropped clause in one sentence is not hidden by its neighbours), else for the
    passage as a whole."""
    zh, offset = [], 0
    for sentence in split_sentences(source):
        if CJK.search(sentence):
            zh.append((offset, sentence))
        offset += len(sentence)
    en = english_sentences(english)
    if len(zh) > 1 and len(en) == len(zh):
        return [f for (start, z), e in zip(zh, en) for f in _omission(z, e, start, start + len(z))]
    return _omission(source, english)


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def copies_instructions(english: str, instructions: str) -> bool:
    """An English answer one of whose sentences (three words or more) is a piece of the prompt's instructions."""
    said = _words(instructions)
    return any(len(w.split()) >= 3 and w in said for w in map(_words, english_sentences(english)))


def _alike(fact: F.Fact, n: F.EnglishNumber) -> bool:
    """Could this English number be a wrong rendering of this fact (same digits, or a date for a date)?"""
    if fact.kind in ("date", "date_range", "month"):
        return any(k in ("date", "month") for k, _ in n.atoms)
    digits = {F.digits_of(v) for k, v in fact.atoms if k in ("num", "pct")}
    return any(k in ("num", "pct") and F.digits_of(v) in digits for k, v in n.atoms)


def failures(findings: list[Finding]) -> int:
    return sum(1 for f in findings if not f.ok)


def failures_by_severity(findings: list[Finding]) -> tuple[int, int]:
    """Failed checks as (warnings, infos), by the flag each would raise (flags.KINDS): an invented source, a wrong
    number or Chinese left in is a warning; a glossary term or news formula worded otherwise is info."""
    severities = [_fact_flag(f, "translation", None, False, {})["severity"] for f in findings if not f.ok]
    return sum(1 for s in severities if s != "info"), sum(1 for s in severities if s == "info")


def passages(d: Draft) -> list[tuple[Job, list[Job]]]:
    """The translated passages of an article (headline, body chunks), each with its repair jobs (if any)."""
    out = []
    for j in d.of(Role.HEADLINE) + d.of(Role.TRANSLATE):
        repairs = sorted((r for r in d.jobs if r.role == Role.REPAIR and r.replaces == (j.role, j.seq)),
                         key=lambda r: r.seq)
        out.append((j, repairs))
    return out


def attempts(job: Job, repairs: list[Job]) -> list[str]:
    """The texts tried for a passage: the first translation, then the re-translation (sentences joined)."""
    texts = [job.result.text]
    if repairs and all(r.result is not None for r in repairs):
        texts.append(" ".join(r.result.text.strip() for r in repairs))
    return texts


def check_facts(d: Draft, ctx: Context) -> tuple[list[dict], list[dict]]:
    """Faithfulness of an article: (fact records, flags). Uses the attempt each passage's record shows."""
    records, flags = [], []
    for job, repairs in passages(d):
        texts = attempts(job, repairs)
        first = {f.key: f for f in findings(d, job.source, texts[0], ctx)}
        where = "headline" if job.role == Role.HEADLINE else "translation"
        retried = len(texts) > 1
        for f in findings(d, job.source, d.text(job), ctx):  # what the record shows
            if f.category == "untranslated":
                continue  # flagged by check_generation, on each text in use
            span = job_span(d, job, f.start, f.end) if f.start >= 0 else job_span(d, job)
            if f.ok:
                status = "verified" if first.get(f.key) is not None and first[f.key].ok else "repaired"
            else:
                status = "flagged"
                flags.append(_fact_flag(f, where, span, retried, place(job)))
            if f.category == "omission":
                continue
            rec = {"where": where, "category": f.category, "kind": f.kind, "source": f.text,
                   "expected": f.expected, "status": status, "span": span}
            if f.category in ("extra_number", "agent"):
                rec["source"] = None
            if f.found is not None:
                rec["found"] = f.found
            fix = next((x for x in d.corrected.get((job.role, job.seq), (None, []))[1] if x[0] == f.text), None)
            if fix is not None and f.ok:  # put right by Repair.correct_numbers, not by the model
                rec["corrected_from"] = fix[1]
                flags.append(flag("number_corrected", f"{f.text} is {fix[2]}; the model wrote {fix[1]}, also after a "
                                  f"second translation with the figure given, so the {where} was corrected to "
                                  f"{fix[2]}. Check that the sentence reads right.", span=span, expected=fix[2],
                                  found=fix[1], **place(job)))
            records.append(rec)
    s_recs, s_flags = check_summary_facts(d)
    return records + s_recs, flags + check_consistency(d, ctx) + s_flags


def check_consistency(d: Draft, ctx: Context) -> list[dict]:
    """A glossary term rendered in more than one way in one article (江南街道 as 'Jiangnan Subdistrict' in one
    paragraph and 'Jiangnan Street' in another), though each rendering is accepted on its own. A shorter form
    inside a longer one used elsewhere ('Jiangnan' after 'Jiangnan Subdistrict') is a second mention, not a
    change. Names need no such check: each is written in place, the same way, in every passage (service/faithfulness/repair.py)."""
    uses: dict[str, list[tuple[str, Job]]] = {}
    entries = {}
    for job, _ in passages(d):
        english = normalise_en(d.text(job))
        for _, _, entry in ctx.passage_terms(d.item, job.source)[1]:
            present = [a for a in entry.accept if normalise_en(a) in english]
            if present:
                uses.setdefault(entry.zh, []).append((max(present, key=len), job))
                entries[entry.zh] = entry
    flags = []
    for zh, found in uses.items():
        forms = list(dict.fromkeys(form for form, _ in found))
        distinct = [f for f in forms if not any(f != g and normalise_en(f) in normalise_en(g) for g in forms)]
        if len(distinct) < 2:
            continue
        where = "; ".join(f"'{form}' in {_where(job)}" for form, job in found if form in distinct)
        flags.append(flag("inconsistent_rendering", f"{zh} is rendered in more than one way in this article ({where}); "
                          f"the glossary's rendering is '{entries[zh].en}'.", span=job_span(d, found[-1][1]),
                          expected=entries[zh].en, found=" | ".join(distinct), **place(found[-1][1])))
    return flags


def _where(job: Job) -> str:
    p = job.passage
    return f"paragraph {p.part + 1}" if p.field == "translation" and p.part is not None else f"the {p.field}"


def _fact_flag(f: Finding, where: str, span, retried: bool, at: dict) -> dict:
    again = " (also after a second translation with the facts given)" if retried else ""
    if f.category == "number":
        has = f"the {where} has {f.found}" if f.found else f"the {where} does not have it"
        return flag("number_mismatch", f"{f.text} is {f.expected} in English; {has}{again}.", span=span,
                    expected=f.expected, found=f.found, **at)
    if f.category == "extra_number":
        return flag("number_unsupported", f"the {where} has {f.found}, which is not in the source passage{again}.",
                    span=span, found=f.found, **at)
    if f.category == "name":
        return flag("name_missing", f"{f.text} should appear as {f.expected}; the {where} does not have it{again}.",
                    span=span, expected=f.expected, **at)
    if f.category == "term":
        return flag("term_missing", f"{f.text} is '{f.expected}' in the glossary; the {where} does not have it"
                    f"{again}.", span=span, expected=f.expected, **at)
    if f.category == "formula":
        return flag("formula_missing", f"{f.text} is the news formula '{f.expected}' (glossary/news-formulas.csv); "
                    f"the {where} does not have it{again}.", span=span, expected=f.expected, **at)
    if f.category == "statement":
        return flag("statement_added", f"{f.text} is a phrase with no verb; the {where} '{f.found}' makes a statement "
                    f"of it that the Chinese does not make; the model may have invented it{again}.", span=span,
                    expected=f.text, found=f.found, **at)
    if f.category == "agent":
        return flag("agent_unsupported", f"the {where} says '{f.found}', but the Chinese names no such source or "
                    f"actor here; the model may have invented it{again}.", span=span, found=f.found, **at)
    if f.category == "untranslated":  # check_generation flags the text in use; choose() weighs an attempt's
        return flag("untranslated", f"the {where} still contains Chinese: {f.found}{again}.", span=span,
                    found=f.found, **at)
    return flag("omission", f"the {where} of this passage is short: {f.found} for {f.expected} (usually 3-6 "
                f"times as many); part of it may be missing{again}.", span=span, expected=f.expected, found=f.found,
                **at)


def check_summary_facts(d: Draft) -> tuple[list[dict], list[dict]]:
    """Every number in the Chinese summary must be in the article (headline or body)."""
    summary = d.summary
    if not summary.strip():
        return [], []
    records, flags = [], []
    for f, ok in summary_numbers(d, summary):
        records.append({"where": "summary", "category": "number", "kind": f.kind, "source": f.text,
                        "expected": "in the article", "status": "verified" if ok else "flagged"})
        if not ok:
            flags.append(flag("summary_number_ungrounded", f"the summary has {f.text} ({f.value}), which is not "
                              "in the article.", found=f.text, span=list(d.item.span), field="summary"))
    return records, flags


def tally(fact_records: list[dict]) -> dict:
    """Counts of checked facts by status: {"checked": n, "verified": n, "repaired": n, "flagged": n}."""
    out = {"checked": len(fact_records), **{s: 0 for s in STATUSES}}
    for r in fact_records:
        out[r["status"]] += 1
    return out


def run_all(d: Draft, ctx: Context | None = None) -> list[dict]:
    """Mechanical checks; with a context, the faithfulness checks' flags too (see `check_facts`)."""
    flags = check_generation(d) + check_fills(d) + check_summary(d)
    if ctx is not None:
        flags += check_facts(d, ctx)[1]
    return flags
