"""Facts pre-rendered for the model, and a second translation of passages that fail the checks.

Small models copy digits well and scale them badly (316.4万元 -> "316.4 million yuan"). So before the first
translation every amount, Chinese numeral and date of a passage is written out in English *in the text the model
sees* (316.4万元 -> 3.164 million yuan, 12月23日 -> December 23; the checks still read the original), and the
names and glossary terms in it are listed with their renderings (永康 = Yongkang, 俞梦婷 = Yu Mengting).

After the first round, `Repair.followup` (a Generator follow-up, so repairs of all articles are batched and
cached like any other job) checks every translated passage (service/checks.py); a passage with a failed check is
translated again, one sentence at a time, with the same pre-rendering plus a list of what the first attempt got
wrong (prompts/translate_repair.toml). When those jobs are done it keeps, per passage, the attempt with fewer
failed checks (`Draft.revised`); whatever still fails is flagged by the checks, with what was expected and found.
"""

from __future__ import annotations

from . import checks, prompts
from . import facts as F
from .chinese import CJK, split_sentences
from .generate import Draft, Generator, Job
from .segment import Item

TEMPLATE = "translate_repair"
MAX_NOTES = 12  # renderings listed in one prompt
_INLINE = ("amount", "number", "count", "percent", "year", "date", "date_range", "month")


class Repair:
    def __init__(self, ctx: checks.Context):
        self.ctx = ctx

    @property
    def template_id(self) -> str:
        return prompts.load(TEMPLATE).id

    # --- pre-rendering ----------------------------------------------------------------------------------
    @staticmethod
    def prerender(source: str) -> str:
        """The source with its scaled amounts, Chinese numerals and dates written in English."""
        out = source
        for f in sorted(F.extract_zh(source), key=lambda f: -f.start):
            if f.needs_hint and f.kind in _INLINE:
                out = out[:f.start] + f.english.split(" (")[0] + out[f.end:]
        return out

    def renderings(self, item: Item, source: str) -> list[str]:
        names, terms = self.ctx.passage_terms(item, source)
        lines = [f"{zh} = {en}" for _, _, zh, en in names]
        lines += [f"{e.zh} = {e.en}" for _, _, e in terms]
        lines += [f.hint() for f in F.extract_zh(source) if f.needs_hint and f.kind not in _INLINE]
        return list(dict.fromkeys(lines))[:MAX_NOTES]

    def notes(self, item: Item, source: str) -> str:
        lines = self.renderings(item, source)
        return ("Use these English renderings:\n" + "".join(f"- {x}\n" for x in lines)) if lines else ""

    def hints(self, item: Item, source: str) -> dict:
        """Template values for a first translation (Generator `hints`)."""
        return {"text": self.prerender(source), "notes": self.notes(item, source)}

    # --- the follow-up ----------------------------------------------------------------------------------
    def followup(self, d: Draft, gen: Generator) -> list[Job]:
        if gen.backends["translate"].kind != "chat":
            return []  # a seq2seq model takes no instructions: its output is checked and flagged, not repaired
        if any(j.role == "repair" for j in d.jobs):
            self.choose(d)
            return []
        jobs: list[Job] = []
        for job, _ in checks.passages(d):
            if not CJK.search(job.source):
                continue
            found = checks.check_passage(job.source, job.result.text, self.ctx, d.item)
            if checks.failures(found):
                jobs += self.repair_jobs(d, gen, job, found)
        return jobs

    def choose(self, d: Draft) -> None:
        """Keep, per passage, the attempt with fewer failed checks (the first one on a tie)."""
        for job, repairs in checks.passages(d):
            texts = checks.attempts(job, repairs)
            if len(texts) < 2:
                continue
            per = [checks.check_passage(job.source, t, self.ctx, d.item) for t in texts]
            if checks.best_attempt(per) > 0:
                d.revised[(job.role, job.seq)] = texts[-1]
            else:
                d.revised.pop((job.role, job.seq), None)

    def repair_jobs(self, d: Draft, gen: Generator, job: Job, found: list[checks.Finding]) -> list[Job]:
        jobs = []
        offset = 0
        for k, sentence in enumerate(split_sentences(job.source)):
            start, offset = offset, offset + len(sentence)
            if not sentence.strip():
                continue
            problems = _problems(sentence, start, found)
            header = "An earlier translation made these mistakes; do not repeat them:\n" if problems else ""
            r = gen.job(d.item, "repair", (job.role, *job.seq, k), "translate", sentence, template=TEMPLATE,
                        text=self.prerender(sentence), notes=self.notes(d.item, sentence),
                        problems=header + "".join(f"- {p}\n" for p in problems))
            r.replaces = (job.role, job.seq)
            jobs.append(r)
        return jobs


def _problems(sentence: str, start: int, found: list[checks.Finding]) -> list[str]:
    """What the first attempt got wrong that concerns this sentence, said plainly for the model."""
    end = start + len(sentence)
    out = []
    has_numbers = any(not f.weak for f in F.extract_zh(sentence))
    for f in found:
        if f.ok:
            continue
        inside = start <= f.start < end
        if f.category == "number" and inside:
            out.append(f"{f.text} is {f.expected}; it was " + (f"wrongly given as {f.found}" if f.found
                                                               else "left out"))
        elif f.category == "name" and inside:
            out.append(f"{f.text} is the person {f.expected}; the name was left out")
        elif f.category == "term" and inside:
            out.append(f"{f.text} is '{f.expected}'; it was not translated so")
        elif f.category == "extra_number" and has_numbers:
            out.append(f"it wrote {f.found}, a number that is not in the Chinese")
        elif f.category == "untranslated":
            words = [w for w in f.found.split("、") if w in sentence]
            if words:
                out.append("it left Chinese words untranslated: " + ", ".join(words))
    return list(dict.fromkeys(out))
