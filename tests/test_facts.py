"""Fact extraction and normalisation (service/faithfulness/facts.py): hand-made cases, one rule each. No model needed."""

from decimal import Decimal

import pytest

from service.faithfulness import facts as F


def one(text: str) -> F.Fact:
    found = [f for f in F.extract_zh(text) if not f.weak]
    assert len(found) == 1, found
    return found[0]


def nums(text: str) -> set:
    return {v for k, v in F.english_atoms(text) if k == "num"}


# --- Chinese side ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value, kind", [
    ("累计节约成本约316.4万元", Decimal("3164000"), "amount"),
    ("外贸进出口总值530亿元", Decimal("53000000000"), "amount"),
    ("年标准达到2.62万元/人", Decimal("26200"), "amount"),
    ("发放3003.04万元", Decimal("30030400"), "amount"),
    ("占地面积1.15万平方米", Decimal("11500"), "amount"),
    ("集装箱生成量超40万标箱", Decimal("400000"), "amount"),
    ("现有企业2万多家", Decimal("20000"), "number"),
    ("整改隐患3060个", Decimal("3060"), "count"),
    ("整改隐患三千零六十个", Decimal("3060"), "count"),
    ("整改隐患３０６０个", Decimal("3060"), "count"),  # full-width digits
    ("总建筑面积24725.21平方米", Decimal("24725.21"), "count"),
    ("共有1,200名学生", Decimal("1200"), "count"),
    ("投资一万二千元", Decimal("12000"), "amount"),
    ("每万名老年人口", Decimal("10000"), "rate_base"),
    ("查获假冒名酒十万余瓶", Decimal("100000"), "count"),  # a dev page's headline: not found before
    ("共计十余万元", Decimal("100000"), "amount"),  # was read as a weak count of 10
    ("种植三千棵", Decimal("3000"), "count"),
])
def test_numbers_and_amounts_are_scaled_exactly(text, value, kind):
    f = one(text)
    assert f.atoms == (("num", value),)
    assert f.kind == kind


def test_amount_english_rendering():
    assert one("约316.4万元").english == "3.164 million yuan (3,164,000 yuan)"
    assert one("530亿元").english == "53 billion yuan (53,000,000,000 yuan)"
    assert one("2.62万元").english == "26,200 yuan"
    assert one("2万多家").english == "more than 20,000"
    assert one("1.15万平方米").english == "11,500 square metres"
    assert one("十万余瓶").english == "more than 100,000"
    assert one("十余万元").english == "more than 100,000 yuan"


@pytest.mark.parametrize("text", ["十万火急", "十分重要", "五金店"])
def test_a_numeral_inside_a_word_is_no_fact(text):
    assert F.extract_zh(text) == []


def test_inline_rendering_avoids_long_decimals():
    assert one("316.4万元").inline() == "3.164 million yuan"
    assert one("316.4万元").inline(digits=True) == "3,164,000 yuan"
    assert one("392.79万元").inline() == "3,927,900 yuan"  # 3.9279 million came back as 392,790,000
    assert one("12月23日").inline(digits=True) == "December 23"


@pytest.mark.parametrize("text, pct", [("下降约57%", "57"), ("下降约５７％", "57"), ("百分之五十七", "57"),
                                       ("应用率达68.3%", "68.3"), ("提高3.5个百分点", "3.5")])
def test_percentages(text, pct):
    f = one(text)
    assert f.kind == "percent" and f.atoms == (("pct", Decimal(pct)),)


@pytest.mark.parametrize("text, value, english", [
    ("约 1,000 万份文件", Decimal("10000000"), "10 million"),  # FLORES dev: read as 1,000 before
    ("财富达到约 23 亿美元。", Decimal("2300000000"), "2.3 billion US dollars"),  # read as 23
    ("收集 120 万个签名", Decimal("1200000"), "1.2 million"),
    ("营业额 100 亿欧元", Decimal("10000000000"), "10 billion"),
    ("共有 3\u3000人", Decimal("3"), "3"),  # an ideographic space
])
def test_a_space_between_a_number_and_its_scale_or_unit(text, value, english):
    f, unspaced = one(text), one(text.replace(" ", "").replace("\u3000", ""))
    assert f.atoms == (("num", value),) and f.inline(False) == english
    assert (f.kind, f.atoms, f.english) == (unspaced.kind, unspaced.atoms, unspaced.english)


def test_a_space_ends_a_number_with_nothing_after_it():
    text = "西经 35 以东"
    f = one(text)
    assert text[f.start:f.end] == "35"


@pytest.mark.parametrize("text", ["隐藏了数十亿美元的财富", "投资几十万元", "数十名农业专家聚首"])
def test_several_tens_of_is_no_figure(text):
    # FLORES dev: 数十亿美元 (billions of dollars) was pre-rendered as "1 billion US dollars"; a dev page's
    # 数十名 (dozens) as 10
    assert [f for f in F.extract_zh(text) if not f.weak] == []


def test_years_and_dates_written_with_spaces():
    f = one("在 2016 年春季")
    assert f.kind == "year" and f.atoms == (("num", Decimal(2016)),) and f.text == "2016 年"
    f = one("于 12 月 23 日至 25 日举行")
    assert f.kind == "date_range" and f.atoms == (("date", (12, 23)), ("date", (12, 25)))


def test_years_in_arabic_and_chinese_digits():
    assert one("自2024年以来").atoms == (("num", Decimal(2024)),)
    f = one("二〇二四年")
    assert f.kind == "year" and f.atoms == (("num", Decimal(2024)),) and f.english == "2024"


def test_dates_and_ranges():
    f = one("12月23日,记者从相关部门了解到")
    assert f.kind == "date" and f.atoms == (("date", (12, 23)),) and f.english == "December 23"
    f = one("12月18日至24日,市综合行政执法局")
    assert f.kind == "date_range" and f.atoms == (("date", (12, 18)), ("date", (12, 24)))
    assert f.english == "December 18 to 24"
    f = one("2024年12月23日")
    assert f.atoms == (("num", Decimal(2024)), ("date", (12, 23)))
    assert one("于今年10月建成").atoms == (("month", 10),)
    assert one("十二月二十三日").atoms == (("date", (12, 23)),)


def test_numeral_characters_inside_words_are_not_facts():
    # 五金 (hardware), 一站式 (one-stop), 七优享 (a name), 四方 (four-party), 千万 ('by all means'), 万一 ('in case')
    for text in ("中国五金物流港", "一站式服务", "七优享工程", "创新四方协同机制", "千万不能大意", "万一出事", "一一对应"):
        assert [f for f in F.extract_zh(text) if not f.weak] == [], text


def test_single_numerals_and_ordinals_are_weak():
    found = F.extract_zh("第二批企业经过一年实践,精准落实两项补贴,首届5G大会")
    assert found and all(f.weak for f in found)
    assert {a for f in found for a in f.atoms} >= {("num", Decimal(2)), ("num", Decimal(1)), ("num", Decimal(5))}


def test_facts_keep_offsets_into_the_text():
    text = "排查整改隐患3060个,累计节约成本约316.4万元。"
    for f in F.extract_zh(text):
        assert text[f.start:f.end] == f.text


def test_hints_only_where_the_model_needs_them():
    by_text = {f.text: f for f in F.extract_zh("25家企业节约316.4万元,12月23日,下降57%,三千零六十个")}
    assert by_text["316.4万元"].needs_hint and by_text["12月23日"].needs_hint and by_text["三千零六十个"].needs_hint
    assert not by_text["25家"].needs_hint and not by_text["57%"].needs_hint
    assert by_text["316.4万元"].hint() == "316.4万元 = 3.164 million yuan (3,164,000 yuan)"


# --- English side ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("english", ["saved 3,164,000 yuan", "saved 3.164 million yuan", "saved 3.164m yuan",
                                     "saved RMB 3.164m", "saved 3164000 yuan", "saved 316.4 ten thousand yuan"])
def test_every_correct_rendering_of_316_4_wan_matches(english):
    f = one("累计节约成本约316.4万元")
    assert F.missing(f, F.english_atoms(english)) == []


@pytest.mark.parametrize("english", ["saved 316.4 million yuan", "saved 316,400 yuan", "saved 3.16 million yuan",
                                     "saved 31.64 million yuan", "saved 316.4 yuan"])
def test_wrong_scaling_does_not_match(english):
    f = one("累计节约成本约316.4万元")
    assert F.missing(f, F.english_atoms(english)) == [("num", Decimal("3164000"))]


def test_billions_and_small_amounts():
    assert F.missing(one("530亿元"), F.english_atoms("53 billion yuan")) == []
    assert F.missing(one("530亿元"), F.english_atoms("53bn yuan")) == []
    assert F.missing(one("530亿元"), F.english_atoms("530 billion yuan")) != []
    assert F.missing(one("2.62万元"), F.english_atoms("26,200 yuan per person")) == []
    assert F.missing(one("2.62万元"), F.english_atoms("2.62 million yuan per person")) != []


def test_english_numbers_in_words_count():
    assert nums("two underground floors and eight above, twenty-five firms") >= {Decimal(2), Decimal(8), Decimal(25)}
    assert Decimal(1000000) not in nums("3.164 million yuan")  # a scale word is not a number of its own


def test_metres_are_not_millions():
    assert nums("a 5m wall") == {Decimal(5)}


def test_english_percentages_and_dates():
    atoms = F.english_atoms("down 57 per cent on December 23rd, from 18 to 24 December 2024")
    assert ("pct", Decimal(57)) in atoms
    assert {("date", (12, 23)), ("date", (12, 18)), ("date", (12, 24)), ("num", Decimal(2024))} <= atoms
    assert F.missing(one("下降约百分之五十七"), F.english_atoms("fell by 57%")) == []
    assert F.missing(one("下降约57%"), F.english_atoms("fell by 57 cases")) != []  # a percentage needs the percent
    rng = one("12月18日至24日")
    assert F.missing(rng, F.english_atoms("from December 18 to 24")) == []
    assert F.missing(rng, F.english_atoms("December 18-24")) == []
    assert F.missing(rng, F.english_atoms("December 18 to 25")) == [("date", (12, 24))]


def test_modal_may_is_no_month():
    assert F.english_atoms("May I ask?") == set()


def test_grounding_of_english_numbers_in_the_source():
    source = F.zh_atoms(F.extract_zh("新增3个病区120张床位,经过一年实践"))
    assert F.grounded(("num", Decimal(120)), source)
    assert F.grounded(("num", Decimal(1)), source)  # 一年: weak facts ground numbers
    assert not F.grounded(("num", Decimal(130)), source)


def test_digits_pair_a_wrong_rendering_with_its_source():
    assert F.digits_of(Decimal("316400000")) == F.digits_of(Decimal("3164000")) == "3164"


@pytest.mark.parametrize("english, joined", [
    ("It covers 24, 725. 21 square meters.", "It covers 24,725.21 square meters."),
    ("It covers 24,725. 21 square meters.", "It covers 24,725.21 square meters."),
    ("Output rose 7. 5 percent.", "Output rose 7.5 percent."),
    ("Two plans, 25, 100, were made.", "Two plans, 25, 100, were made."),  # both are the source's numbers
    ("The total was 725. 21 more came.", "The total was 725. 21 more came."),  # 725.21 is not in the source
    ("In 2024, 25 firms took part.", "In 2024, 25 firms took part."),
])
def test_a_number_spaced_out_is_joined_only_into_a_number_of_the_source(english, joined):
    source = "新院区建筑面积24725.21平方米,产值增长7.5%,2024年有25家企业提出100个方案。"
    assert F.join_spaced_numbers(english, source) == joined
