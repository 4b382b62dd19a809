"""Line repair and segmentation on the real seed page (OCR text of a county daily, December 2024)."""

import re

from service.segment import repair_lines, segment

HEADLINES = [
    "首批25家企业获证 40家企业接力启航 我市SCORE项目结硕果",
    "中国五金物流港 海关监管作业场所通过验收",
    "聚焦社区卫生服务中心建设 提升基层医疗服务能力 江南街道开展民生实事项目推进视察",
    "行道树 减负梳妆",
    "城管开放日 宣传活动举行 搭建沟通互动平台 助力城市文明建设",
    "多元赋能养老 精准救助帮扶 市民政局获评全省民政系统先进集体",
]


def test_seed_page_has_five_news_articles_and_one_photo(seed_text):
    items = segment(seed_text)
    assert [it.headline for it in items] == HEADLINES
    assert [it.kind for it in items] == ["news", "news", "news", "photo", "news", "news"]
    assert [it.index for it in items] == list(range(6))


def test_datelines_bylines_and_people(seed_text):
    items = segment(seed_text)
    assert items[0].dateline == "本报讯" and items[0].byline == "融媒记者 俞梦婷"
    assert [(p.name, p.role) for p in items[0].people] == [("俞梦婷", "reporter")]
    assert [(p.name, p.role) for p in items[2].people] == [("桂荣超", "reporter"), ("王均铮", "reporter")]
    photo = items[3]
    assert photo.byline == "融媒记者 王均铮 通讯员 陈威武 摄"
    assert [(p.name, p.role) for p in photo.people] == [("王均铮", "photographer"), ("陈威武", "photographer")]
    # the dateline/byline is taken off the body, the credit line is not body text
    assert items[0].paragraphs[0].startswith("近日,由市应急管理局")
    assert not any("摄" == p[-1] for p in photo.paragraphs)


def test_broken_lines_are_joined_without_inserting_text(seed_text):
    items = segment(seed_text)
    body = {it.headline: "\n".join(it.paragraphs) for it in items}
    # the five breaks in the middle of a sentence on this page
    for joined in ("全员参与的安管理新格局", "企业自主管理+政府赋能引导", "详细了解医疗器械及医护人员配备",
                   "极大提升了基层医疗服务能力", "牢牢兜住了困难群众", "居家安全性与舒适度"):
        assert any(joined in b for b in body.values()), joined
    assert [len(it.paragraphs) for it in items] == [6, 5, 4, 1, 5, 6]
    # every paragraph is the original text with only line breaks (and blank lines) removed
    for it in items:
        for p, para in enumerate(it.paragraphs):
            start, end = it.locate(p, 0, len(para))
            assert re.sub(r"\s*\n\s*", "", seed_text[start:end]) == para
            assert " " not in para.replace("城就美好 你我同行", "")  # no space inserted at a join


def test_real_paragraph_breaks_are_kept(seed_text):
    blocks = repair_lines(seed_text)
    texts = [b.text for b in blocks]
    # a paragraph that ends a sentence is never joined to the next one
    assert "随后,第二批企业可持续发展(SCORE)项目启动仪式举行。记者了解到,第二批40家企业实现多行业联动、全领域覆盖。" in texts
    # exactly the six mid-sentence breaks are joined: 6 headlines + 27 paragraphs + 1 photo credit remain
    lines = [ln for ln in seed_text.splitlines() if ln.strip()]
    assert sum(len(b.joins) for b in blocks) == 6
    assert len(blocks) == len(lines) - 6 == 34
    # headlines stay on their own
    for h in HEADLINES:
        assert h in texts


def test_spans_point_into_the_original_and_do_not_overlap(seed_text):
    items = segment(seed_text)
    for a, b in zip(items, items[1:]):
        assert a.span[1] <= b.span[0]
    for it in items:
        s, e = it.span
        assert seed_text[s:e].startswith(it.headline)
        assert it.as_dict()["span"] == [s, e]
