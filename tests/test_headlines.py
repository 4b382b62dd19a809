"""Headline structure (service/page/headlines.py): a heading's parts (kicker, main headline, subheads) found on one
OCR line or on lines of their own, each translated on its own with a headline-style prompt, and put together
with English news separators. Model outputs in the pipeline test come from the tiny random-weight chat model
(conftest); what is asserted is which text each request carries and where each answer lands."""

from __future__ import annotations

import pytest

from service.generation import prompts
from service.output.outputs import to_markdown
from service.page.headlines import as_headline, decks, heading_line, heading_parts
from service.page.ingest import from_text
from service.page.segment import segment
from service.pipeline import Pipeline


def _item(text):
    return next(it for it in segment(text) if it.kind in ("news", "photo"))


@pytest.mark.parametrize("heading, parts", [
    # the seed page's headings (OCR joined the lines with spaces)
    ("聚焦社区卫生服务中心建设 提升基层医疗服务能力 江南街道开展民生实事项目推进视察",
     [("kicker", "聚焦社区卫生服务中心建设"), ("kicker", "提升基层医疗服务能力"), ("headline", "江南街道开展民生实事项目推进视察")]),
    ("首批25家企业获证 40家企业接力启航 我市SCORE项目结硕果",
     [("kicker", "首批25家企业获证 40家企业接力启航"), ("headline", "我市SCORE项目结硕果")]),
    ("城管开放日 宣传活动举行 搭建沟通互动平台 助力城市文明建设",
     [("headline", "城管开放日 宣传活动举行"), ("subhead", "搭建沟通互动平台 助力城市文明建设")]),
    ("行道树 减负梳妆", [("kicker", "行道树"), ("headline", "减负梳妆")]),
    # a subhead that explains (a comma in it) comes after the main headline
    ("民族地区经济发展事业兴旺 去年GDP同比增长百分之八点五,继续高于全国增速",
     [("headline", "民族地区经济发展事业兴旺"), ("subhead", "去年GDP同比增长百分之八点五,继续高于全国增速")]),
    ("海关监管作业场所通过验收", [("headline", "海关监管作业场所通过验收")]),
])
def test_a_one_line_heading_is_split_into_its_parts(heading, parts):
    item = _item(f"{heading}\n\n本报讯 作业场所通过现场验收,投入运营。\n")
    assert item.headline == heading  # segmentation keeps the line as printed
    assert [(p.role, p.zh) for p in heading_parts(item)] == parts


def test_decks_keep_couplets_together():
    assert decks("多元赋能养老 精准救助帮扶 市民政局获评全省民政系统先进集体") == [
        "多元赋能养老 精准救助帮扶", "市民政局获评全省民政系统先进集体"]


def test_heading_lines_of_their_own_keep_segmentations_roles():
    item = _item("深化改革\n开行不良资产下降三分之二\n——人均利润列国内各银行之首\n\n本报讯 开行不良资产下降。\n")
    assert [(p.role, p.zh) for p in heading_parts(item)] == [
        ("kicker", "深化改革"), ("headline", "开行不良资产下降三分之二"), ("subhead", "——人均利润列国内各银行之首")]


def test_heading_line_uses_english_news_separators():
    assert heading_line("Focus on health centres", "Jiangnan inspects projects", ["Services improve"]) == \
        "Focus on health centres: Jiangnan inspects projects — Services improve"
    assert heading_line("", "Jiangnan inspects projects", []) == "Jiangnan inspects projects"


def test_each_part_is_translated_on_its_own_and_lands_in_its_field(tiny_chat, tmp_path):
    pipe = Pipeline(tiny_chat, cache_path=tmp_path / "c.sqlite", log=lambda m: None)
    page = ("聚焦社区卫生服务中心建设 提升基层医疗服务能力 江南街道开展民生实事项目推进视察\n\n"
            "本报讯 江南街道开展视察活动,走访社区卫生服务中心。\n")
    item = pipe.preprocess(from_text(page))[0]
    d = pipe.generator.plan(item)
    heads = d.of("headline")
    assert [j.source for j in heads] == ["聚焦社区卫生服务中心建设", "提升基层医疗服务能力", "江南街道开展民生实事项目推进视察"]
    prompts = [j.input[-1]["content"] for j in heads]
    assert prompts[0].endswith("Kicker (the line above the main headline): 聚焦community health service center建设")
    assert prompts[2].endswith("Main headline: Jiangnan Subdistrict开展livelihood project progress inspection")
    rec = pipe.process(from_text(page))[0]
    parts = rec["heading"]
    assert [p["role"] for p in parts] == ["kicker", "kicker", "headline"]
    assert rec["headline_en"] == parts[2]["en"] and rec["kicker_en"] == f'{parts[0]["en"]}; {parts[1]["en"]}'
    assert rec["subheads_en"] == []
    md = to_markdown("t", [rec])
    assert f'## 1. {rec["kicker_en"]}: {rec["headline_en"]}' in md


def test_a_photo_title_is_asked_for_as_one(tiny_chat, tmp_path):
    pipe = Pipeline(tiny_chat, cache_path=tmp_path / "c.sqlite", log=lambda m: None)
    page = "减负护绿\n\n近日,市综合行政执法局开展冬季行道树修剪工作。图为修剪现场。(融媒记者 胡跨 摄)\n"
    items = pipe.preprocess(from_text(page))
    photo = next(it for it in items if it.kind == "photo")
    head = pipe.generator.plan(photo).of("headline")
    # the title as the model reads it (减负, a glossary term, is in English there)
    assert head and head[0].input[-1]["content"].endswith("Title of a news photo: reduce the burden护绿")


@pytest.mark.parametrize("english, shown", [
    ("Street trees.", "Street trees"),
    ("First 25 companies receive certification; 40 companies follow suit.", "First 25 companies receive "
     "certification; 40 companies follow suit"),
    ("Yongkang Hardware Co.", "Yongkang Hardware Co."),  # an abbreviation keeps its point
    ("Talks with the U.S.", "Talks with the U.S."),
    ("More to come...", "More to come..."),
    ("Customs Site Passes Inspection", "Customs Site Passes Inspection"),
])
def test_a_headline_loses_its_full_stop_but_not_an_abbreviations(english, shown):
    assert as_headline(english) == shown


def test_a_headline_loses_the_label_the_prompt_gave_it():
    assert as_headline("Main headline: Power station in Yulin is operational") == "Power station in Yulin is operational"
    assert as_headline("Kicker： Street trees.") == "Street trees"
    assert as_headline("Headlines of the week") == "Headlines of the week"  # a word, not the label


def test_a_part_the_glossary_writes_wholly_in_english_needs_no_model(tiny_chat, tmp_path):
    """The seed page's kicker 行道树 is one glossary term: it is 'Street trees' without the model (sent to the
    model, it came back as 'Street trees are being removed.', twice). The tiny model answers the other parts."""
    pipe = Pipeline(tiny_chat, cache_path=tmp_path / "c.sqlite", log=lambda m: None)
    page = "行道树 修枝护绿\n\n本报讯 近日，园林部门对城区行道树进行修剪。\n"
    items = pipe.preprocess(from_text(page))
    d = pipe.generator.plan(items[0])
    kicker, main = d.of("headline")
    assert kicker.source == "行道树" and kicker.template == "none" and kicker.result.text == "Street trees"
    assert main.result is None  # 修枝护绿 is not in the glossary: the model translates it
    [record] = pipe.process(from_text(page))
    assert record["kicker_en"] == "Street trees"
    assert pipe.generator.stats["templates"][prompts.load("headline").id]["jobs"] == 1  # the main line only
