"""People's names in pinyin, surname first (service/page/names.py). No model needed."""

import pytest

from service.page.names import byline_en, find_people, name_variants, pinyin_name
from service.page.segment import Person, parse_people


@pytest.mark.parametrize("zh, en", [
    ("俞梦婷", "Yu Mengting"), ("贾佳俊", "Jia Jiajun"), ("桂荣超", "Gui Rongchao"), ("王均铮", "Wang Junzheng"),
    ("胡跨", "Hu Kua"), ("陈威武", "Chen Weiwu"), ("王锦悦", "Wang Jinyue"),
    # surnames read differently from the everyday word
    ("单雄信", "Shan Xiongxin"), ("曾国藩", "Zeng Guofan"), ("区志坚", "Ou Zhijian"), ("仇英", "Qiu Ying"),
    ("解缙", "Xie Jin"), ("查良镛", "Zha Liangyong"), ("朴槿惠", "Piao Jinhui"), ("覃小红", "Qin Xiaohong"),
    ("翟志刚", "Zhai Zhigang"), ("吕晓婷", "Lü Xiaoting"),
    # compound surnames
    ("尉迟恭", "Yuchi Gong"), ("欧阳修", "Ouyang Xiu"), ("诸葛亮", "Zhuge Liang"), ("司马光", "Sima Guang"),
    # syllable boundary
    ("张西安", "Zhang Xi'an"),
])
def test_pinyin_names_surname_first(zh, en):
    assert pinyin_name(zh) == en


def test_non_chinese_names_pass_through():
    assert pinyin_name("John Smith") == "John Smith"


def test_name_variants_accept_common_spellings_of_u_umlaut():
    assert {"Lu Xiaoting", "Lyu Xiaoting", "Lv Xiaoting"} <= set(name_variants("Lü Xiaoting"))


def test_byline_in_english_by_role():
    assert byline_en(parse_people("融媒记者 俞梦婷")) == "Reporter Yu Mengting"
    assert byline_en(parse_people("融媒记者 桂荣超 王均铮")) == "Reporters Gui Rongchao, Wang Junzheng"
    assert byline_en(parse_people("融媒记者 王均铮 通讯员 陈威武 摄")) == "Photos: Wang Junzheng, Chen Weiwu"
    assert byline_en([Person("单雄信", "correspondent")]) == "Correspondent Shan Xiongxin"


def test_person_names_in_running_text_need_a_cue(seed_text):
    # jieba tags 高水平, 文明, 养老 ... as person names too; only a name next to a person word is taken
    assert [n for _, _, n in find_people(seed_text)] == ["王锦悦"]
    text = "本次活动由张伟负责。市民李华说,活动很好。"
    assert [n for _, _, n in find_people(text)] == ["李华"]
    assert [n for _, _, n in find_people(text, known=("张伟",))] == ["张伟", "李华"]


def test_a_transliterated_foreign_name_is_not_taken_for_a_chinese_one():
    # FLORES dev: 皮特曼 (Pittman) and 罗杰斯 (Rogers) start with a surname and jieba tags them as names; taken, the
    # check asked for 'Pi Teman' and 'Luo Jiesi' and a re-translation wrote them
    assert find_people("皮特曼认为天气情况要到下周才能改善。") == []
    assert find_people("他说罗杰斯先生的节目很好。") == []
    assert [n for _, _, n in find_people("市民王丽娜说,史密斯说得对。")] == ["王丽娜"]
    # WMT18 dev: jieba cuts 巴托梅乌 (Bartomeu) as 巴托 + 梅乌; the pinyin 'Ba Tuo' was pre-rendered into the text
    assert find_people("与巴萨主席巴托梅乌在一份合同上签了字") == []
    # ... and 新华社's stringers (报道员) are named as its reporters are
    assert [n for _, _, n in find_people("新华社马德里1月8日电（报道员谢宇智）巴塞罗那新援")] == ["谢宇智"]


def test_one_surname_table():
    """The surnames that may split two names written together are a part of the one table (names.py)."""
    from service.page.names import SPLIT_SURNAMES, SURNAMES

    assert SPLIT_SURNAMES <= SURNAMES and len(SPLIT_SURNAMES) == 103
