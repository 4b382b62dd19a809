"""Segmentation and line repair: the seed page against its hand-written gold, the repair guarantees on every page
in corpus/, and the page elements (furniture, briefs, headlines, bylines) on small pages written here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service.page.segment import SKIP_KINDS, join_lines, parse_people, segment

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_fd4f6e000473b793.txt"
GOLD = ROOT / "corpus" / "gold"
PAGES = sorted((ROOT / "corpus" / "pages").glob("*.txt"))
ALL_PAGES = [SEED, *PAGES]
CJK = re.compile(r"[\u4e00-\u9fff]")


def gold_of(page: Path) -> dict:
    return json.loads((GOLD / f"{page.stem}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_items():
    return segment(SEED.read_text(encoding="utf-8"))


# --- the seed page ------------------------------------------------------------------------------------------
def test_seed_page_has_its_five_articles_and_one_picture(seed_items):
    assert [it.kind for it in seed_items] == ["news", "news", "news", "photo", "news", "news"]
    assert [it.headline for it in seed_items] == [
        "首批25家企业获证 40家企业接力启航 我市SCORE项目结硕果",
        "中国五金物流港 海关监管作业场所通过验收",
        "聚焦社区卫生服务中心建设 提升基层医疗服务能力 江南街道开展民生实事项目推进视察",
        "行道树 减负梳妆",
        "城管开放日 宣传活动举行 搭建沟通互动平台 助力城市文明建设",
        "多元赋能养老 精准救助帮扶 市民政局获评全省民政系统先进集体",
    ]
    assert all(not it.subheads and not it.kicker for it in seed_items)


def test_seed_page_matches_its_gold_item_by_item(seed_items):
    gold = gold_of(SEED)["items"]
    assert len(seed_items) == len(gold)
    for it, g in zip(seed_items, gold):
        d = it.as_dict()
        for key in ("kind", "headline", "subheads", "dateline", "byline", "paragraphs", "span"):
            assert d[key] == g[key], (it.index, key)
        assert [(p["name"], p["role"], p["title"]) for p in d["people"]] == \
            [(p["name"], p["role"], p["title"]) for p in g["people"]]


def test_seed_bylines_and_people_with_roles(seed_items):
    news = seed_items[2]
    assert news.dateline == "本报讯" and news.byline == "融媒记者 桂荣超 王均铮"
    assert [(p.name, p.role) for p in news.people] == [("桂荣超", "reporter"), ("王均铮", "reporter")]
    photo = seed_items[3]
    assert photo.byline == "融媒记者 王均铮 通讯员 陈威武 摄"
    assert [(p.name, p.role, p.title) for p in photo.people] == [
        ("王均铮", "photographer", "融媒记者"), ("陈威武", "photographer", "通讯员")]
    assert photo.paragraphs[0].startswith("连日来") and not any("摄" in p[-3:] for p in photo.paragraphs)


def test_seed_joins_made_and_not_made(seed_items):
    text = SEED.read_text(encoding="utf-8")
    joins = {j for b in join_lines(text) for j in b.joins}
    assert joins == set(gold_of(SEED)["joins"])  # the six column breaks, nothing else
    first = seed_items[0]
    # 全 | 员参与 and 政府 | 赋能 are joined into their paragraphs, without anything between the halves
    assert any("上下结合、全员参与的安管理新格局" in p for p in first.paragraphs)
    assert any("企业自主管理+政府赋能引导" in p for p in first.paragraphs)
    assert any("居家安全性与舒适度" in p for p in seed_items[5].paragraphs)
    # complete paragraphs stay apart: six paragraphs in the first article, four in the third
    assert len(first.paragraphs) == 6 and len(seed_items[2].paragraphs) == 4


def test_seed_locate_maps_paragraph_text_back_to_the_file(seed_items):
    text = SEED.read_text(encoding="utf-8")
    for it in seed_items:
        printed = it.as_dict()["paragraphs"]
        for k, p in enumerate(it.paragraphs):  # as the model reads them: OCR corrections applied
            a, b = it.locate(k, 0, len(p))
            # the span covers the paragraph as printed; outside the joins it is the same text
            assert text[a:b].replace("\n", "") == printed[k]


def test_seed_ocr_defects_are_flagged_with_position_and_evidence(seed_items):
    text = SEED.read_text(encoding="utf-8")
    flags = [f for it in seed_items for f in it.flags if f["kind"].startswith("ocr_")]
    got = sorted((f["kind"], f["found"], f["expected"], tuple(f["span"])) for f in flags)
    want = sorted(("ocr_" + d["kind"], d["found"], d["expected"], tuple(d["span"]))
                  for d in gold_of(SEED)["ocr_defects"])
    assert got == want
    assert {g[1] for g in got} == {"安管理", "金五", "出海口口"} and len(got) == 5
    for f in flags:
        assert text[f["span"][0]:f["span"][1]] == f["found"]  # the span points at the suspicious text
        assert "dictionary" in f["message"]  # and the message gives the evidence
    # the text as printed is never changed (the model reads 五金 and 出海口: tests/test_ocr_corrections.py)
    assert sum(p.count("安管理") for it in seed_items for p in it.as_dict()["paragraphs"]) == 3
    assert any("金五产品" in p for p in seed_items[1].as_dict()["paragraphs"])
    assert any("出海口口" in p for p in seed_items[1].as_dict()["paragraphs"])
    # flags sit on the item that holds the text
    assert {f["found"] for f in seed_items[1].flags} == {"金五", "出海口口"}


# --- line repair guarantees, on every page -------------------------------------------------------------------
@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.stem)
def test_repair_only_removes_line_breaks(page):
    """Every character of every block is the character at its original offset: no space (or anything else)
    is ever inserted between Chinese characters, nothing is reordered or dropped inside a line."""
    text = page.read_text(encoding="utf-8")
    for b in join_lines(text):
        assert all(text[b.orig(k)] == c for k, c in enumerate(b.text))
        for j in b.joins:
            assert text[j - 1] in "\n \t\u3000"  # a join is at a line start
        assert not re.search(r"[\u4e00-\u9fff][ \t\u3000]+[\u4e00-\u9fff]", b.text) or \
            re.search(r"[\u4e00-\u9fff][ \t\u3000]+[\u4e00-\u9fff]", text[b.start:b.end].split("\n")[0])


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.stem)
def test_repair_never_joins_a_headline_to_a_body_paragraph(page):
    text = page.read_text(encoding="utf-8")
    starts = {b.start: b for b in join_lines(text)}
    items = [x for g in gold_of(page)["items"] for x in (g, *g.get("items", [])) if x["kind"] not in SKIP_KINDS]
    for g in items:
        for h in filter(None, [g.get("kicker", ""), g["headline"], *g["subheads"]]):
            k = text.find(h, g["span"][0])
            assert k >= 0 and k in starts and starts[k].text == h, f"headline {h!r} joined: {starts.get(k)}"


@pytest.mark.parametrize("page", [SEED, *[p for p in PAGES if gold_of(p)["shape"] == "a"
                                          or gold_of(p).get("indent")]], ids=lambda p: p.stem)
def test_repair_keeps_paragraph_breaks(page):
    """Pages where a paragraph break can be seen (one paragraph a line, or indented columns): every break that
    is not a layout break stays a break."""
    text = page.read_text(encoding="utf-8")
    gold = gold_of(page)
    joins = {j for b in join_lines(text) for j in b.joins}
    assert not joins - set(gold["joins"])


def test_joins_do_not_insert_spaces_between_chinese_characters():
    text = "据悉,试点企业逐步构建起自下而上、上下结合、全\n\n员参与的新格局。\n"
    (b,) = join_lines(text)
    assert b.text == "据悉,试点企业逐步构建起自下而上、上下结合、全员参与的新格局。"


def test_paragraphs_on_consecutive_lines_stay_apart():
    text = ("本报讯(记者 张三)近日,全市安全生产工作会议召开。\n会议总结了去年的工作,部署了今年的任务。\n"
            "与会人员还参观了示范企业。\n")
    blocks = join_lines(text)
    assert len(blocks) == 3 and not any(b.joins for b in blocks)


# --- page elements -----------------------------------------------------------------------------------------
FURNITURE_PAGE = """人民日报　2001年1月2日　星期二
第4版　国内新闻
江苏出台打假新法规
本报南京1月2日电记者顾兆农报道：日前，江苏省人大常委会通过决议，从1月10日起施行新条例。（下转第八版）
玉林超高压变电站投入运行
本报讯日前，广西玉林500千伏超高压变电站建成投入运行。
责任编辑：张宏　美术编辑：刘芳
"""


def test_page_furniture_is_kept_out_of_articles():
    items = segment(FURNITURE_PAGE)
    kinds = [it.kind for it in items]
    assert kinds == ["furniture", "furniture", "news", "furniture", "news", "furniture"]
    assert items[3].paragraphs == ["（下转第八版）"]
    news = [it for it in items if it.kind == "news"]
    assert news[0].paragraphs == ["日前，江苏省人大常委会通过决议，从1月10日起施行新条例。"]
    assert not any("版" in p or "责任编辑" in p for it in news for p in it.paragraphs)
    assert any(f["kind"] == "continued" and "八" in f["message"] for f in news[0].flags)
    assert news[0].dateline == "本报南京1月2日电" and [(p.name, p.role) for p in news[0].people] == \
        [("顾兆农", "reporter")]


def test_pipeline_preprocess_skips_furniture():
    from service.page.ingest import from_text
    from service.pipeline import Pipeline

    items = Pipeline.preprocess(object(), from_text(FURNITURE_PAGE))  # preprocess needs no model
    assert [it.kind for it in items] == ["news", "news"]
    assert "furniture" in SKIP_KINDS


def test_continued_from_another_page():
    text = ("（上接第一版）\n据介绍，这项工程总投资12亿元，明年建成。\n\n宁夏精简会议和文件\n\n"
            "本报银川1月1日电记者郑有义报道：宁夏近日发出通知。\n")
    items = segment(text)
    assert [it.kind for it in items] == ["furniture", "news", "news"]
    assert items[1].headline == "" and items[1].paragraphs == ["据介绍，这项工程总投资12亿元，明年建成。"]
    assert any(f["kind"] == "continued" for f in items[1].flags)


def test_brief_with_its_short_items():
    text = ("经济简讯\n\n海港区地税局实行行业细化管理\n\n"
            "本报讯河北省秦皇岛市海港区地税局对税源实行细化管理。（宋长军）\n\n"
            "中行向华能国际电力提供授信额度\n\n本报北京1月1日讯记者田俊荣报道：日前，中国银行与华能国际电力签约。\n\n\n\n"
            "南京地铁南北线工程获首笔贷款\n\n本报南京1月1日电记者顾兆农报道：国家重点工程获首笔贷款。\n\n工程将于明年动工。\n")
    items = segment(text)
    assert [it.kind for it in items] == ["brief", "news"]
    brief = items[0]
    assert brief.headline == "经济简讯"
    assert [s.headline for s in brief.items] == ["海港区地税局实行行业细化管理", "中行向华能国际电力提供授信额度"]
    assert brief.items[1].dateline == "本报北京1月1日讯" and brief.items[1].people[0].name == "田俊荣"
    # everything in the brief is in its paragraphs, so it gets translated
    assert "海港区地税局实行行业细化管理" in brief.paragraphs and len(brief.paragraphs) == 4
    assert items[1].headline == "南京地铁南北线工程获首笔贷款" and len(items[1].paragraphs) == 2


def test_headline_lines_kicker_headline_subhead():
    text = ("新世纪新气象\n\n全国铁路客运提速\n\n——京沪线最快列车运行时间缩短一小时\n\n"
            "本报北京1月1日讯记者江世杰报道：全国铁路今天起提速。\n")
    (it,) = segment(text)
    assert (it.kicker, it.headline, it.subheads) == \
        ("新世纪新气象", "全国铁路客运提速", ["——京沪线最快列车运行时间缩短一小时"])
    two = segment("民族地区经济发展事业兴旺\n\n去年同比增长百分之八点五\n\n"
                  "本报讯记者胡果报道：民族地区经济较快发展。\n")
    assert (two[0].headline, two[0].subheads) == ("民族地区经济发展事业兴旺", ["去年同比增长百分之八点五"])


@pytest.mark.parametrize("line, dateline, byline, people", [
    ("本报讯(融媒记者 俞梦婷)近日,会议举行。", "本报讯", "融媒记者 俞梦婷", [("俞梦婷", "reporter")]),
    ("新华社金边12月31日电（记者李超碧、晏明）柬埔寨31日举行国葬。", "新华社金边12月31日电", "记者李超碧、晏明",
     [("李超碧", "reporter"), ("晏明", "reporter")]),
    ("本报北京12月31日讯新华社记者秦杰、本报记者赵川东报道：乐音飞扬。", "本报北京12月31日讯",
     "新华社记者秦杰、本报记者赵川东", [("秦杰", "reporter"), ("赵川东", "reporter")]),
    ("据新华社北京12月31日电在新世纪的钟声即将敲响之际，各国领导人发表贺词。", "据新华社北京12月31日电", "", []),
    ("本报讯记者李丽辉从国家工商行政管理局获悉：打假取得成效。", "本报讯", "", []),
    ("本报讯（记者 张三 通讯员 李四）日前，项目开工。", "本报讯", "记者 张三 通讯员 李四",
     [("张三", "reporter"), ("李四", "correspondent")]),
])
def test_datelines_and_bylines(line, dateline, byline, people):
    (it,) = segment(f"标题一则\n\n{line}\n")
    assert (it.dateline, it.byline) == (dateline, byline)
    assert [(p.name, p.role) for p in it.people] == people
    assert it.paragraphs[0] == line[len(line) - len(it.paragraphs[0]):]  # the body is the rest of the line
    assert not it.paragraphs[0].startswith(("(", "（"))


def test_photo_credits():
    assert [(p.name, p.role, p.title) for p in parse_people("（新华社记者刘宇摄）")] == \
        [("刘宇", "photographer", "新华社记者")]
    assert [p.name for p in parse_people("本报记者陶源明陈杰摄")] == ["陶源明", "陈杰"]
    (it,) = segment("喜迎新世纪\n\n天津举行大型文艺晚会。图为小朋友喜迎新世纪。（本报记者徐烨摄）\n")
    assert it.kind == "photo" and it.byline == "本报记者徐烨摄"
    assert it.paragraphs == ["天津举行大型文艺晚会。图为小朋友喜迎新世纪。"]


def test_hard_wrapped_columns_are_joined_back():
    """Indented paragraphs hard-wrapped at 12 characters: the lines of each paragraph come back as one block."""
    paras = ["本报北京1月2日讯记者颜世贵报道：今天是新年上班第一天，尽管工作千头万绪，北京市政府首先向群众公布实事。",
             "北京市政府承诺为群众办60件重要实事已经连续第五年，每年年初在报纸上公布，年终向群众报告完成情况。",
             "今年的实事涉及交通、住房、环境、教育和医疗等方面，市政府要求各部门抓紧落实，确保按期完成任务。"]
    lines = ["年内为百姓办六十件实事"]
    for p in paras:
        cut = [p[:10]] + [p[k:k + 12] for k in range(10, len(p), 12)]  # the indent takes two characters
        lines += ["　　" + cut[0], *cut[1:]]
    items = segment("\n".join(lines) + "\n")
    assert [it.headline for it in items] == ["年内为百姓办六十件实事"]
    assert items[0].paragraphs == [paras[0][len("本报北京1月2日讯记者颜世贵报道："):], *paras[1:]]
    assert items[0].byline == "记者颜世贵"


# --- layouts of other papers (issue 13) ----------------------------------------------------------------------
def _cut(text: str, n: int) -> list[str]:
    return [text[k:k + n] for k in range(0, len(text), n)]


def test_columns_cut_every_n_characters_are_measured_in_characters():
    """A plain-text export cuts every N characters whatever they are: with digits in them the lines are ragged in
    printed width, so the column is measured in characters. The first line of a paragraph after a blank line
    (乔石在中国气象局局长温克刚和名誉局长邹) is not a headline."""
    paras = [("本报北京1月2日电记者王政报道：乔石在中国气象局局长温克刚和名誉局长邹竞蒙等同志陪同下，先后视察了"
              "国家气象中心、国家卫星气象中心和2000年新建成的气象业务大楼。"),
             ("乔石在中国气象局局长温克刚和名誉局长邹竞蒙等同志陪同下，听取了2001年气象工作的汇报，"
              "他说，气象工作关系到1000多万农民的生产和生活。"),
             "据介绍，全国已建成各类气象站2600多个，天气预报的准确率在近10年里提高了15个百分点。"]
    lines = ["乔石视察中国气象局", ""]
    for p in paras:
        lines += [*_cut(p, 19), ""]
    items = segment("\n".join(lines))
    assert [it.headline for it in items] == ["乔石视察中国气象局"]
    assert items[0].paragraphs == [paras[0][len("本报北京1月2日电记者王政报道："):], *paras[1:]]


def test_a_byline_line_and_a_dateline_open_one_story():
    text = ("武术散打王终有归属\n本报记者　王霞光\n本报讯2000年12月28日晚，柳海龙夺得首个散打王头衔。\n"
            "作为双料冠军，柳海龙不畏强手。\n")
    (it,) = segment(text)
    assert (it.headline, it.byline, it.dateline) == ("武术散打王终有归属", "本报记者　王霞光", "本报讯")
    assert [(p.name, p.role) for p in it.people] == [("王霞光", "reporter")]
    assert it.paragraphs == ["2000年12月28日晚，柳海龙夺得首个散打王头衔。", "作为双料冠军，柳海龙不畏强手。"]


def test_a_sentence_about_the_paper_is_not_a_dateline():
    text = ("新闻奖评选揭晓\n\n本报讯第六届五四新闻奖日前揭晓。\n本报记者采写的通讯《秦文贵》获一等奖。\n")
    (it,) = segment(text)
    assert it.dateline == "本报讯" and len(it.paragraphs) == 2


def test_a_headline_wider_than_the_column_is_not_joined_to_its_subhead():
    body = ("国家开发银行行长陈元透露，为了迎接挑战，开发银行最近提出了与"
            "国际接轨的标准，旨在构造一流水平的现代化政策性银行。开发银行在积极支持经济增长的同时，不良资产"
            "大幅下降，人均利润位居国内各银行之首。")
    text = "\n".join(["关注金融改革", "政策性经营性目标实现双赢开行不良资产下降三分之二", "人均利润列国内各银行之首",
                      *_cut(body, 13)]) + "\n"
    (it,) = segment(text)
    assert (it.kicker, it.headline, it.subheads) == \
        ("关注金融改革", "政策性经营性目标实现双赢开行不良资产下降三分之二", ["人均利润列国内各银行之首"])
    assert it.paragraphs == [body]


def test_an_editors_note_opens_a_paragraph_under_the_headline():
    note = "编者按：1994年，我国成立了三家政策性银行，分别承担国家重点建设项目融资任务。"
    text = "\n".join(["一线传真", "开行不良资产下降三分之二", "人均利润列国内各银行之首", *_cut(note, 13),
                      "", *_cut("本报北京1月2日讯记者田俊荣报道：国家开发银行行长陈元透露了八条标准。", 13)]) + "\n"
    (it,) = segment(text)
    assert (it.kicker, it.headline, it.subheads) == ("一线传真", "开行不良资产下降三分之二", ["人均利润列国内各银行之首"])
    assert it.paragraphs[0] == note and it.dateline == "本报北京1月2日讯"


def test_a_column_line_ending_in_sheying_is_not_a_photo_credit():
    para = "由本报摄影部和中国德力西集团联合举办的“德力西杯”新闻摄影比赛日前在京评选揭晓。共有十幅作品获奖。"
    lines = ["“德力西杯”新闻摄影比赛揭晓", "  " + para[:14], *_cut(para[14:], 15)]
    assert lines[2].endswith("新闻摄影")
    more = _cut("获奖作品将在本报陆续刊登，欢迎读者关注。", 15)
    (it,) = segment("\n".join([*lines, *more]) + "\n")
    assert it.kind == "news" and it.byline == "" and it.paragraphs[0] == para


STORIES = [  # (headline, paragraphs), one paragraph a line, no blank lines: lines_tight
    ("宁夏精简会议和文件", ["本报银川1月1日电记者郑有义报道：宁夏回族自治区人民政府近日发出通知，精简会议和文件。",
                           "通知要求各级领导要从克服官僚主义、形式主义的高度，把工作重点转到深入基层上来。"]),
    ("四川重点建设进展良好", ["本报成都1月2日电记者刘裕国报道：四川省加大重点工程建设项目的投资力度。",
                             "目前，去年投产的17个竣工项目进展良好。"]),
    ("聊城公安消防支队狠抓消防安全", ["本报讯近日，山东省聊城公安消防支队在驻地开展爱民月活动。"]),
    ("五百马祖香客赴湄洲岛进香", ["本报福州1月2日电记者江宝章报道：今天，500名马祖香客乘船抵达福州马尾港。"]),
]


def _tight(stories, cut_at: str = "") -> str:
    lines = []
    for head, paras in stories:
        lines.append(head)
        for p in paras:
            lines += [p[:len(cut_at)], p[len(cut_at):]] if cut_at and p.startswith(cut_at) else [p]
    return "\n".join(lines) + "\n"


def test_a_column_cut_on_a_page_of_datelined_stories_is_joined_back():
    """通知要求各级领导 | 要从克服…: a short line without a full stop between two paragraphs looks like a headline,
    but every story on this page opens with a dateline and this 'headline' has nothing under it but body text."""
    items = segment(_tight(STORIES, cut_at="通知要求各级领导"))
    assert [it.headline for it in items] == [h for h, _ in STORIES]
    assert items[0].paragraphs[1] == STORIES[0][1][1]
    assert not any(f["kind"] == "possible_split" for it in items for f in it.flags)


def test_a_split_with_weak_evidence_is_flagged():
    """Stories without datelines, no blank lines: a short line after a paragraph is taken for a headline (most
    often rightly), and the item says that nothing else marks it, with the line's span."""
    stories = [(h, [re.sub(r"^本报.*?(报道：|讯)", "", p) for p in ps]) for h, ps in STORIES]
    text = _tight(stories)
    items = segment(text)
    assert [it.headline for it in items] == [h for h, _ in stories]
    flagged = [it for it in items if any(f["kind"] == "possible_split" for f in it.flags)]
    assert [it.headline for it in flagged] == [h for h, _ in stories[1:]]
    f = next(f for f in flagged[0].flags if f["kind"] == "possible_split")
    assert f["severity"] == "warning" and text[f["span"][0]:f["span"][1]] == stories[1][0] and f["message"]
    # with a blank line before each headline (and none between paragraphs) the evidence is there: no flag
    spaced = "\n".join(("\n" if k else "") + h + "\n" + "\n".join(ps) for k, (h, ps) in enumerate(stories))
    assert not any(f["kind"] == "possible_split" for it in segment(spaced) for f in it.flags)


def test_an_open_quotation_or_title_is_not_a_headline():
    """A line that opens a title or quotation and does not close it is a piece of a sentence running over the
    line break (…从1月10日起施行《江苏省惩 | 治生产销售…条例》), whatever its length and punctuation."""
    from service.page.segment import _heading_like

    assert _heading_like("对假冒伪劣商品作出界定江苏出台打假新法规")
    assert _heading_like("“德力西杯”新闻摄影比赛揭晓")
    for piece in ("人大常委会通过决议，从1月10日起施行《江苏省惩", "他说“我们要把", "条例》规定的行为都在打击之列"):
        assert not _heading_like(piece), piece


def test_a_page_without_a_headline_is_one_article():
    paras = ["乔石在中国气象局局长温克刚和名誉局长邹竞蒙等同志陪同下，先后视察了国家气象中心和气象业务大楼。",
             "乔石听取了气象工作的汇报，他说，气象工作关系到千家万户，关系到农民的生产和生活。",
             "据介绍，全国已建成各类气象站两千多个，天气预报的准确率在近年里有了很大提高。"]
    wrapped = "\n\n".join("\n".join(_cut(p, 14)) for p in paras) + "\n"
    (it,) = segment(wrapped)
    assert it.headline == "" and it.paragraphs == paras
    # OCR that lost the punctuation: every paragraph's last line looks like a headline; still one article
    bare = [re.sub(r"[，。、]", "", p) for p in paras]
    items = segment("\n".join(line for p in bare for line in _cut(p, 14)) + "\n")
    assert len([it for it in items if it.kind not in SKIP_KINDS]) == 1
    assert "".join(items[0].paragraphs) == "".join(bare)
    assert any(f["kind"] == "no_headline" for f in items[0].flags)
