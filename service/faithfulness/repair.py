"""Facts pre-rendered for the model, and a second translation of passages that fail the checks.

Small models copy well and convert badly: 316.4万元 becomes "316.4 million yuan", 五金 "gold and silver", and a
listed rendering ("316.4万元 = 3.164 million yuan") is often ignored (seen with the embedded model: two of four
万/亿 amounts still wrong with the list, none with the values written in). So before the first translation every
amount, Chinese numeral and date of a passage, and every person's name and glossary term in it, is written in
English *in the text the model sees* (316.4万元 -> 3.164 million yuan, 12月23日 -> December 23, 永康 -> Yongkang,
王锦悦 -> Wang Jinyue); the checks still read the original. What cannot be written in place (每万名: per 10,000)
is listed in the prompt instead.

After the first round, `Repair.followup` (a Generator follow-up, so repairs of all articles are batched and
cached like any other job) checks every translated passage (service/faithfulness/checks.py); a passage with a failed check
(other than words left in Chinese, which the look-up below handles) is translated again, one sentence at a
time, with the same pre-rendering (amounts now as full figures: 3,164,000
yuan) plus a list of what the first attempt got wrong (prompts/translate_repair.toml). When those jobs are
done it keeps, per passage, the attempt with fewer failed checks (`Draft.revised`); whatever still fails is
flagged by the checks, with what was expected and found. Words the kept attempts still leave in Chinese are then
asked for in one request per article, with the sentences they occur in (prompts/translate_term.toml); usable
answers fill them in (`Draft.filled`), each use flagged `term_filled`.
"""

from __future__ import annotations

from dataclasses import replace

from service.chinese import CJK, CJK_RUN, as_prose, split_sentences
from service.evaluation.evaluate import Rouge
from service.faithfulness import checks
from service.faithfulness import facts as F
from service.faithfulness.newsstyle import unsupported_sentences
from service.generation import prompts
from service.generation.generate import ARTICLE_PASSAGE, SUMMARY_MAX_NEW, Draft, Generator, Job, Role, Stage, prompt_text
from service.page.segment import Item

TEMPLATE = "translate_repair"
TERM_TEMPLATE = "translate_term"
SUMMARY_TEMPLATE = "summarize_retry"
MAX_FILLS = 12  # words left in Chinese looked up per article
FILL_MAX_WORDS = 8  # a longer answer is an explanation, not a rendering: not used
MAX_NOTES = 12  # renderings listed in one prompt
MAX_PROBLEMS = 6  # mistakes of the first attempt listed in a repair prompt
_INLINE = ("amount", "number", "count", "percent", "year", "date", "date_range", "month")


def most_typical(texts: list[str], similarity) -> str:
    """The text with the highest summed `similarity(text, other)` over the other texts (minimum-Bayes-risk
    choice among candidates); the first on a tie."""
    like = [sum(similarity(t, o) for k, o in enumerate(texts) if k != i) for i, t in enumerate(texts)]
    return texts[max(range(len(texts)), key=lambda i: (like[i], -i))]


class Repair:
    def __init__(self, ctx: checks.Context):
        self.ctx = ctx

    @property
    def template_id(self) -> str:
        return " ".join(prompts.load(t).id for t in (TEMPLATE, TERM_TEMPLATE, SUMMARY_TEMPLATE))

    # --- pre-rendering ----------------------------------------------------------------------------------
    def prerender(self, item: Item, source: str, digits: bool = False) -> str:
        """The source with its scaled amounts, Chinese numerals, dates, names, glossary terms and news formulas
        (记者从…了解到 -> the reporter learned from …) in English (with `digits`, amounts as full figures: 3,164,000 yuan rather than 3.164 million yuan)."""
        spans = [(f.start, f.end, f.inline(digits)) for f in F.extract_zh(source) if f.needs_hint and f.kind in _INLINE]
        names, terms = self.ctx.passage_terms(item, source)
        formulas = [p for m in self.ctx.passage_formulas(source) for p in m.pieces]  # the slot stays Chinese
        for s, e, en in ([(s, e, en) for s, e, _, en in names] + [(s, e, entry.en) for s, e, entry in terms]
                         + formulas):
            if not any(a < e and s < b for a, b, _ in spans):
                spans.append((s, e, en))
        out = source
        for s, e, en in sorted(spans, reverse=True):
            before, after = out[:s], out[e:]
            pad_l = " " if before[-1:].isascii() and before[-1:].isalnum() else ""  # 40家 Hardware: keep words apart
            pad_r = " " if after[:1].isascii() and after[:1].isalnum() else ""
            out = before + pad_l + en + pad_r + after
        return out

    def notes(self, source: str) -> str:
        """What cannot be written in place (每万名 -> per 10,000), as a list for the prompt."""
        lines = list(dict.fromkeys(f.hint() for f in F.extract_zh(source) if f.needs_hint and f.kind not in _INLINE))
        lines = lines[:MAX_NOTES]
        return ("Use these English renderings:\n" + "".join(f"- {x}\n" for x in lines)) if lines else ""

    def prompt_values(self, item: Item, source: str) -> dict:
        """Template values for a first translation (Generator `prompt_values`): the passage with its facts, names
        and terms pre-rendered in place (`text`), and the renderings that cannot be written in place (`notes`)."""
        return {"text": self.prerender(item, source), "notes": self.notes(source)}

    # --- the follow-up ----------------------------------------------------------------------------------
    def followup(self, d: Draft, gen: Generator) -> list[Job]:
        """The translation follow-up, called as the article's jobs come in, one named stage at a time
        (`Draft.stages["translation"]`): CHECK (each passage is checked as its first attempt comes in, and one that
        fails is translated again at once, beside the rest of the page) -> REPAIR (every first attempt is in: the
        words they left in Chinese are looked up while the re-translations run; when all are in, each passage's
        better attempt is kept) -> FILL (a second look-up, of words only a chosen re-translation left) -> DONE.
        (Before, an article's repairs waited for all its jobs: on the seed page the last article's re-translations
        and look-up ran after every other job was done, 17 s of a 126 s run, a few sequences at a time.)"""
        if not gen.backends["translate"].follows_instructions:
            return []  # a seq2seq model takes no instructions: its output is checked and flagged, not repaired
        stage = d.stages.get("translation", Stage.CHECK)
        if stage == Stage.DONE:
            return []
        self.join_numbers(d)
        if stage == Stage.CHECK:
            jobs = self.repairs(d, gen)
            if any(job.result is None for job, _ in checks.passages(d)):
                return jobs  # more first attempts to come
            jobs += self.fill_jobs(d, gen)
            d.stages["translation"] = Stage.REPAIR if jobs or d.of(Role.REPAIR) else Stage.DONE
            return jobs
        if any(j.result is None for j in d.of(Role.REPAIR) + d.of(Role.FILL)):
            return []  # re-translations or a look-up still running
        if stage == Stage.REPAIR:
            self.choose(d)
            self.correct_numbers(d)
            jobs = self.fill_jobs(d, gen)
            if jobs:
                d.stages["translation"] = Stage.FILL
                return jobs
        self.fill(d)
        d.stages["translation"] = Stage.DONE
        return []

    def join_numbers(self, d: Draft) -> None:
        """Numbers the model spaced out ('24, 725. 21' for 24725.21) written as one in every translated attempt
        (facts.join_spaced_numbers), before the checks: the seed page re-translated a whole passage for this."""
        for job, repairs in checks.passages(d):
            for j in (job, *repairs):
                if j.result is not None:
                    text = F.join_spaced_numbers(j.result.text, j.source)
                    if text != j.result.text:
                        j.result = replace(j.result, text=text)

    def repairs(self, d: Draft, gen: Generator) -> list[Job]:
        """Re-translations, sentence by sentence, of each passage with a failed check, of those whose first attempt
        came in since the last call (`Draft.checked`)."""
        jobs: list[Job] = []
        for job, _ in checks.passages(d):
            if job.result is None or (job.role, job.seq) in d.checked:
                continue
            d.checked.add((job.role, job.seq))
            if not CJK.search(job.source):
                continue
            found = checks.findings(d, job.source, job.result.text, self.ctx)
            # Words merely left in Chinese are the term look-up's work (one request per article, below); a
            # re-translation of the whole passage for them cost 20 of the seed page's 28 repair requests.
            if any(not f.ok and f.category != "untranslated" for f in found):
                jobs += self.repair_jobs(d, gen, job, found)
        return jobs

    def summary_followup(self, d: Draft, gen: Generator) -> list[Job]:
        """A summary that breaks a rule of its length (checks.summary_problems: sentences, characters, the headline
        restated, an OCR defect copied, a number not in the article) is written once more, told the reason; the
        attempt nearer to the rules stands (checks.summary_miss: fewer rules broken, then nearer to the length; the
        first on a tie), and what still breaks a rule is flagged.
        Stages (`Draft.stages["summary"]`): CHECK -> RETRY -> DONE."""
        stage = d.stages.get("summary", Stage.CHECK)
        final = d.final_summary_job
        if stage == Stage.DONE or final is None or final.result is None:
            return []  # done, or no summary, or a long article's part summaries are still being merged
        if final.template == "none" or not gen.backends["summarize"].follows_instructions:
            d.stages["summary"] = Stage.DONE
            return []
        samples = d.of(Role.SUMMARY_SAMPLE)
        if any(j.result is None for j in samples):
            return []  # the other candidates are still being written
        if samples and d.summary_chosen is None:
            d.summary_chosen = self.consensus(d, [as_prose(j.result.text).strip() for j in [final, *samples]])
        if stage == Stage.RETRY:
            retry = d.of(Role.SUMMARY_RETRY)
            if retry and retry[0].result is None:
                return []  # being written
            if retry:
                again = as_prose(retry[0].result.text)
                better = again and checks.summary_miss(d, again) < checks.summary_miss(d, d.first_summary)
                d.summary_revised = again if better else None
            self.strike_unsupported(d)
            d.stages["summary"] = Stage.DONE
            return []
        d.stages["summary"] = Stage.DONE
        problems = checks.summary_problems(d, d.first_summary)
        if not problems:
            return []
        reason = "".join(dict.fromkeys(p.reason for p in problems[:MAX_PROBLEMS]))
        job = gen.job(d.item, Role.SUMMARY_RETRY, (0,), "summarize", final.source, template=SUMMARY_TEMPLATE,
                      headline=d.item.headline, previous=d.first_summary, reason=reason,
                      rule=d.summary_length.rule, max_new=SUMMARY_MAX_NEW)
        if len(job.ids) + 64 >= gen.backends["summarize"].context_tokens:
            return []  # the article, the first summary and the reason do not fit the context: the flags stand
        d.stages["summary"] = Stage.RETRY
        return [job]

    @staticmethod
    def consensus(d: Draft, texts: list[str]) -> str:
        """Of a summary's candidates (SummaryLength.candidates: the greedy one first, then drawn ones), the one
        most like the others (mean ROUGE-L over characters) among those that break the fewest rules
        (checks.summary_problems); the first on a tie. What most candidates say is what the article most
        plainly says (minimum-Bayes-risk decoding, Freitag et al. 2023). LCSTS dev 100, 16 candidates: ROUGE-L char
        30.4 (the greedy one) -> 33.3, against 32.4 for the most typical with the rules not asked."""
        broken = [len(checks.summary_problems(d, t)) if t else 99 for t in texts]
        return most_typical([t for t, b in zip(texts, broken) if b == min(broken)], Rouge("L", "char").sentence)

    def strike_unsupported(self, d: Draft) -> None:
        """Take out of the summary that stands the sentences still mostly in words the article does not use
        (newsstyle.unsupported_sentences; "演唱会吸引了大量观众。" twice for an article that mentions no audience),
        as an editor would, when enough sentences are left for its length; `Draft.summary_struck` keeps them for
        the flag `summary_sentence_removed`."""
        if d.summary_length.own_words_allowed:
            return
        lo, summary = d.summary_length.sentences[0], d.summary
        bad = {s for s, _ in unsupported_sentences(summary, d.item.whole)}
        kept = [x for x in split_sentences(summary) if x.strip() and x.strip() not in bad]
        if bad and len(kept) >= lo:
            d.summary_revised = "".join(kept)
            d.summary_struck = [x.strip() for x in split_sentences(summary) if x.strip() in bad]

    def choose(self, d: Draft) -> None:
        """Keep, per passage, the attempt with fewer failed checks that would be warnings, then fewer that would be
        infos (checks.failures_by_severity: an invented 'government' is worse than a glossary term worded
        otherwise), each judged as it will stand, with the amounts `correct_numbers` fixes already fixed (on the
        seed page a re-translation that dropped the 'government' wrote 490万元 as '49 million', and lost to the
        first attempt for it); then the one that needs fewer corrections, then the first."""
        for job, repairs in checks.passages(d):
            texts = checks.attempts(job, repairs)
            if len(texts) < 2:
                continue
            if any(self.echoes_prompt(d, r) for r in repairs):  # 'Every clause, nothing added.': no translation
                d.revised.pop((job.role, job.seq), None)
                continue
            judged = []  # (warnings, infos once corrected, corrections needed, attempt): fewest, then the earliest
            for k, t in enumerate(texts):
                _, fixes, found = self.numbers_corrected(d, job, t)
                judged.append((*checks.failures_by_severity(found), len(fixes), k))
            if min(judged)[-1] > 0:
                d.revised[(job.role, job.seq)] = texts[-1]
            else:
                d.revised.pop((job.role, job.seq), None)

    def correct_numbers(self, d: Draft) -> None:
        """Put right an amount or count that the attempt standing after the re-translation still gets wrong
        (the seed page's 392.79万元 written 392,790 twice, though the prompt said 3,927,900 yuan); each fix is
        kept (`Draft.corrected`) and flagged `number_corrected`."""
        for job, repairs in checks.passages(d):
            if repairs:
                text, fixes, _ = self.numbers_corrected(d, job, d.chosen(job))
                if fixes:
                    d.corrected[(job.role, job.seq)] = (text, fixes)

    def numbers_corrected(self, d: Draft, job: Job, text: str) -> tuple[str, list[tuple[str, str, str]], list]:
        """`text` with each English number the check paired with an amount or count of the source (the same
        digits at the wrong scale, backed by nothing in the source) replaced by the source's figure, when it is
        there once and the passage then checks better; the fixes (source, written, now); and the findings of the
        text returned. Dates, years and percentages are left to the flags. No fix: `text` as it is, [] and its
        findings."""
        fixed, fixes = text, []
        facts = {f.start: f for f in F.extract_zh(job.source)}
        found = checks.findings(d, job.source, text, self.ctx)
        for f in found:
            fact = facts.get(f.start)
            if (f.category != "number" or f.ok or not f.found or "; " in f.found or fact is None
                    or fact.kind not in ("amount", "number", "count") or len(fact.atoms) != 1
                    or fixed.count(f.found) != 1):
                continue
            now = F.fmt(fact.atoms[0][1])
            fixed = fixed.replace(f.found, now)
            fixes.append((fact.text, f.found, now))
        if fixes:
            after = checks.findings(d, job.source, fixed, self.ctx)
            if checks.failures(after) < checks.failures(found):
                return fixed, fixes, after
        return text, [], found

    def echoes_prompt(self, d: Draft, r: Job) -> bool:
        """Did a re-translation copy a sentence of its prompt's instructions instead of translating? (Seen with
        the embedded model: 世纪宝宝 came back as 'Every clause, nothing added.', which passes every fact check.)"""
        text = self.prerender(d.item, r.source, digits=True)
        instructions = prompt_text(r.input).replace(text, " ")
        return checks.copies_instructions(r.result.text, instructions)

    def fill_jobs(self, d: Draft, gen: Generator) -> list[Job]:
        """One request for the words the article's chosen translations leave in Chinese (only words of the source
        not asked for already; at most MAX_FILLS), with the sentences they occur in as context. Asked once the
        first attempts are in (while re-translations run), and once more only for a word that a chosen
        re-translation left and the first attempts did not."""
        asked = {w for j in d.of(Role.FILL) for w in j.source.split("、")}
        words: list[str] = []
        sentences: list[str] = []
        for job, _ in checks.passages(d):
            for zh in CJK_RUN.findall(d.chosen(job)):
                if zh not in job.source or zh in words or zh in asked or len(words) >= MAX_FILLS:
                    continue
                words.append(zh)
                context = next((s for s in split_sentences(job.source) if zh in s), job.source).strip()
                if context not in sentences:
                    sentences.append(context)
        if not words:
            return []
        return [gen.job(d.item, Role.FILL, (len(d.of(Role.FILL)),), "translate", "、".join(words),
                        template=TERM_TEMPLATE, passage=ARTICLE_PASSAGE,
                        context="\n".join(sentences), terms="".join(f"{w} =\n" for w in words),
                        max_new=16 + 12 * len(words))]

    def fill(self, d: Draft) -> None:
        """Use the answers that are plain English of a few words (`Draft.filled`; checks flag each use)."""
        for j in d.of(Role.FILL):
            if j.result.finished:
                d.filled.update(parse_fills(j.result.text, j.source.split("、")))

    def repair_jobs(self, d: Draft, gen: Generator, job: Job, found: list[checks.Finding]) -> list[Job]:
        jobs = []
        offset = 0
        for k, sentence in enumerate(split_sentences(job.source)):
            start, offset = offset, offset + len(sentence)
            if not sentence.strip():
                continue
            problems = _problems(sentence, start, found)
            header = "An earlier translation made these mistakes; do not repeat them:\n" if problems else ""
            r = gen.job(d.item, Role.REPAIR, (job.role, *job.seq, k), "translate", sentence, template=TEMPLATE,
                        passage=job.passage.at(start),
                        text=self.prerender(d.item, sentence, digits=True), notes=self.notes(sentence),
                        problems=header + "".join(f"- {p}\n" for p in problems[:MAX_PROBLEMS]))
            r.replaces = (job.role, job.seq)
            jobs.append(r)
        return jobs


def parse_fills(answer: str, words: list[str]) -> dict[str, str]:
    """`word = English` lines of a term look-up answer -> the usable ones: plain English (no Chinese) of at most
    FILL_MAX_WORDS words, for a word that was asked. A one-word question may be answered with the English alone.
    The small model sometimes copies the question's `word =` lines with the English put in place of the Chinese
    (`Jiangnan =`): such a line answers the word asked on the same line."""
    out: dict[str, str] = {}
    lines = [x.strip().replace("＝", "=") for x in answer.strip().splitlines() if x.strip()]
    by_line = sum("=" in x for x in lines) == len(words)  # one `… =` line per word, in order: may answer by position
    k = -1
    for line in lines:
        zh, sep, en = line.partition("=")
        zh = zh.strip(" -*\t\"'“”‘’")
        k += bool(sep)
        if by_line and sep and not en.strip() and zh and not CJK.search(zh) and words[k] not in out:
            zh, en = words[k], zh
        if not sep:
            if len(words) == 1 and len(lines) == 1:
                zh, en = words[0], line
            else:
                continue
        en = en.strip().strip(" \"'“”‘’.。")
        if zh in words and zh not in out and en and not CJK.search(en) and len(en.split()) <= FILL_MAX_WORDS:
            out[zh] = en
    return out


def _problems(sentence: str, start: int, found: list[checks.Finding]) -> list[str]:
    """What the first attempt got wrong that concerns this sentence, said plainly for the model, most important
    first. The Chinese form of an amount is not quoted: shown 392.79万元, the model writes 392.79 million again."""
    end = start + len(sentence)
    out = []
    has_numbers = any(not f.weak for f in F.extract_zh(sentence))
    order = {"number": 0, "name": 1, "agent": 2, "statement": 3, "omission": 4, "term": 5, "formula": 6,
             "untranslated": 7, "extra_number": 8}
    for f in sorted(found, key=lambda f: order.get(f.category, 9)):
        if f.ok:
            continue
        inside = start <= f.start < end
        if f.category == "number" and inside:
            right = f.expected.partition(" (")[2].rstrip(")") or f.expected
            out.append(f"it must say {right}; it " + (f"wrongly wrote {f.found}" if f.found else "left it out"))
        elif f.category == "name" and inside:
            out.append(f"it left out the name {f.expected}")
        elif f.category in ("term", "formula") and inside:
            out.append(f"it must say '{f.expected}'; it translated that differently")
        elif f.category == "agent":
            out.append(f"it wrote '{f.found}', but the Chinese names no such source or actor: say only who the "
                       "Chinese says, and leave unnamed what it leaves unnamed")
        elif f.category == "statement":
            out.append(f"it wrote '{f.found}', a statement, but the Chinese is only a name or phrase with no verb: "
                       "translate the phrase itself and say nothing about it")
        elif f.category == "untranslated":
            words = [w for w in f.found.split("、") if w in sentence]
            if words:
                out.append("it left Chinese words untranslated: " + ", ".join(words))
        elif f.category == "omission" and (inside or f.start < 0):
            out.append("it left out part of the text; translate every part of it")
        elif f.category == "extra_number" and has_numbers:
            out.append(f"it wrote {f.found}, a number that is not in the Chinese")
    return list(dict.fromkeys(out))
