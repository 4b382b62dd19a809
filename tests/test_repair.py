"""The repair loop (service/faithfulness/repair.py) and the fact checks on whole articles (service/faithfulness/checks.py).

The model-driven tests use the tiny random-weight chat model from conftest: its output is gibberish, so every
fact check fails, which is exactly what exercises the loop (first attempt checked, failing passages re-translated
sentence by sentence, the repairs batched and cached, the best attempt kept, still-wrong facts flagged). The
selection of a better attempt is tested with hand-written model outputs on jobs planned by the real Generator.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from service.faithfulness import checks
from service.fronts.cli import main
from service.generation.backends import Generation
from service.page.ingest import from_text
from service.pipeline import Pipeline

PAGE = ("节约成本 企业获证\n\n本报讯(融媒记者 俞梦婷)12月23日,试点企业累计节约成本约316.4万元。"
        "市民王锦悦说,企业工伤数下降约57%。\n")


def drafts(pipe: Pipeline, text: str):
    items = pipe.preprocess(from_text(text))
    return {d.item.index: d for d in pipe.generator.run(items, followups=[pipe.repair.followup])}


@pytest.fixture(scope="module")
def tiny_pipe(tiny_chat, tmp_path_factory):
    return Pipeline(tiny_chat, cache_path=tmp_path_factory.mktemp("c") / "c.sqlite", log=lambda m: None)


def test_first_translation_gets_facts_prerendered(tiny_pipe):
    """Tiny random model: the text of the first attempt has the amount, date, name and term in English."""
    d = next(iter(drafts(tiny_pipe, PAGE.replace("试点企业", "永康企业")).values()))
    body = d.of("translate")[0]
    passage = body.input[-1]["content"].split("\n\n")[-1]
    assert passage == ("December 23,Yongkang企业累计节约成本约3.164 million yuan。"
                       "市民Wang Jinyue说,企业工伤数下降约57%。")
    assert body.source.startswith("12月23日,永康企业")  # the job's source stays the original text: checks read that


def test_what_cannot_be_written_in_place_is_listed(tiny_pipe):
    assert tiny_pipe.repair.notes("每万名老年人口拥有床位21.77张") == "Use these English renderings:\n- 每万 = per 10,000\n"
    assert tiny_pipe.repair.notes("企业节约成本316.4万元") == ""


def test_failing_passage_is_retranslated_and_flagged_when_still_wrong(tiny_pipe):
    """Tiny random model: every check of the gibberish fails, so the body passage is re-translated one sentence
    at a time (told what went wrong), the repairs are cached, and the facts still wrong are flagged."""
    d = next(iter(drafts(tiny_pipe, PAGE).values()))
    body = d.of("translate")[0]
    repairs = [j for j in d.jobs if j.role == "repair" and j.replaces == ("translate", body.seq)]
    assert len(repairs) == 2  # two sentences
    assert all(j.result is not None and j.template.startswith("translate_repair@") for j in repairs)
    first = repairs[0].input[-1]["content"]
    assert "An earlier translation made these mistakes" in first
    assert "it must say 3,164,000 yuan" in first
    assert first.split("\n\n")[-1] == "December 23,试点企业累计节约成本约3,164,000 yuan。"  # as a full figure now
    assert "316.4" not in first  # shown the Chinese form, the model copies its digits again
    assert all(tiny_pipe.cache.get(j.key) is not None for j in repairs)

    rec = tiny_pipe.postprocess(from_text(PAGE), d)
    amount = next(f for f in rec["facts"] if f["source"] == "316.4万元")
    assert amount["status"] == "flagged" and amount["where"] == "translation"
    assert PAGE[amount["span"][0]:amount["span"][1]] == "316.4万元"
    flag = next(f for f in rec["flags"] if f["kind"] == "number_mismatch" and f["expected"].startswith("3.164"))
    assert "also after a second translation" in flag["message"]
    assert flag["span"] == amount["span"]
    assert rec["fact_counts"]["checked"] == len(rec["facts"]) > 0
    assert not any(f["status"] == "verified" for f in rec["facts"] if f["where"] != "summary")


def test_repairs_are_cached_like_everything_else(tiny_chat, tmp_path):
    """Tiny random model: a second run of the same page generates nothing and gives the same records."""
    cache = tmp_path / "c.sqlite"
    one = Pipeline(tiny_chat, cache_path=cache, log=lambda m: None)
    first = one.process(from_text(PAGE))
    two = Pipeline(tiny_chat, cache_path=cache, log=lambda m: None)
    second = two.process(from_text(PAGE))
    assert two.generator.stats["generated"] == 0 and two.generator.stats["cached"] > 0
    assert [r["translation"] for r in first] == [r["translation"] for r in second]
    assert [r["facts"] for r in first] == [r["facts"] for r in second]
    assert all(r["cached"] for r in second)


def _answer(job, text):
    job.result = Generation(text, len(text.split()), True, 0.0)


def planned(pipe, text: str, translation: str, summary: str = "摘要。"):
    """A Draft planned by the real Generator, its first-round jobs answered by hand."""
    d = pipe.generator.plan(pipe.preprocess(from_text(text))[0])
    for j in d.jobs:
        _answer(j, {"headline": "Cost savings", "translate": translation}.get(j.role, summary))
    return d


def test_a_repair_that_checks_better_replaces_the_passage(tiny_pipe):
    """Jobs planned by the real Generator (tiny model), answers written by hand: the first attempt scales the
    amount wrongly, the repair gets it right, so the record uses the repair and calls the fact repaired."""
    d = planned(tiny_pipe, "节约成本\n\n本报讯(融媒记者 俞梦婷)企业累计节约成本约316.4万元。工伤数下降约57%。\n",
                "The companies saved about 316.4 million yuan. Injuries fell by about 57%.")
    repairs = tiny_pipe.repair.followup(d, tiny_pipe.generator)
    assert [j.replaces for j in repairs] == [("translate", (0, 0))] * 2
    _answer(repairs[0], "The companies saved about 3.164 million yuan in total.")
    _answer(repairs[1], "Work injuries fell by about 57%.")
    d.jobs.extend(repairs)
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []
    assert "3.164 million yuan" in d.translation and "316.4 million" not in d.translation
    facts, flags = checks.check_facts(d, tiny_pipe.context)
    by_source = {f["source"]: f for f in facts if f["where"] == "translation"}
    assert by_source["316.4万元"]["status"] == "repaired"
    assert by_source["57%"]["status"] == "verified"
    assert not [f for f in flags if f["kind"].startswith("number")]


def test_a_worse_repair_is_not_used(tiny_pipe):
    """Hand-written answers: the repair drops the amount, so the first attempt stays; its amount (the same digits
    at the wrong scale) is then put right by the check and flagged as such."""
    d = planned(tiny_pipe, "节约成本\n\n本报讯(融媒记者 俞梦婷)企业累计节约成本约316.4万元,工伤数下降约57%。\n",
                "The companies saved about 316.4 million yuan, and injuries fell by about 57%.")
    repairs = tiny_pipe.repair.followup(d, tiny_pipe.generator)
    assert len(repairs) == 1
    _answer(repairs[0], "The companies saved money.")
    d.jobs.extend(repairs)
    tiny_pipe.repair.followup(d, tiny_pipe.generator)
    assert d.revised == {}
    assert d.translation == "The companies saved about 3,164,000 yuan, and injuries fell by about 57%."
    facts, flags = checks.check_facts(d, tiny_pipe.context)
    amount = next(f for f in facts if f["source"] == "316.4万元")
    assert amount["status"] == "repaired" and amount["corrected_from"] == "316.4 million"
    assert not [f for f in flags if f["kind"].startswith("number_") and f["kind"] != "number_corrected"]
    [fixed] = [f for f in flags if f["kind"] == "number_corrected"]
    assert (fixed["found"], fixed["expected"], fixed["severity"]) == ("316.4 million", "3,164,000", "info")
    assert fixed["field"] == "translation" and fixed["span"]


def test_a_failed_passage_is_retranslated_before_the_rest_of_its_article_is_in(tiny_pipe):
    """Jobs planned by the real Generator, answered by hand in the order a run might finish them: the first
    paragraph's amount is wrong, so its re-translation is asked for at once, while the headline, the second
    paragraph and the summary are still being written; nothing is asked twice, the article's stage moves on only
    when every first attempt is in, and the better attempt is chosen only when the re-translation is in."""
    from service.generation.generate import Role, Stage

    text = "节约成本\n\n本报讯 企业累计节约成本约316.4万元。\n\n工伤数下降约57%。\n"
    d = tiny_pipe.generator.plan(tiny_pipe.preprocess(from_text(text))[0])
    first, second = d.of(Role.TRANSLATE)
    _answer(first, "The companies saved about 316.4 million yuan.")
    repairs = tiny_pipe.repair.followup(d, tiny_pipe.generator)
    assert repairs and all(r.role == Role.REPAIR and r.replaces == (first.role, first.seq) for r in repairs)
    assert d.stages.get("translation", Stage.CHECK) == Stage.CHECK
    d.jobs.extend(repairs)
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []  # nothing new came in
    _answer(second, "Work injuries fell by about 57%.")
    for j in d.of(Role.HEADLINE) + d.of(Role.SUMMARY):
        _answer(j, "Cost savings" if j.role == Role.HEADLINE else "企业节约成本。")
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []  # the second paragraph checks: no repair
    assert d.stages["translation"] == Stage.REPAIR and not d.revised
    for r in repairs:
        _answer(r, "The companies saved about 3.164 million yuan in total.")
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []
    assert d.stages["translation"] == Stage.DONE
    assert "3.164 million yuan" in d.translation and "Work injuries fell" in d.translation


@pytest.mark.parametrize("first, second, stays", [
    # the seed page: 392.79万元 written 392,790 in both attempts
    ("The event collected 392,790 yuan.", "The event collected 392,790 yuan.", None),
    # the wrong figure twice in the passage: which one is which is not clear, so it is flagged, not changed
    ("It collected 392,790 yuan, of which 392,790 yuan came from firms.",
     "It collected 392,790 yuan, of which 392,790 yuan came from firms.", "392,790"),
    # a wrong number with other digits is not a misread scale: flagged, not changed
    ("The event collected 500,000 yuan.", "The event collected 500,000 yuan.", "500,000"),
])
def test_an_amount_wrong_in_both_attempts_is_corrected_only_where_it_is_clear(tiny_pipe, first, second, stays):
    d = planned(tiny_pipe, "慈善\n\n本报讯 今年“慈善日”活动募集善款392.79万元。\n", first)
    repairs = tiny_pipe.repair.followup(d, tiny_pipe.generator)
    assert repairs
    for r in repairs:
        _answer(r, second)
    d.jobs.extend(repairs)
    tiny_pipe.repair.followup(d, tiny_pipe.generator)
    facts, flags = checks.check_facts(d, tiny_pipe.context)
    amount = next(f for f in facts if f["source"] == "392.79万元")
    if stays is None:
        assert "3,927,900 yuan" in d.translation and "392,790" not in d.translation
        assert amount["status"] == "repaired" and amount["corrected_from"] == "392,790"
    else:
        assert stays in d.translation and "3,927,900" not in d.translation
        assert amount["status"] == "flagged" and "corrected_from" not in amount
        assert not [f for f in flags if f["kind"] == "number_corrected"]


def retranslated(pipe, text: str, first: str, second: str):
    """A one-sentence article whose first translation fails a check, re-translated once: both answers by hand."""
    d = planned(pipe, text, first)
    [repair] = pipe.repair.followup(d, pipe.generator)
    _answer(repair, second)
    d.jobs.append(repair)
    pipe.repair.followup(d, pipe.generator)
    return d


def test_attempts_are_compared_with_the_amounts_the_check_puts_right(tiny_pipe):
    """The seed page: the first attempt invents 'the government'; the re-translation drops it but scales 490万元
    wrongly ('49 million'), which the check puts right. Judged as it will stand, the re-translation is better."""
    d = retranslated(tiny_pipe, "救助\n\n本报讯 今年撬动社会帮扶资金490万元。\n",
                     "This year the government mobilised 4.9 million yuan of social assistance funds.",
                     "This year 49 million yuan of social assistance funds were mobilised.")
    assert d.translation == "This year 4,900,000 yuan of social assistance funds were mobilised."
    facts, flags = checks.check_facts(d, tiny_pipe.context)
    assert {f["kind"] for f in flags} >= {"number_corrected"} and "agent_unsupported" not in {f["kind"] for f in flags}


def test_an_invented_source_weighs_more_than_a_term_worded_otherwise(tiny_pipe):
    """The seed page: the first attempt invents 'the government' (a warning); the re-translation drops it but
    words the glossary's 对接 otherwise (an info). The re-translation stands, and the term is flagged as info."""
    d = retranslated(tiny_pipe, "救助\n\n本报讯 实现了服务的精准对接。\n",
                     "The government achieved a precise match of services.", "Services were precisely coordinated.")
    assert d.translation == "Services were precisely coordinated."
    _, flags = checks.check_facts(d, tiny_pipe.context)
    assert [(f["kind"], f["severity"]) for f in flags] == [("term_missing", "info")]


def test_passages_that_pass_are_not_retranslated(tiny_pipe):
    """Hand-written answers that are right: no repair jobs, every fact verified."""
    d = planned(tiny_pipe, "节约成本\n\n本报讯(融媒记者 俞梦婷)永康企业累计节约成本约316.4万元。\n",
                "Yongkang companies saved about 3,164,000 yuan.", "永康企业节约成本约316.4万元。")
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []
    facts, _ = checks.check_facts(d, tiny_pipe.context)
    assert {(f["where"], f["source"], f["status"]) for f in facts} == {
        ("translation", "316.4万元", "verified"), ("translation", "永康", "verified"),
        ("summary", "316.4万元", "verified")}


def test_a_number_written_with_spaces_in_it_is_joined_not_retranslated(tiny_pipe):
    """The seed page: 24725.21平方米 came back as '24, 725. 21 square meters', which the checks read as three
    numbers not in the source and re-translated the passage for. Joined where the whole is the source's number."""
    d = planned(tiny_pipe, "新院\n\n本报讯 新院区总建筑面积24725.21平方米,有25, 100两个方案。\n",
                "The new campus covers 24, 725. 21 square meters, with two plans, 25, 100.")
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []
    assert "24,725.21 square meters" in d.translation
    assert "25, 100" in d.translation  # two numbers of the source, not one: left as written
    facts, flags = checks.check_facts(d, tiny_pipe.context)
    assert next(f for f in facts if f["source"].startswith("24725.21"))["status"] == "verified"
    assert not [f for f in flags if f["kind"].startswith("number")]


def test_summary_numbers_must_be_in_the_article(tiny_pipe):
    """Hand-written summary with a number the article does not have: flagged, the right one verified."""
    d = planned(tiny_pipe, "节约成本\n\n本报讯(融媒记者 俞梦婷)企业累计节约成本约316.4万元。\n",
                "Companies saved about 3.164 million yuan.", "企业节约成本316.4万元,惠及500家企业。")
    facts, flags = checks.check_facts(d, tiny_pipe.context)
    summary = {f["source"]: f["status"] for f in facts if f["where"] == "summary"}
    assert summary == {"316.4万元": "verified", "500家": "flagged"}
    assert any(f["kind"] == "summary_number_ungrounded" and f["found"] == "500家" for f in flags)


def test_seq2seq_output_is_checked_but_not_repaired(tiny_seq2seq, tiny_chat):
    """Tiny random seq2seq translator (tiny chat summariser): it takes no instructions, so no pre-rendering and
    no repair; facts are still checked and flagged."""
    pipe = Pipeline(tiny_seq2seq, tiny_chat, cache_path=None, log=lambda m: None)
    d = next(iter(drafts(pipe, PAGE).values()))
    assert not [j for j in d.jobs if j.role == "repair"]
    assert d.of("translate")[0].input == d.of("translate")[0].source
    rec = pipe.postprocess(from_text(PAGE), d)
    assert any(f["source"] == "316.4万元" and f["status"] == "flagged" for f in rec["facts"])


def test_batch_writes_the_report_and_takes_a_user_glossary(tiny_chat, tmp_path, capsys):
    """Tiny random model, through the CLI: --glossary terms reach the prompts and the checks; the report counts
    what the records list."""
    page = tmp_path / "p.txt"
    page.write_text(PAGE.replace("试点企业", "方岩景区"), encoding="utf-8")
    gl = tmp_path / "g.csv"
    gl.write_text("zh,en,note\n方岩,Fangyan Mountain,scenic spot\n", encoding="utf-8")
    out, cache = tmp_path / "out", tmp_path / "c.sqlite"
    assert main(["batch", str(page), "--out", str(out), "--model", tiny_chat, "--cache", str(cache),
                 "--glossary", str(gl)]) == 0
    records = [json.loads(x) for x in (out / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    report = json.loads((out / "p.report.json").read_text(encoding="utf-8"))
    facts = [f for r in records for f in r["facts"]]
    assert report["facts"]["checked"] == len(facts)
    assert sum(report["facts"][s] for s in ("verified", "repaired", "flagged")) == len(facts)
    assert report["articles"][0]["checked"] == len(records[0]["facts"])
    assert any(f["source"] == "方岩" and f["expected"] == "Fangyan Mountain" for f in facts)
    with sqlite3.connect(cache) as db:
        prompts = [row[0] for row in db.execute("SELECT input FROM generations WHERE template LIKE 'translate@%'")]
    assert any("Fangyan Mountain景区" in p for p in prompts)
    assert records[0]["people"][0]["en"] == "Yu Mengting" and records[0]["byline_en"] == "Reporter Yu Mengting"
    md = (out / "p.md").read_text(encoding="utf-8")
    assert "## Fact check" in md and "Reporter Yu Mengting" in md
    assert "facts:" in capsys.readouterr().out


def test_bad_user_glossary_fails_before_loading_a_model(tmp_path, capsys):
    page = tmp_path / "p.txt"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["batch", str(page), "--out", str(tmp_path), "--model", str(tmp_path / "no-model"),
                 "--glossary", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read glossary" in capsys.readouterr().err


@pytest.mark.parametrize("summary, flagged", [
    ("首批企业获证，我市安全生产项目结硕果。", True),  # what the embedded model gave for a short article
    ("首批企业获证。", True),  # part of the headline
    ("我市25家企业和13名辅导员获证，试点企业一年排查整改隐患3060个。工伤数下降约57%。", False),
])
def test_a_summary_that_only_restates_the_headline_is_flagged(tiny_pipe, summary, flagged):
    """Hand-written summaries of an article planned by the real Generator (tiny model)."""
    d = planned(tiny_pipe, "首批企业获证 我市安全生产项目结硕果\n\n本报讯(融媒记者 俞梦婷)符合项目要求的25家企业和"
                "13名辅导员获证。首批试点企业经过一年实践,排查整改隐患3060个,企业工伤数下降约57%。\n",
                "25 enterprises and 13 counsellors were certified.", summary)
    kinds = [f["kind"] for f in checks.check_summary(d)]
    assert ("summary_repeats_headline" in kinds) is flagged


OMITTED = ("本报讯(融媒记者 俞梦婷)近日,市应急管理局在会展中心举行企业可持续发展项目启动仪式。"
           "首批试点企业经过一年实践,逐步构建起自下而上、上下结合、全员参与的安全管理新格局。\n")
FULL = "Recently, the Municipal Emergency Management Bureau held a launch ceremony for the corporate sustainability project at the convention centre."


def test_a_sentence_translated_only_in_part_is_flagged_where_it_is(tiny_pipe):
    """Hand-written English for an article planned by the real Generator (tiny model): the second sentence lost
    its long apposition. The passage as a whole is long enough (3.4 English characters per Chinese one), so only
    the sentence-by-sentence check finds it; the flag points at that sentence and the repair is told."""
    text = "企业可持续发展项目启动\n\n" + OMITTED
    d = planned(tiny_pipe, text, FULL + " The first pilot companies built a new pattern.")
    body = d.of("translate")[0]
    found = [f for f in checks.check_passage(body.source, body.result.text, tiny_pipe.context, d.item)
             if f.category == "omission"]
    second = body.source.index("首批")
    assert [(f.start, f.end) for f in found] == [(second, len(body.source))]
    _, flags = checks.check_facts(d, tiny_pipe.context)
    [flag] = [f for f in flags if f["kind"] == "omission"]
    assert text[flag["span"][0]:flag["span"][1]] == body.source[second:]
    prompts = [j.input[-1]["content"] for j in tiny_pipe.repair.followup(d, tiny_pipe.generator)]
    assert ["left out part of the text" in p for p in prompts] == [False, True]


def test_a_whole_translation_is_judged_as_one_passage_when_sentences_do_not_pair(tiny_pipe):
    """Three English sentences for two Chinese ones, or one: no pairing, the passage is judged whole (long enough
    with three; one short sentence for both is too short)."""
    text = "企业可持续发展项目启动\n\n" + OMITTED
    whole = FULL + " The first pilot companies worked for a year. They built a safety pattern from the bottom up, with all staff taking part."
    for english, short in ((whole, False), ("Recently, a launch ceremony was held.", True)):
        d = planned(tiny_pipe, text, english)
        body = d.of("translate")[0]
        found = [f for f in checks.check_passage(body.source, english, tiny_pipe.context, d.item)
                 if f.category == "omission"]
        assert [(f.start, f.text) for f in found] == ([(-1, body.source.strip())] if short else [])


TREES = "行道树修剪\n\n本报讯 市综合行政执法局开展冬季行道树修剪,通过疏枝减重,预防雨雪天气下枝条折断的风险。\n"


@pytest.mark.parametrize("answer, used, agrees", [
    ("breakage", True, True),
    ("折断 = breakage", True, True),  # the asked-for form: one `Chinese = English` line per word
    ("\"breaking.\"", True, True),  # quotes and a full stop around the words are dropped
    ("折断 = lamp", True, False),  # used, but no sense of the dictionary's
    ("折断", False, False),  # still Chinese
    ("It means that the branches may break off under the weight of snow and ice", False, False),  # an explanation
])
def test_a_word_left_in_chinese_is_asked_for_on_its_own(tiny_pipe, answer, used, agrees):
    """Answers written by hand for jobs the real Generator and Repair plan (tiny model): both attempts leave
    折断 in Chinese, so one short request, sent beside the re-translations, asks for it with its sentence as
    context; a plain English answer is put in its place and flagged `term_filled` with CC-CEDICT's senses (折断: to
    snap sth off; to break): an info where one of them agrees, else a warning; an unusable answer is not used, and
    `untranslated` stays, with the dictionary's senses."""
    d = planned(tiny_pipe, TREES, "The bureau pruned street trees in winter to reduce the risk of branch折断 "
                                  "in rain and snow by thinning branches.")
    jobs = tiny_pipe.repair.followup(d, tiny_pipe.generator)
    *repairs, fill = jobs
    assert repairs and all(j.role == "repair" for j in repairs)
    assert fill.role == "fill" and fill.source == "折断" and fill.template.startswith("translate_term@")
    prompt = fill.input[-1]["content"]
    assert "预防雨雪天气下枝条折断的风险。" in prompt and "\n折断 =\n" in prompt  # the word, with its sentence
    d.jobs.extend(jobs)
    for j in repairs:
        _answer(j, "Branches may 折断 in rain and snow, so the bureau thinned them.")
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []  # the look-up is still out
    _answer(fill, answer)
    assert tiny_pipe.repair.followup(d, tiny_pipe.generator) == []  # the word was asked for already: no 2nd look-up
    rec = tiny_pipe.postprocess(from_text(TREES), d)
    kinds = [f["kind"] for f in rec["flags"]]
    if used:
        word = answer.rpartition("= ")[2].strip("\".")
        assert f"branch {word} in rain" in rec["translation"] or f"may {word} in rain" in rec["translation"]
        assert "折断" not in rec["translation"] and "untranslated" not in kinds
        [flag] = [f for f in rec["flags"] if f["kind"] == "term_filled"]
        assert flag["expected"] == word and "to break" in flag["dictionary"]
        if agrees:
            assert flag["severity"] == "info" and "CC-CEDICT agrees (折断: to break)" in flag["message"]
        else:  # a guess the dictionary does not support
            assert flag["severity"] == "warning" and "CC-CEDICT gives 折断: to snap sth off; to break" in flag["message"]
        assert TREES[flag["span"][0]:flag["span"][1]] == "折断"
    else:
        assert "折断" in rec["translation"] and "untranslated" in kinds and "term_filled" not in kinds
        [flag] = [f for f in rec["flags"] if f["kind"] == "untranslated"]
        assert "CC-CEDICT gives 折断: to snap sth off; to break." in flag["message"]


def test_fill_in_keeps_words_apart_and_leaves_unknown_chinese():
    from service.chinese import fill_in

    words = {"折断": "breakage", "中医科": "the TCM department", "配备": "equipped"}
    assert fill_in("the risk of branch折断 in snow", words) == "the risk of branch breakage in snow"
    assert fill_in("a 中医科、配备 with", words) == "a the TCM department, equipped with"
    assert fill_in("room,中医科 and", words) == "room, the TCM department and"
    caps = {"通关": "Clearance", "中医科": "Chinese Medicine Department"}
    assert fill_in("overall 通关 efficiency", caps) == "overall clearance efficiency"
    assert fill_in("It has a 中医科.", caps) == "It has a Chinese Medicine Department."
    assert fill_in("Done. 通关 was quick", caps) == "Done. Clearance was quick"
    assert fill_in("打卡 spots", words) == "打卡 spots"
    assert fill_in("no Chinese here", {}) == "no Chinese here"


def test_an_articles_leftover_words_are_asked_for_in_one_request():
    """All words an article left in Chinese go into one look-up; each `Chinese = English` line is used on its own
    merits (a Chinese or long answer is not), and words not asked for are ignored."""
    from service.faithfulness.repair import parse_fills

    answer = "折断 = breakage\n打卡 = 打卡\n中医科 = the TCM department\n江南 = Jiangnan\n特色 = " + "very " * 9
    assert parse_fills(answer, ["折断", "打卡", "中医科", "特色"]) == {"折断": "breakage", "中医科": "the TCM department"}
    assert parse_fills("breakage", ["折断"]) == {"折断": "breakage"}
    assert parse_fills("breakage", ["折断", "打卡"]) == {}  # a bare answer cannot say which word it is for
    # the question's lines copied with the English in place of the Chinese (seen on the seed page): by position
    answer = "Inspection of progress =\nJiangnan =\nstaffing =\ninstrument =\nMedical"
    assert parse_fills(answer, ["推进视察", "江南", "配备", "仪"]) == {
        "推进视察": "Inspection of progress", "江南": "Jiangnan", "配备": "staffing", "仪": "instrument"}
    assert parse_fills("江南 = Jiangnan\nstaffing =", ["江南", "配备"]) == {"江南": "Jiangnan", "配备": "staffing"}
    assert parse_fills("=\n江南 =", ["配备", "江南"]) == {}  # nothing on either side: no answer
    # not one `=` line per word asked: no line can be placed by position
    assert parse_fills("Here are the terms:\nstaffing =\nJiangnan =", ["配备", "江南"]) == {
        "配备": "staffing", "江南": "Jiangnan"}  # a preamble line without `=` does not shift them
    assert parse_fills("配备 = staffing\nJiangnan =", ["配备", "推进视察", "江南"]) == {"配备": "staffing"}


def test_words_left_in_chinese_go_to_the_look_up_without_a_retranslation(tiny_pipe):
    """A passage whose only fault is a word left in Chinese is not translated again: the article's look-up asks
    for the word (one request for all of them)."""
    d = planned(tiny_pipe, TREES, "The city law enforcement bureau pruned street trees in winter, thinning "
                                  "branches to reduce the risk of branch 折断 in rain and snow.")
    _answer(d.of("headline")[0], "Pruning street trees")
    from service.faithfulness import checks

    [(job, _)] = [p for p in checks.passages(d) if p[0].role == "translate"]
    found = checks.check_passage(job.source, job.result.text, tiny_pipe.context, d.item)
    assert {f.category for f in found if not f.ok} == {"untranslated"}
    jobs = tiny_pipe.repair.followup(d, tiny_pipe.generator)
    assert [j.role for j in jobs] == ["fill"] and jobs[0].source == "折断"


def test_every_articles_follow_ups_end_in_their_done_stage(tiny_chat, seed_text):
    """The follow-ups are named stages with their own state on the Draft (CHECK -> REPAIR -> FILL -> DONE for the
    translation, CHECK -> RETRY -> DONE for the summary), not a phase guessed from the roles present; each article
    ends with both DONE, and an article whose passages were re-translated went through REPAIR (its repair jobs
    exist) before it got there. Tiny random-weight model: its gibberish fails checks, which is what this needs."""
    from service.generation.generate import Role, Stage
    from service.page.ingest import from_text

    pipe = Pipeline(tiny_chat, cache_path=None)
    items = pipe.preprocess(from_text(seed_text, "seed"))
    seen = []
    real = pipe.repair.followup

    def followup(d, gen):
        seen.append((d.item.index, d.stages.get("translation", Stage.CHECK)))
        return real(d, gen)

    drafts = list(pipe.generator.run(items, followups=[followup, pipe.repair.summary_followup]))
    assert drafts and all(d.stages.get("translation") == Stage.DONE for d in drafts)
    assert all(d.stages.get("summary") == Stage.DONE for d in drafts if d.of(Role.SUMMARY) or d.of(Role.MERGE))
    repaired = [d for d in drafts if d.of(Role.REPAIR)]
    assert repaired  # gibberish fails the checks
    for d in repaired:
        assert (d.item.index, Stage.REPAIR) in seen
