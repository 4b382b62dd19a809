"""The one pipeline every front uses (batch command, web UI, evaluation, benchmarks).

    preprocess: ingest (decode + checks) and segment the page into items
    forward:    generate summaries and translations, batched across articles, cached
    postprocess: run the checks, build one output record per article

Faithfulness (service/faithfulness/repair.py, service/faithfulness/checks.py): translation prompts get the passage's amounts, dates,
names and glossary terms pre-rendered in English; a follow-up re-translates passages that fail the checks and
then looks up words still left in Chinese; each record lists its checked facts (`facts`) with status verified /
repaired / flagged.

`Pipeline.run(doc)` yields records as articles finish; `Pipeline.process(doc)` returns them in page order.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from service import __version__
from service.errors import InputError, ModelError
from service.faithfulness import checks
from service.faithfulness.glossary import Glossary
from service.faithfulness.newsstyle import dateline_en
from service.faithfulness.repair import Repair
from service.flags import flag
from service.generation.backends import Backend, load
from service.generation.cache import Cache
from service.generation.generate import SUMMARY_LENGTHS, Draft, Generator
from service.generation.registry import Profile, cache_dir, resolve
from service.page import ingest
from service.page.names import byline_en, pinyin_name
from service.page.segment import SKIP_KINDS, Item, segment
from service.record import Record


def attach_document_flags(items: list[Item], doc: ingest.Document) -> None:
    """What ingest did to the text (HTML extracted, control characters removed) goes to the item it happened in,
    or, for the whole page, to its first article."""
    articles = [it for it in items if it.kind not in SKIP_KINDS] or items
    for f in doc.flags:
        at = f.get("span", [None])[0]
        home = next((it for it in items if at is not None and it.span[0] <= at < it.span[1]), None)
        if home is None or home.kind in SKIP_KINDS:
            home = articles[0] if articles else None
        if home is not None:
            home.flags.append(dict(f))


def dateline_flags(it: Item, dateline) -> list[dict]:
    """A dateline rendered without the model (service/faithfulness/newsstyle.py) whose place had to be guessed, or which is in
    no known form: say so next to the byline."""
    if it.dateline and not dateline.en:
        return [flag("dateline_unknown", f"the dateline {it.dateline} is in no form newsdesk knows; it is "
                            "not translated (it stays in the record as written).", field="byline",
                            found=it.dateline)]
    if not dateline.place_checked:
        return [flag("dateline_place_unverified", f"the dateline's place {dateline.place} is not in the "
                            f"glossary; it is written in pinyin as '{dateline.place_en}', which may not be its English "
                            "name (Harbin, not Ha'erbin): check it, or add it to the glossary.",
                            field="byline", found=dateline.place, expected=dateline.place_en)]
    return []


def default_cache_path() -> Path:
    return cache_dir() / "generations.sqlite"


class Pipeline:
    def __init__(self, model: str | Profile | None = None, summary_model: str | Profile | None = None, *,
                 batch_size: int | None = None, runtime: str | None = None,
                 cache_path: str | Path | None = "default", device: str | None = None,
                 log: Callable[[str], None] = print, glossary: Sequence[str | Path] = (), repair: bool = True,
                 summary_length: str = "standard", ocr_fix: bool = True, summary_candidates: int | None = None):
        """`glossary`: user glossary CSV files merged over the shipped one; `repair=False` checks and flags
        but neither pre-renders facts in the prompts nor re-translates (for comparisons). `runtime`: llama.cpp or
        transformers (default: the profile's); `batch_size`: sequences generated at once (default: the runtime's);
        `summary_length`: standard (2-4 sentences) or short (one headline-like line), see generate.SUMMARY_LENGTHS.
        `summary_candidates`: times a summary is written for the most typical to be kept (default: the length's;
        see generate.SummaryLength.candidates).
        `ocr_fix=False`: the model reads the page as printed, OCR defects flagged but not corrected (service/page/ocr.py).
        Pipelines of one process share each loaded model and its generation queue (service/generation/scheduler.py)."""
        if summary_length not in SUMMARY_LENGTHS:
            raise InputError(f"summary length {summary_length!r} is not known; choose {' or '.join(SUMMARY_LENGTHS)}.")
        self.summary_length = summary_length
        self.summary_candidates = summary_candidates
        self.ocr_fix = ocr_fix
        self.context = checks.Context(Glossary.load(*glossary))  # first: a bad glossary fails before any model
        self.cache = Cache(default_cache_path() if cache_path == "default" else cache_path)  # so does a bad cache
        self.translate_profile = model if isinstance(model, Profile) else resolve(model)
        self.summary_profile = (summary_model if isinstance(summary_model, Profile)
                                else resolve(summary_model) if summary_model else self.translate_profile)
        if "translate" not in self.translate_profile.tasks:
            raise ModelError(f"{self.translate_profile.name} cannot translate; pick a chat or translation model.")
        if "summarize" not in self.summary_profile.tasks:
            raise ModelError(f"{self.summary_profile.name} cannot summarise; pick a chat or summarization model.")
        translator: Backend = load(self.translate_profile, device, log=log, runtime=runtime, batch_size=batch_size)
        summarizer = (translator if self.summary_profile.name == self.translate_profile.name
                      else load(self.summary_profile, device, log=log, batch_size=batch_size))
        self.runtime = translator.runtime
        self.repair = Repair(self.context) if repair else None
        self.generator = self._generator(translator, summarizer, summary_length)

    def _generator(self, translator: Backend, summarizer: Backend, summary_length: str) -> Generator:
        return Generator(translator, summarizer, cache=self.cache, chunk_tokens=self.translate_profile.chunk_tokens,
                         prompt_values=self.repair.prompt_values if self.repair else None,
                         summary_length=summary_length, summary_candidates=self.candidates)

    @property
    def candidates(self) -> int | None:
        """Times a summary is to be written: as asked (None: its length's default), or once without the repair
        follow-ups, which choose among them (Repair.consensus)."""
        return self.summary_candidates if self.repair else 1

    def with_summary_length(self, length: str) -> "Pipeline":
        """This pipeline with summaries of another length: the same models, cache, glossary and checks (the web UI
        asks per request)."""
        if length == self.summary_length:
            return self
        if length not in SUMMARY_LENGTHS:
            raise InputError(f"summary length {length!r} is not known; choose {' or '.join(SUMMARY_LENGTHS)}.")
        other = copy.copy(self)
        g = self.generator
        other.summary_length = length
        other.generator = self._generator(g.backends["translate"], g.backends["summarize"], length)
        return other

    @property
    def model_name(self) -> str:
        return self.translate_profile.name

    # preprocess --------------------------------------------------------------------------------------
    def preprocess(self, doc: ingest.Document) -> list[Item]:
        """The page's items, less page furniture (headers, footers, continuation markers): not articles, nothing
        to summarise or translate. Item indexes stay page positions, as in `newsdesk segment`. The OCR step in
        segmentation corrects the text the model reads where the evidence is strong (unless `ocr_fix` is off);
        the records keep the text as printed and list the corrections."""
        ocr_fix = getattr(self, "ocr_fix", True)  # (callable without a model)
        translator = self.generator.backends["translate"] if hasattr(self, "generator") else None
        weigh = translator.score if ocr_fix and translator is not None and translator.scores else None
        items = segment(doc.text, ocr_fix=ocr_fix, weigh=weigh)
        attach_document_flags(items, doc)
        return [it for it in items if it.kind not in SKIP_KINDS]

    # postprocess -------------------------------------------------------------------------------------
    def prompt_version(self) -> str:
        ids = self.generator.template_ids()
        if self.repair and self.generator.prompt_values:
            ids += " " + self.repair.template_id
        return ids

    def provenance(self, doc: ingest.Document) -> dict:
        """What an issue's outputs were made from (written into its report as `run`): the same source text, model,
        runtime and prompt versions give the same records, so `newsdesk archive` skips a set whose `run` matches."""
        run = {"source_sha256": doc.sha256, "model": self.translate_profile.name, "runtime": self.runtime,
               "summary_model": self.summary_profile.name, "prompt_version": self.prompt_version(),
               "newsdesk": __version__}
        if not self.ocr_fix:  # the model read other text
            run["ocr_fix"] = False
        return run

    def postprocess(self, doc: ingest.Document, d: Draft) -> Record:
        it = d.item
        facts, fact_flags = checks.check_facts(d, self.context)
        rec: Record = {"issue": doc.name, **it.as_dict()}  # type: ignore[typeddict-item]  (filled in below)
        rec["people"] = [{**p.as_dict(), "en": pinyin_name(p.name)} for p in it.people]
        dateline = dateline_en(it.dateline, self.context.glossary)
        rec.update(
            dateline_en=dateline.en,
            byline_en=byline_en(it.people),
            kicker_en=d.kicker_en,
            headline_en=d.headline_en,
            subheads_en=d.subheads_en,
            heading=[{"role": p.role, "zh": p.zh, "en": en} for p, en in d.heading_en()],
            summary=d.summary,
            translation=d.translation,
            flags=it.flags + dateline_flags(it, dateline) + checks.run_all(d) + fact_flags,
            facts=facts,
            fact_counts=checks.tally(facts),
            model=self.translate_profile.name,
            runtime=self.runtime,
            summary_model=self.summary_profile.name,
            summary_length=self.summary_length,
            summary_candidates=self.generator.summary_candidates,
            prompt_version=self.prompt_version(),
            # every model answer came from the cache (jobs answered without the model, template "none", do not count)
            cached=all(j.cached for j in d.jobs if j.template != "none"),
        )
        return rec

    # the whole flow ----------------------------------------------------------------------------------
    def run(self, doc: ingest.Document, progress: Callable[[dict], None] | None = None, *,
            caller: object = None, items: list[Item] | None = None, interactive: bool = False) -> Iterator[dict]:
        """Records as articles finish. `caller` names this run in the models' generation queues (default: a new
        one per run); `cancel(caller)` from another thread drops its queued jobs. `items`: the page as
        `preprocess(doc)` read it, when the caller has it already (the UI shows the cards first). `interactive`:
        a person waits for this run (the web UI); a short one is served before batch work."""
        items = self.preprocess(doc) if items is None else items
        followups = [self.repair.followup, self.repair.summary_followup] if self.repair else []
        for d in self.generator.run(items, followups=followups, progress=progress, caller=caller,
                                    interactive=interactive):
            yield self.postprocess(doc, d)

    def process(self, doc: ingest.Document, progress: Callable[[dict], None] | None = None, *,
                caller: object = None, interactive: bool = False) -> list[dict]:
        return sorted(self.run(doc, progress, caller=caller, interactive=interactive), key=lambda r: r["index"])

    def cancel(self, caller: object) -> None:
        """Drop a run's queued and running jobs (other runs go on)."""
        self.generator.cancel(caller)
