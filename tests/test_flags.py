"""Flags say where they belong (service/flags.py): every flag the pipeline writes has a known kind and a field, a
flag about a body passage the paragraph, and the card places a flag by those fields, never by its wording."""

import pytest

from service.flags import FIELDS, KINDS, SEVERITIES, field_of, flag
from service.output import render
from service.page import ingest
from service.pipeline import Pipeline


def test_a_flag_is_checked_and_written_with_its_place():
    with pytest.raises(ValueError, match="KINDS"):
        flag("no_such_kind", "x")
    with pytest.raises(ValueError, match="field"):
        flag("untranslated", "x", field="footer")
    with pytest.raises(ValueError, match="severity"):
        flag("untranslated", "x", severity="fatal")
    assert flag("term_filled", "m", paragraph=2, span=(1, 3), found="打卡") == {
        "kind": "term_filled", "severity": "warning", "message": "m", "field": "translation", "paragraph": 2,
        "span": [1, 3], "found": "打卡"}
    # the kind's field and severity unless the flag says otherwise
    assert flag("ocr_dropped", "m")["field"] == "source"
    assert flag("untranslated", "m", field="headline", severity="info")["field"] == "headline"


def test_every_flag_of_a_page_says_where_it_belongs_and_records_have_their_type(tiny_chat, seed_text):
    # tiny random-weight model: its gibberish trips many checks, which is what this test needs
    records = Pipeline(tiny_chat, cache_path=None).process(ingest.from_text(seed_text, name="seed"))
    flags = [f for r in records for f in r["flags"]]
    assert len({f["field"] for f in flags}) >= 3  # source (OCR), translation, summary at least
    from service import record

    for r in records:
        assert tuple(r) == record.FIELDS  # the record type (service/record.py) lists what is written, in order
        paras = r["translation"].split("\n\n")
        for f in r["flags"]:
            assert f["kind"] in KINDS and f["field"] in FIELDS and f["severity"] in SEVERITIES, f
            if "paragraph" in f:
                assert f["field"] == "translation" and 0 <= f["paragraph"] < len(paras), f
    assert any("paragraph" in f for f in flags)


def test_the_card_goes_by_the_fields_not_the_message():
    # the message talks of the summary and the headline; the fields say translation, paragraph 2
    f = {"kind": "untranslated", "severity": "warning", "message": "the summary and headline 摘要 标题 byline",
         "field": "translation", "paragraph": 1, "found": ["错字"]}
    paras = ["One 错字.", "Two.", "Three."]  # found text in paragraph 1: the field wins over it too
    assert render.flag_section(f, {}) == "translation"
    assert render.translation_paragraph(f, {"paragraphs": ["一", "二", "三"]}, paras, None) == 1
    # a record written before flags carried a field: placed by its kind
    assert field_of({"kind": "summary_length", "message": "translation headline"}) == "summary"
    assert field_of({"kind": "something_new", "message": "summary"}) == "source"


def test_each_attempt_at_a_passage_is_checked_once(tiny_chat, seed_text, monkeypatch):
    """The repair round, the choice between attempts and the record read one set of findings per attempt
    (checks.findings), instead of checking a repaired passage five times."""
    from collections import Counter

    from service.faithfulness import checks

    calls: Counter = Counter()
    real = checks.check_passage

    def spy(source, english, ctx, item):
        calls[(item.index, source, english)] += 1
        return real(source, english, ctx, item)

    monkeypatch.setattr(checks, "check_passage", spy)
    records = Pipeline(tiny_chat, cache_path=None).process(ingest.from_text(seed_text, name="seed"))
    assert records and calls
    assert max(calls.values()) == 1, [k for k, n in calls.items() if n > 1][:3]


def test_the_markdown_names_the_part_each_flag_concerns():
    from service.output.outputs import to_markdown

    rec = {"issue": "t", "index": 0, "kind": "news", "headline": "标题", "headline_en": "Title", "model": "m", "text": "标题",
           "prompt_version": "p", "summary": "摘要。", "translation": "One.\n\nTwo.", "facts": [], "people": [],
           "flags": [flag("untranslated", "still Chinese: 错字", paragraph=1, span=(5, 7), found=["错字"]),
                     flag("summary_length", "one sentence"),
                     {"kind": "ocr_dropped", "severity": "warning", "message": "old record, no field"}]}
    md = to_markdown("t", [rec])
    assert "> ⚠ **untranslated** · translation ¶2 (chars 5–7): still Chinese: 错字" in md
    assert "> ⚠ **summary_length** · summary: one sentence" in md
    assert "> ⚠ **ocr_dropped** · source: old record, no field" in md
