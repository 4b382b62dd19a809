"""News conventions (service/faithfulness/newsstyle.py): formulas pre-rendered and checked, invented agents flagged and
re-translated, datelines rendered without the model.

Tests that plan jobs use the tiny random-weight chat model from conftest only to build prompts; the model's
answers are written by hand, so what is checked is the checks' own behaviour."""

from __future__ import annotations

import pytest

from service.faithfulness import checks, newsstyle
from service.faithfulness.glossary import Glossary
from service.generation.backends import Generation
from service.page.ingest import from_text
from service.pipeline import Pipeline

PAGE = ("海关监管作业场所通过验收\n\n本报讯(融媒记者 俞梦婷)12月23日,记者从相关部门了解到,作业场所日前通过现场验收,"
        "将于12月31日前投入运营。\n")


@pytest.fixture(scope="module")
def pipe(tiny_chat, tmp_path_factory):
    return Pipeline(tiny_chat, cache_path=tmp_path_factory.mktemp("c") / "c.sqlite", log=lambda m: None)


def test_formulas_are_found_with_their_slot_and_not_inside_a_date():
    text = "12月23日,记者从市民政局了解到,该局日前获评先进集体,须于12月31日前完成。图为活动现场。"
    found = {m.formula.zh: m for m in newsstyle.find_formulas(text)}
    assert set(found) == {"记者从…了解到", "日前", "图为"}  # 12月31日前 is "before December 31", not "recently"
    m = found["记者从…了解到"]
    assert text[m.start:m.end] == "记者从市民政局了解到"
    # the fixed pieces are rendered; the slot (市民政局) is left for the glossary and the model
    assert [(text[s:e], en) for s, e, en in m.pieces] == [("记者从", "the reporter learned from"), ("了解到", "")]
    assert text.index("日前") == found["日前"].start


def test_every_shipped_formula_and_agent_row_loads():
    forms = newsstyle.formulas()
    assert len(forms) >= 10 and all(f.accept and f.pattern.pattern for f in forms)
    assert all(a.en and a.zh for a in newsstyle.agents())


def test_the_model_reads_formulas_in_english_and_the_slot_in_chinese(pipe):
    item = pipe.preprocess(from_text(PAGE))[0]
    text = pipe.repair.prerender(item, item.paragraphs[0])
    assert text.startswith("December 23,the reporter learned from相关部门,作业场所recently通过")
    assert "12月31日前" not in text and "December 31前" in text  # the date is rendered; 前 is not "recently"


def _english(pipe, translation: str):
    d = pipe.generator.plan(pipe.preprocess(from_text(PAGE))[0])
    for j in d.jobs:
        text = {"headline": "Customs supervision site passes inspection", "translate": translation}.get(j.role, "作业场所通过验收。")
        j.result = Generation(text, len(text.split()), True, 0.0)
    return d


def test_an_invented_agent_is_flagged_and_retranslated_with_the_reason(pipe):
    """The seed page's error: 记者从相关部门了解到 rendered as 'the Chinese government reported'."""
    d = _english(pipe, "On December 23, the Chinese government reported that the site recently passed the on-site "
                       "inspection and will start operating before December 31.")
    found = checks.check_passage(d.of("translate")[0].source, d.of("translate")[0].result.text, pipe.context, d.item)
    agent = [f for f in found if f.category == "agent"]
    assert [f.found for f in agent] == ["Chinese government"]
    formula = next(f for f in found if f.category == "formula" and f.text == "记者从…了解到")
    assert not formula.ok and formula.expected == "the reporter learned from …"
    repairs = pipe.repair.followup(d, pipe.generator)
    assert repairs and repairs[0].replaces == ("translate", (0, 0))
    prompt = repairs[0].input[-1]["content"]
    assert "it wrote 'Chinese government', but the Chinese names no such source" in prompt
    _, flags = checks.check_facts(d, pipe.context)
    kinds = {f["kind"]: f for f in flags}
    assert kinds["agent_unsupported"]["found"] == "Chinese government"
    assert kinds["agent_unsupported"]["field"] == "translation" and kinds["agent_unsupported"]["span"]
    assert kinds["formula_missing"]["severity"] == "info"


def test_a_faithful_rendering_passes_both_checks(pipe):
    d = _english(pipe, "On December 23, the reporter learned from the relevant departments that the site recently "
                       "passed the on-site inspection and will start operating before December 31.")
    found = checks.check_passage(d.of("translate")[0].source, d.of("translate")[0].result.text, pipe.context, d.item)
    assert not [f for f in found if f.category in ("agent", "formula") and not f.ok]
    assert {f.text for f in found if f.category == "formula"} == {"记者从…了解到", "日前"}
    assert pipe.repair.followup(d, pipe.generator) == []  # nothing to re-translate


@pytest.mark.parametrize("source, english, flagged", [
    ("市政府表示", "The city government said", []),
    ("据介绍，项目已完工", "Officials said the project is finished", ["Officials"]),
    ("据介绍，项目已完工", "According to the briefing, the project is finished", []),
    ("公安机关提醒", "The police reminded", []),
    ("据悉，活动吸引了市民", "State media reported that the event drew residents", ["State media"]),
])
def test_agents_need_a_chinese_word_that_names_them(source, english, flagged):
    assert [said for said, _ in newsstyle.unsupported_agents(source, english)] == flagged


@pytest.mark.parametrize("dateline, en, checked", [
    ("本报讯", "(Staff report)", True),
    ("本报北京1月2日讯", "Beijing, January 2 (Staff report)", True),
    ("本报太原2000年12月31日电", "Taiyuan, December 31, 2000 (Staff report)", True),
    ("新华社金边12月31日电", "Phnom Penh, December 31 (Xinhua)", True),
    ("本报哈尔滨12月31日电", "Harbin, December 31 (Staff report)", True),
    ("本报涿州1月2日电", "Zhuozhou, January 2 (Staff report)", False),  # not in the glossary: pinyin, flagged
    ("本报澳门电", "Macao (Staff report)", True),
])
def test_datelines_are_rendered_without_the_model(dateline, en, checked):
    d = newsstyle.dateline_en(dateline, Glossary.load())
    assert (d.en, d.place_checked) == (en, checked)


def test_records_carry_the_dateline_in_english_and_flag_a_guessed_place(pipe):
    page = "验收通过\n\n本报涿州1月2日电(记者余继军)作业场所通过现场验收。\n\n另一条消息\n\n本报讯 作业场所通过验收。\n"
    recs = pipe.process(from_text(page))
    assert [r["dateline_en"] for r in recs] == ["Zhuozhou, January 2 (Staff report)", "(Staff report)"]
    guessed = [f for f in recs[0]["flags"] if f["kind"] == "dateline_place_unverified"]
    assert guessed and guessed[0]["found"] == "涿州" and guessed[0]["field"] == "byline"
    assert not [f for f in recs[1]["flags"] if f["kind"].startswith("dateline")]


def test_a_term_rendered_two_ways_in_one_article_is_flagged(pipe):
    page = "视察活动\n\n本报讯 江南街道开展视察活动。\n\n江南街道走访社区。\n\n江南街道表示满意。\n"
    d = pipe.generator.plan(pipe.preprocess(from_text(page))[0])
    answers = {0: "Jiangnan Subdistrict held an inspection.", 1: "Jiangnan visited the community.",
               2: "Jiangnan Street was satisfied."}
    for j in d.jobs:
        text = answers[j.seq[0]] if j.role == "translate" else "Inspection"
        j.result = Generation(text, len(text.split()), True, 0.0)
    flags = [f for f in checks.check_facts(d, pipe.context)[1] if f["kind"] == "inconsistent_rendering"]
    assert len(flags) == 1  # 'Jiangnan' alone is a second mention of 'Jiangnan Subdistrict', not a change
    assert flags[0]["found"] == "Jiangnan Subdistrict | Jiangnan Street"
    assert "paragraph 1" in flags[0]["message"] and "paragraph 3" in flags[0]["message"]
    assert flags[0]["span"] == d.item.locate(2, 0, len(d.item.paragraphs[2]))
    answers[2] = "The subdistrict was satisfied."
    for j in d.of("translate"):
        j.result = Generation(answers[j.seq[0]], 3, True, 0.0)
    assert not [f for f in checks.check_facts(d, pipe.context)[1] if f["kind"] == "inconsistent_rendering"]


@pytest.mark.parametrize("source, english, verb", [
    ("行道树", "Street trees are being removed.", "are"),  # the seed page's kicker
    ("行道树", "Street trees", None),
    ("城管开放日", "Urban Management Open Day is held", "is"),
    ("江南街道开展民生实事项目", "Jiangnan Subdistrict is carrying out livelihood projects", None),  # 开展: a verb
    ("全市经济稳中向好", "The city's economy is stable and improving", None),  # an idiom can be a predicate
    ("我市SCORE项目结硕果", "The SCORE project has achieved significant results", None),  # 结: a verb tagged n
    ("中国五金物流港海关监管作业场所通过验收工作", "The site has passed inspection", None),  # too long for a phrase
])
def test_a_statement_added_to_a_verbless_phrase_is_found(source, english, verb):
    assert newsstyle.added_statement(source, english) == verb


KICKER_PAGE = "冬季的行道树 修枝护绿\n\n本报讯 近日，园林部门对城区行道树进行修剪，去除枯枝，减轻树冠负担。\n"


def _headline(pipe, kicker_en: str):
    d = pipe.generator.plan(pipe.preprocess(from_text(KICKER_PAGE))[0])
    for j in d.jobs:
        text = {"translate": "Recently, the landscaping department pruned the street trees in the city, removing dead "
                "branches and lightening the load of the crowns."}.get(j.role, "园林部门修剪城区行道树。")
        if j.role == "headline":
            text = kicker_en if d.heading[j.seq[0]].role == "kicker" else "Pruning for greener streets"
        j.result = Generation(text, len(text.split()), True, 0.0)
    return d


def test_a_kicker_that_states_more_than_its_phrase_is_retranslated_then_flagged(pipe):
    """The seed page's kicker 行道树 came out as 'Street trees are being removed.': nothing flagged it. (行道树
    alone is now written from the glossary without the model; a kicker with a word outside it still goes there.)"""
    d = _headline(pipe, "Street trees are being removed.")
    assert [p.role for p in d.heading] == ["kicker", "headline"]
    repairs = pipe.repair.followup(d, pipe.generator)
    assert [r.replaces for r in repairs] == [("headline", (0,))]  # only the kicker; the main line is a sentence
    assert "it wrote 'Street trees are being removed.', a statement, but the Chinese is only a name or phrase" \
        in repairs[0].input[-1]["content"]
    for r in repairs:  # the second attempt says it again: the flag stands, on the kicker's span in the file
        r.result = Generation("Street trees are cut down.", 5, True, 0.0)
        d.jobs.append(r)
    pipe.repair.followup(d, pipe.generator)
    records, flags = checks.check_facts(d, pipe.context)
    stated = [f for f in flags if f["kind"] == "statement_added"]
    assert len(stated) == 1 and stated[0]["field"] == "headline" and stated[0]["expected"] == "冬季的行道树"
    assert KICKER_PAGE[slice(*stated[0]["span"])] == "冬季的行道树"
    assert [r["status"] for r in records if r["category"] == "statement"] == ["flagged"]


def test_a_kicker_put_right_by_the_second_attempt_is_kept_without_its_full_stop(pipe):
    d = _headline(pipe, "Street trees are being removed.")
    for r in pipe.repair.followup(d, pipe.generator):
        r.result = Generation("Street trees.", 2, True, 0.0)
        d.jobs.append(r)
    pipe.repair.followup(d, pipe.generator)
    _, flags = checks.check_facts(d, pipe.context)
    assert not [f for f in flags if f["kind"] == "statement_added"]
    assert d.kicker_en == "Street trees"  # English headlines carry no full stop


def test_a_second_attempt_that_copies_the_prompts_instructions_is_not_kept(pipe):
    """Seen on a dev page: 世纪宝宝 came back from the re-translation as 'Every clause, nothing added.', which
    passes every fact check, and was kept."""
    d = _headline(pipe, "Street trees are being removed.")
    repairs = pipe.repair.followup(d, pipe.generator)
    for r in repairs:
        r.result = Generation("Every clause, nothing added.", 5, True, 0.0)
        d.jobs.append(r)
    assert pipe.repair.echoes_prompt(d, repairs[0])
    pipe.repair.followup(d, pipe.generator)
    assert d.kicker_en == "Street trees are being removed"  # the first attempt stands, flagged
    _, flags = checks.check_facts(d, pipe.context)
    assert [f["found"] for f in flags if f["kind"] == "statement_added"] == ["Street trees are being removed."]


@pytest.mark.parametrize("english, copied", [
    ("Every clause, nothing added.", True),
    ("Output only the English translation.", True),
    ("Street trees.", False),
    ("Nothing added to the budget this year.", False),  # shares words, not a piece of the instructions
])
def test_copied_instructions_are_recognised(english, copied):
    instructions = ("Translate this sentence from a Chinese local newspaper into English, completely and "
                    "faithfully: every clause, nothing added.\nOutput only the English translation.")
    assert checks.copies_instructions(english, instructions) == copied
