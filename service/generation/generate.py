"""Generation: per article, a Chinese summary and an English translation of headline and body.

Every article becomes a set of `Job`s (headline, one per body chunk, summary). Chunks follow the paragraphs;
a paragraph longer than the model can take is split at sentence boundaries (then at clauses, then, as a last
resort, by length), so nothing is truncated or dropped: the chunks of a paragraph concatenate back to it
exactly. An article too long for one summary request is summarised part by part and the part summaries are
merged (a follow-up job). The jobs of all articles go to the model's generation queue (service/generation/scheduler.py),
longest first, shared fairly with every other caller of the same model; each finished job is written to the
cache at once; an article's follow-ups (a long summary's merge, a failed passage's re-translation) start as soon
as the jobs they need are in, and the article is handed back once all its jobs, follow-ups included, are done.
"""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum

from service.chinese import CJK, as_prose, fill_in, split_clauses, split_sentences
from service.generation.backends import Backend, Generation
from service.generation.cache import Cache, make_key
from service.generation.scheduler import EPSILON
from service.page import ocr
from service.page.headlines import KICKER, MAIN, PHOTO_LABEL, SUBHEAD, HeadPart, as_headline, heading_parts
from service.page.segment import Item

PRERENDER_TOKENS = 64  # room kept in a translation prompt for the pre-rendered facts and terms of its passage
SUMMARY_MAX_NEW = 320  # tokens: 2-4 Chinese sentences fit in about 150
SUMMARY_INPUT_MAX = 3000  # tokens of article per summary request, well inside a 32k context
MAX_MERGE_ROUNDS = 3
SAMPLE_TEMPERATURE = 1.0  # a summary's drawn candidates (epsilon sampling keeps the unlikely tokens out)


class Role(StrEnum):
    """What a job is for. Generator.plan makes HEADLINE (one per heading part), TRANSLATE (one per body chunk) and
    SUMMARY (or SUMMARY_PART per part of a long article, then MERGE; a summary written several times, as a
    short one is, also SUMMARY_SAMPLE: the candidates the consensus chooses from, SummaryLength.candidates); the follow-up stages of service/faithfulness/repair.py add
    REPAIR (one sentence of a passage that failed a check, `Job.replaces` naming the passage), FILL (the look-up of
    an article's words left in Chinese) and SUMMARY_RETRY (a summary that broke a rule, written again)."""

    HEADLINE = "headline"
    TRANSLATE = "translate"
    SUMMARY = "summary"
    SUMMARY_SAMPLE = "summary_sample"
    SUMMARY_PART = "summary_part"
    MERGE = "merge"
    REPAIR = "repair"
    FILL = "fill"
    SUMMARY_RETRY = "summary_retry"


class Stage(StrEnum):
    """Where one follow-up of an article stands (`Draft.stages`, keyed by the follow-up's name): "merge" (a long
    article's part summaries, Generator.merge_summaries) goes CHECK -> MERGE (rounds) -> DONE, "translation"
    CHECK -> REPAIR -> FILL -> DONE and "summary" CHECK -> RETRY -> DONE (service/faithfulness/repair.py); a stage
    with nothing to do passes straight on."""

    CHECK = "check"  # first attempts are coming in: each is checked as it comes (a passage's repair starts at once)
    MERGE = "merge"  # a round of merging a long article's part summaries is out
    REPAIR = "repair"  # every first attempt is in: the re-translations and the look-up of leftover words are out
    FILL = "fill"  # a second look-up, of words only a chosen re-translation left in Chinese, is out
    RETRY = "retry"  # a summary that broke a rule is being written again
    DONE = "done"


ROLES = frozenset({Role.HEADLINE, Role.TRANSLATE, Role.SUMMARY})  # what Generator.plan makes by default
TEMPLATES = {Role.HEADLINE: "headline", Role.TRANSLATE: "translate", Role.SUMMARY: "summarize",
             Role.SUMMARY_PART: "summarize", Role.MERGE: "summarize_merge"}


@dataclass(frozen=True)
class SummaryLength:
    """How long a run's summaries are: the template of a one-piece summary, the template that merges a long
    article's part summaries, the sentences and characters allowed, and the rule as the model is told it again."""

    name: str
    template: str
    merge: str
    sentences: tuple[int, int]
    max_chars: int | None
    rule: str
    # how many times the summary is written (the greedy one, then drawn ones: Job.temperature) for the follow-up
    # to keep the one nearest to the others among those that break the fewest rules (Repair.consensus): a
    # one-line summary is about 20 tokens, so candidates cost little beside reading the article. LCSTS dev 100
    # (scripts/candidates.py, bench/results/20261206-lcsts-candidates.json): ROUGE-L char 30.4 greedy; 32.4 +- 0.7
    # with 8 candidates, 33.0 +- 0.5 with 12, 33.3 with 16
    candidates: int = 1

    @property
    def own_words_allowed(self) -> bool:
        """A headline-like one-liner may word things its own way (LCSTS's references do, 20 % of them mostly in
        words their text does not use); the sentences of a longer summary report the article."""
        return self.sentences[1] < 2


SUMMARY_LENGTHS = {
    # pages: 2-4 sentences, the main fact first
    "standard": SummaryLength("standard", "summarize", "summarize_merge", (2, 4), None,
                              "分3点写，每点一句以“。”结尾的完整的话（1. ……。2. ……。3. ……。），每句不超过50字；"),
    # one headline-like line (LCSTS's references: 19 characters on average); asked for 30, flagged above 36
    "short": SummaryLength("short", "summarize_short", "summarize_short", (1, 1), 36,
                           "只写一句，不超过30个字，像新闻标题一样简洁；", candidates=12),
}


@dataclass(frozen=True)
class Passage:
    """Where a job's source sits in its article: the record field its output goes to ("headline", "translation",
    "summary"), the heading part (headline) or body paragraph (translation) it is in, and how many characters of
    that part or paragraph come before it. Checks place their flags and file spans by it (service/faithfulness/checks.py)."""

    field: str
    part: int | None = None
    offset: int = 0

    def at(self, chars: int) -> "Passage":
        """The passage that starts `chars` characters into this one (a sentence of it, for a repair)."""
        return Passage(self.field, self.part, self.offset + chars)


SUMMARY_PASSAGE = Passage("summary")
ARTICLE_PASSAGE = Passage("translation")  # the whole body (the term look-up of an article's leftover words)


@dataclass
class Job:
    article: int  # Item.index
    role: Role
    seq: tuple  # order within the role, e.g. (paragraph, chunk)
    task: str  # "translate" or "summarize": which backend runs it
    source: str  # the Chinese text this job covers
    template: str  # template id, or "raw" for seq2seq models fed the text itself
    input: object  # chat messages or raw text
    max_new: int
    key: str = ""
    result: Generation | None = None
    cached: bool = False
    replaces: tuple | None = None  # (role, seq) of the job whose output this one is another attempt at
    ids: list[int] = field(default_factory=list, repr=False)  # the rendered input as token ids (tokenized once)
    prefix: int = 0  # leading tokens that are the template's fixed head (read once, shared: service/generation/llamacpp.py)
    passage: Passage = SUMMARY_PASSAGE  # where its source sits in the article (Generator.job sets it)
    temperature: float = 0.0  # 0: greedy; else drawn (a summary candidate), reproducibly from `seed`
    seed: int = 0


@dataclass
class Draft:
    """An article and the jobs that make its outputs."""

    item: Item
    jobs: list[Job] = field(default_factory=list)
    heading: list[HeadPart] = field(default_factory=list)  # the headline job with seq (k,) translates heading[k]
    # (role, seq) of a headline or translate job -> text used instead of its result: a follow-up (the repair in
    # service/faithfulness/repair.py) re-translated it and the new attempt checked better
    revised: dict[tuple, str] = field(default_factory=dict)
    # (role, seq) -> the chosen attempt with the amounts it still got wrong after the re-translation put right, and
    # per fix (the source's figure, what the model wrote, what the English now says) (service/faithfulness/repair.py)
    corrected: dict[tuple, tuple[str, list[tuple[str, str, str]]]] = field(default_factory=dict)
    # Chinese words the chosen translation still holds -> their English, asked for one by one (service/faithfulness/repair.py)
    filled: dict[str, str] = field(default_factory=dict)
    summary_length: SummaryLength = SUMMARY_LENGTHS["standard"]
    # the candidate kept when the summary was written several times (SummaryLength.candidates; Repair.consensus)
    summary_chosen: str | None = None
    # the summary written again with the reason it broke a rule, when it checked better (service/faithfulness/repair.py)
    summary_revised: str | None = None
    # sentences taken out of the summary as mostly not in the article, after the retry (service/faithfulness/repair.py)
    summary_struck: list[str] = field(default_factory=list)
    # follow-up name -> its stage (service/faithfulness/repair.py: "translation", "summary")
    stages: dict[str, Stage] = field(default_factory=dict)
    # (role, seq) of the passages whose first attempt has been checked (service/faithfulness/repair.py checks each
    # as it comes in, so a failed passage is re-translated while the rest of the page is still being written)
    checked: set[tuple] = field(default_factory=set)
    # checks.findings' memo: (source, English) -> the passage's findings, each computed once per attempt
    findings: dict[tuple[str, str], list] = field(default_factory=dict, repr=False)

    def done(self) -> bool:
        return all(j.result is not None for j in self.jobs)

    def in_order(self) -> list[Job]:
        """The jobs by role (in Role's order), then seq: the same order on every run, whatever order the follow-ups
        added theirs in as results came in (a rerun from the cache gets them all at once)."""
        roles = list(Role)
        return sorted(self.jobs, key=lambda j: (roles.index(j.role), j.seq))

    def of(self, role: Role) -> list[Job]:
        return sorted((j for j in self.jobs if j.role == role), key=lambda j: j.seq)

    def chosen(self, job: Job) -> str:
        """The attempt that stands for this job: its result, or the revision that replaced it; with the amounts
        it still got wrong after the re-translation corrected (`corrected`)."""
        key = (job.role, job.seq)
        if key in self.corrected:
            return self.corrected[key][0]
        return self.revised.get(key, job.result.text)

    def text(self, job: Job) -> str:
        """The output that stands for this job: the chosen attempt, with the Chinese words it left filled in."""
        return fill_in(self.chosen(job), self.filled)

    def heading_en(self) -> list[tuple[HeadPart, str]]:
        """Each part of the heading (kicker, main headline, subheads) with its English, in page order."""
        done = {j.seq[0]: j for j in self.of(Role.HEADLINE)}
        return [(p, as_headline(self.text(done[k]))) for k, p in enumerate(self.heading) if k in done]

    def _heading(self, role: str) -> list[str]:
        return [en for p, en in self.heading_en() if p.role == role]

    @property
    def headline_en(self) -> str:
        """The main headline in English (the kicker and subheads are `kicker_en` and `subheads_en`)."""
        return " ".join(self._heading(MAIN))

    @property
    def kicker_en(self) -> str:
        return "; ".join(self._heading(KICKER))

    @property
    def subheads_en(self) -> list[str]:
        return self._heading(SUBHEAD)

    @property
    def translation(self) -> str:
        """Paragraphs joined by blank lines; the chunks of one paragraph by spaces."""
        paras: dict[int, list[str]] = {}
        for j in self.of(Role.TRANSLATE):
            paras.setdefault(j.seq[0], []).append(self.text(j))
        return "\n\n".join(" ".join(chunks) for _, chunks in sorted(paras.items()))

    @property
    def summary(self) -> str:
        if self.summary_revised is not None:
            return self.summary_revised
        return self.first_summary

    @property
    def first_summary(self) -> str:
        """The summary as the model first wrote it (before a retry; of several candidates, the one kept), points
        joined into prose (chinese.as_prose)."""
        if self.summary_chosen is not None:
            return self.summary_chosen
        final = self.final_summary_job
        return as_prose(final.result.text) if final and final.result else ""

    @property
    def final_summary_job(self) -> Job | None:
        """The job whose output is the summary: the merge of a long article's parts, else the one summary."""
        final = self.of(Role.MERGE) or self.of(Role.SUMMARY)
        return final[-1] if final else None


def ocr_notes(item: Item, text: str) -> str:
    """A note for the summary prompt on each suspected OCR defect left in `text` (the flags that were not applied
    as corrections), so that the summary does not copy it; "" when there are none."""
    return "".join(f"注意：原文中的“{a}”疑为识别错误（可能应为“{b}”），摘要里不要照抄“{a}”。\n"
                   for a, b in ocr.suspicions(item.flags) if a in text)


# A follow-up: called with an article's Draft when it is planned and each time one of its jobs comes in (the
# others may still be running), it returns the jobs to add (none when it waits for more, or is done); called again
# with nothing new, it adds nothing.
Followup = Callable[[Draft, "Generator"], list[Job]]
# Extra template values for a translation job (headline or body chunk) of a chat model: prompt_values(item, source) ->
# e.g. {"notes": ..., "text": ...}; see service/faithfulness/repair.py.
PromptValues = Callable[[Item, str], dict]


class Generator:
    def __init__(self, translator: Backend, summarizer: Backend | None = None, *, cache: Cache | None = None,
                 chunk_tokens: int = 200, prompt_values: PromptValues | None = None, summary_length: str = "standard",
                 summary_candidates: int | None = None):
        """`summary_candidates`: times a one-piece summary is written, for a follow-up to choose from (default: the
        summary length's; 1 where nothing chooses, as without the repair follow-ups; only on runtimes that
        sample, `Backend.samples`)."""
        if summary_length not in SUMMARY_LENGTHS:
            raise ValueError(f"summary length {summary_length!r}: choose {' or '.join(SUMMARY_LENGTHS)}")
        self.summary_length = SUMMARY_LENGTHS[summary_length]
        self.backends = {"translate": translator, "summarize": summarizer or translator}
        b = self.backends["summarize"]
        n = self.summary_length.candidates if summary_candidates is None else summary_candidates
        self.summary_candidates = n if b.follows_instructions and b.samples else 1
        self.prompt_values = prompt_values if translator.follows_instructions else None
        self.cache = cache or Cache(None)
        self.chunk_tokens = chunk_tokens
        self.stats: dict = {}
        self._overhead: dict[tuple[str, str], int] = {}

    # --- prompts and budgets -------------------------------------------------------------------------
    def template_ids(self) -> str:
        """What goes into each record's prompt_version."""
        ids = []
        for role in (Role.HEADLINE, Role.TRANSLATE, Role.SUMMARY, Role.MERGE):
            task = "summarize" if role in (Role.SUMMARY, Role.MERGE) else "translate"
            b = self.backends[task]
            ids.append(b.template_id(self.template_for(role)) if b.follows_instructions else f"{role}:raw")
        return " ".join(dict.fromkeys(ids))

    def template_for(self, role: Role) -> str:
        """The prompt template of a role; the summary's and the merge's follow the run's summary length."""
        if role in (Role.SUMMARY, Role.SUMMARY_SAMPLE):
            return self.summary_length.template
        if role == Role.MERGE:
            return self.summary_length.merge
        return TEMPLATES[role]

    def render(self, task: str, template: str, **values: str) -> tuple[str, object]:
        return self.backends[task].render(template, **values)

    def _overhead_tokens(self, task: str, template: str) -> int:
        if (task, template) not in self._overhead:
            b = self.backends[task]
            _, empty = self.render(task, template, text="", headline="", notes="", part="")
            self._overhead[(task, template)] = len(b.encode(empty))
        return self._overhead[(task, template)]

    def translate_budget(self) -> int:
        """Longest source chunk (tokens) so that prompt + chunk + its translation fit in the context."""
        b = self.backends["translate"]
        room = b.context_tokens - self._overhead_tokens("translate", "translate") - 32
        if self.prompt_values:
            room -= PRERENDER_TOKENS
        return max(8, min(self.chunk_tokens, room // 3))

    def summary_budget(self) -> int:
        b = self.backends["summarize"]
        room = b.context_tokens - self._overhead_tokens("summarize", "summarize") - 64
        return max(8, min(SUMMARY_INPUT_MAX, room - min(SUMMARY_MAX_NEW, room // 2)))

    def max_new_for(self, task: str, src_tokens: int, prompt_tokens: int) -> int:
        b = self.backends[task]
        return max(16, min(2 * src_tokens + 48, b.context_tokens - prompt_tokens))

    def chunk(self, text: str, budget: int, task: str = "translate") -> list[str]:
        """Split `text` into pieces of at most `budget` tokens at sentence, then clause, boundaries."""
        count = self.backends[task].count_tokens
        if count(text) <= budget:
            return [text]
        pieces: list[str] = []
        for sentence in split_sentences(text):
            if count(sentence) <= budget:
                pieces.append(sentence)
                continue
            for clause in split_clauses(sentence):
                pieces.extend([clause] if count(clause) <= budget else _split_by_length(clause, budget, count))
        chunks: list[str] = []
        for p in pieces:  # pack greedily, in order
            if chunks and count(chunks[-1] + p) <= budget:
                chunks[-1] += p
            else:
                chunks.append(p)
        assert "".join(chunks) == text, "chunking must not lose or add text"
        return chunks

    # --- jobs ----------------------------------------------------------------------------------------
    def job(self, item: Item, role: Role, seq: tuple, task: str, source: str, *, template: str | None = None,
            max_new: int | None = None, passage: Passage = SUMMARY_PASSAGE, **values: str) -> Job:
        template = template or self.template_for(role)
        values.setdefault("text", source)
        values.setdefault("notes", "")  # the summary templates' OCR notes (a translation job's prompt values have some)
        tid, rendered = self.render(task, template, **values)
        b = self.backends[task]
        ids = b.encode(rendered)
        if max_new is None:
            max_new = self.max_new_for(task, b.count_tokens(source), len(ids))
        max_new = max(16, min(max_new, b.context_tokens - len(ids)))
        return Job(item.index, role, seq, task, source, tid, rendered, max_new, self._key(task, tid, max_new, rendered),
                   ids=ids, prefix=b.prefix_tokens(template, ids), passage=passage)

    def _key(self, task: str, tid: str, max_new: int, rendered, temperature: float = 0.0, seed: int = 0) -> str:
        """A job's cache key: the model, template, rendered prompt and how it is decoded (a drawn job's
        temperature, epsilon and seed: each candidate is cached on its own)."""
        decoding = {"decoding": "greedy"} if temperature <= 0 else {
            "decoding": "epsilon sampling", "temperature": temperature, "epsilon": EPSILON, "seed": seed}
        return make_key(self.backends[task].cache_name, tid, {"max_new": max_new, **decoding}, rendered)

    def plan(self, item: Item, roles: frozenset[Role] | set[Role] = ROLES) -> Draft:
        """An article's jobs; `roles` limits them (bench plans only the output it scores)."""
        d = Draft(item, summary_length=self.summary_length)
        if Role.HEADLINE in roles:  # each part of the heading on its own, told which part it is
            d.heading = heading_parts(item)
            for k, part in enumerate(d.heading):
                label = PHOTO_LABEL if item.kind == "photo" and part.role == MAIN else part.label
                values = self._prompt_values(item, part.zh)
                d.jobs.append(_known(self.job(item, Role.HEADLINE, (k,), "translate", part.zh, part=label,
                                              passage=Passage("headline", k), **values), values))
        budget = self.translate_budget()
        for p, para in enumerate(item.paragraphs if Role.TRANSLATE in roles else ()):
            offset = 0
            for c, piece in enumerate(self.chunk(para, budget)):
                values = self._prompt_values(item, piece)
                d.jobs.append(_known(self.job(item, Role.TRANSLATE, (p, c), "translate", piece,
                                              passage=Passage("translation", p, offset), **values), values))
                offset += len(piece)
        body = "\n".join(item.paragraphs)
        if body.strip() and Role.SUMMARY in roles:
            parts = self._summary_parts(item)
            role = Role.SUMMARY if len(parts) == 1 else Role.SUMMARY_PART
            for k, part in enumerate(parts):
                d.jobs.append(self.job(item, role, (0, k), "summarize", part, headline=item.headline,
                                       notes=ocr_notes(item, part), max_new=SUMMARY_MAX_NEW))
            if role == Role.SUMMARY and self.summary_candidates > 1:
                d.jobs += self._candidates(d.jobs[-1])
        return d

    def _candidates(self, first: Job) -> list[Job]:
        """The summary written again `summary_candidates - 1` times, drawn (seeds 1, 2, ...): the first job's
        prompt, rendered and tokenized once. Every candidate shares the whole prompt (`prefix`): it is read once,
        and each candidate reads only its last token."""
        first.prefix = len(first.ids) - 1
        return [replace(first, role=Role.SUMMARY_SAMPLE, seq=(k,), temperature=SAMPLE_TEMPERATURE, seed=k,
                        key=self._key(first.task, first.template, first.max_new, first.input, SAMPLE_TEMPERATURE, k))
                for k in range(1, self.summary_candidates)]

    def _prompt_values(self, item: Item, source: str) -> dict:
        return self.prompt_values(item, source) if self.prompt_values else {"notes": ""}

    def _summary_parts(self, item: Item) -> list[str]:
        budget = self.summary_budget()
        count = self.backends["summarize"].count_tokens
        parts: list[str] = []
        for para in item.paragraphs:
            for piece in self.chunk(para, budget, task="summarize"):
                if parts and count(parts[-1] + "\n" + piece) <= budget:
                    parts[-1] += "\n" + piece
                else:
                    parts.append(piece)
        return parts

    def merge_summaries(self, d: Draft, _gen: "Generator") -> list[Job]:
        """Long articles: merge the part summaries (in rounds, if even they are too long for one request).
        Stages (`Draft.stages["merge"]`): CHECK -> MERGE (a round of merged part summaries is out) -> DONE (the
        merge job is out, or the parts stay unmerged); the round is the level in a part's `seq`."""
        parts = d.of(Role.SUMMARY_PART)
        if not parts or d.stages.get("merge") == Stage.DONE or any(j.result is None for j in parts):
            return []
        level = max(j.seq[0] for j in parts)
        texts = [as_prose(j.result.text) for j in parts if j.seq[0] == level]
        joined = "\n".join(texts)
        budget = self.summary_budget()
        count = self.backends["summarize"].count_tokens
        if count(joined) <= budget:
            d.stages["merge"] = Stage.DONE
            return [self.job(d.item, Role.MERGE, (0,), "summarize", joined, headline=d.item.headline,
                             max_new=SUMMARY_MAX_NEW)]
        # the model does not shorten enough (a part summary alone is over the budget, which no prompt can take,
        # or the rounds are used up): keep every part, unmerged
        if len(texts) == 1 or level >= MAX_MERGE_ROUNDS or any(count(t) > budget for t in texts):
            d.jobs.append(Job(d.item.index, Role.MERGE, (0,), "summarize", joined, "none", None, 0,
                              result=Generation(joined, 0, True, 0.0)))
            d.stages["merge"] = Stage.DONE
            return []
        groups: list[str] = []
        for t in texts:
            if groups and count(groups[-1] + "\n" + t) <= budget:
                groups[-1] += "\n" + t
            else:
                groups.append(t)
        d.stages["merge"] = Stage.MERGE
        return [self.job(d.item, Role.SUMMARY_PART, (level + 1, k), "summarize", g, template="summarize_merge",
                         headline=d.item.headline, max_new=SUMMARY_MAX_NEW) for k, g in enumerate(groups)]

    # --- running -------------------------------------------------------------------------------------
    def run(self, items: list[Item], followups: list[Followup] = (), progress: Callable[[dict], None] | None = None,
            *, caller: object = None, roles: frozenset[str] | set[str] | None = None,
            interactive: bool = False) -> Iterator[Draft]:
        """Yield each article's Draft as soon as all its jobs (and follow-ups) are done. Jobs go to the models'
        generation queues as `caller` (default: this run); closing the iterator cancels what is still queued.
        `interactive`: a person waits (the web UI), so a short run may be served first (generation/scheduler.py)."""
        drafts = {it.index: self.plan(it, roles or ROLES) for it in items}
        hooks = [self.merge_summaries, *followups]
        stats = {"articles": len(drafts), "done": 0, "tokens": 0, "prompt_tokens": 0, "shared_prompt_tokens": 0,
                 "seconds": 0.0, "generated": 0, "cached": 0, "templates": {}}
        self.stats = stats
        reply: queue.Queue = queue.Queue()
        caller = caller if caller is not None else object()
        in_flight = 0
        t0 = time.perf_counter()

        def submit(jobs: list[Job], first: bool = False) -> None:
            """To the models' queues, the longest answers first (`queue_order`); `first` (an article's
            follow-ups): ahead of the jobs still waiting, so they run beside the rest of the page, not after it."""
            nonlocal in_flight
            todo: list[Job] = []
            for j in jobs:
                if j.result is not None:  # known without the model (_known)
                    continue
                hit = self.cache.get(j.key)
                if hit is not None:
                    j.result, j.cached = hit, True
                    stats["cached"] += 1
                else:
                    todo.append(j)
            queues: dict[int, tuple] = {}  # one submit per generation queue (tasks may share a model)
            for j in sorted(todo, key=queue_order):
                b = self.backends[j.task]
                queues.setdefault(id(b.scheduler), (b.scheduler, []))[1].append(
                    b.request(j.ids, j.max_new, caller=caller, reply=reply, prefix=j.prefix, tag=j,
                              interactive=interactive, temperature=j.temperature, seed=j.seed))
            for scheduler, reqs in queues.values():
                scheduler.submit(reqs, first=first)
            in_flight += len(todo)

        def settle(d: Draft) -> bool:
            """Run the follow-ups of a draft one of whose jobs came in (each acts on the jobs it waits for, so a
            passage's repair need not wait for the article's summary or its other passages); True when all its
            jobs are done and nothing more is to come."""
            while True:
                more = [j for hook in hooks for j in hook(d, self)]
                if not more:
                    if d.done():
                        stats["done"] += 1
                    return d.done()
                d.jobs.extend(more)
                submit(more, first=True)

        try:
            submit([j for d in drafts.values() for j in d.jobs])
            for aid in sorted(drafts):
                if settle(drafts[aid]):  # every job cached
                    if progress:
                        progress(dict(stats))
                    yield drafts.pop(aid)
            while in_flight:
                r = reply.get()
                in_flight -= 1
                if r.cancelled:
                    continue
                if r.error is not None:
                    raise r.error
                j: Job = r.tag
                j.result = r.result
                b = self.backends[j.task]
                self.cache.put_many([(j.key, b.cache_name, j.template, prompt_text(j.input), r.result)])
                stats["tokens"] += r.result.tokens
                stats["generated"] += 1
                stats["prompt_tokens"] += len(j.ids)
                stats["shared_prompt_tokens"] += j.prefix
                t = stats["templates"].setdefault(j.template, {"jobs": 0, "prompt_tokens": 0, "shared_prompt_tokens": 0,
                                                                "generated_tokens": 0})
                t["jobs"] += 1
                t["prompt_tokens"] += len(j.ids)
                t["shared_prompt_tokens"] += j.prefix
                t["generated_tokens"] += r.result.tokens
                stats["seconds"] = time.perf_counter() - t0
                d = drafts.get(j.article)
                finished = d is not None and settle(d)
                if progress:
                    progress(dict(stats))
                if finished:
                    yield drafts.pop(j.article)
        finally:
            if in_flight:
                self.cancel(caller)
            stats["seconds"] = time.perf_counter() - t0

    def cancel(self, caller: object) -> None:
        """Drop a caller's queued and running jobs on every model this generator uses (other callers go on)."""
        for b in {id(b): b for b in self.backends.values()}.values():
            b.scheduler.cancel(caller)


def queue_order(job: Job) -> tuple:
    """The order a run's jobs join the model's queue: the longest possible answer first (a long passage's
    translation decodes one token per step for longest, so it starts first, and the short ones fill the batch as
    long ones finish), then the longest prompt, then page order."""
    return -job.max_new, -len(job.ids), job.article


def _known(job: Job, values: dict) -> Job:
    """A passage that the pre-rendering (service/faithfulness/repair.py) wrote wholly in English, such as a kicker
    that is one glossary term (行道树 -> street trees), is not sent to the model: the glossary's, the names' and
    the facts' English is its translation. (Sent, the seed page's kicker came back as 'Street trees are being
    removed.', twice.)"""
    text = values.get("text", "").strip()
    if CJK.search(job.source) and _PLAIN.fullmatch(text):
        job.template, job.result = "none", Generation(text[:1].upper() + text[1:], 0, True, 0.0)
    return job


_PLAIN = re.compile(r"[ -~]+")  # printable ASCII only: no Chinese, no full-width punctuation left


def prompt_text(rendered) -> str:
    """A rendered prompt (chat messages or plain text) as one text: what the cache logs, what checks read."""
    if isinstance(rendered, str):
        return rendered
    return "\n\n".join(f"[{m['role']}] {m['content']}" for m in rendered)


def _split_by_length(text: str, budget: int, count) -> list[str]:
    """Last resort for a clause longer than the budget: the longest prefixes that fit, in order."""
    out = []
    while text:
        lo, hi = 1, len(text)
        while lo < hi:  # longest prefix within budget (at least one character)
            mid = (lo + hi + 1) // 2
            if count(text[:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        out.append(text[:lo])
        text = text[lo:]
    return out
