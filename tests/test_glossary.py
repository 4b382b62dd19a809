"""The glossary (service/faithfulness/glossary.py): shipped CSV, user CSV merged over it, matching. No model needed."""

import pytest

from service.errors import InputError
from service.faithfulness.glossary import SHIPPED, Glossary, read_csv


def test_shipped_glossary_has_the_seed_page_places_and_institutions():
    g = Glossary.load()
    for zh, en in [("永康", "Yongkang"), ("金华", "Jinhua"), ("浙江省", "Zhejiang Province"), ("五金", "hardware"),
                   ("市应急管理局", "Municipal Emergency Management Bureau"), ("市民政局", "Municipal Civil Affairs Bureau")]:
        assert g.entries[zh].en == en
    assert SHIPPED.name == "zh-en.csv"


def test_longest_term_wins_and_terms_do_not_overlap():
    g = Glossary.load()
    found = [e.zh for _, _, e in g.find("中国五金物流港位于永康,永武缙五金产业集群;浙江省")]
    assert found == ["中国五金物流港", "永康", "永武缙", "五金", "浙江省"]


def test_user_glossary_is_merged_over_the_shipped_one(tmp_path):
    user = tmp_path / "mine.csv"
    user.write_text("zh,en,note\n永康,Yongkang City|Yongkang,\n方岩,Fangyan Mountain,a scenic spot\n# 注释,x,\n",
                    encoding="utf-8")
    g = Glossary.load(user)
    assert g.entries["永康"].en == "Yongkang City" and g.entries["永康"].accept == ("Yongkang City", "Yongkang")
    assert g.entries["方岩"].note == "a scenic spot"
    assert g.entries["金华"].en == "Jinhua"  # shipped rows stay
    assert "# 注释" not in g.entries


def test_any_accepted_rendering_counts_case_and_hyphens_aside():
    e = Glossary.load().entries["浙江省"]
    assert Glossary.present(e, "small firms in zhejiang and beyond")
    assert Glossary.present(Glossary.load().entries["犬伤门诊"], "the dog bite clinic")
    assert not Glossary.present(e, "small firms in Jiangsu")


def test_unquoted_commas_in_a_note_stay_in_the_note(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("zh,en,note\n五金,hardware,tools, locks, kitchenware\n", encoding="utf-8")
    assert read_csv(p)["五金"].note == "tools, locks, kitchenware"


@pytest.mark.parametrize("content, message", [
    (b"chinese,english\n\xe6\xb0\xb8,x\n", "columns zh,en"),
    ("zh,en,note\n永康,,\n".encode(), "no English"),
    ("zh,en\n永康,Yongkang\n".encode("utf-16"), "UTF-8"),
])
def test_bad_glossary_files_get_a_clear_error(tmp_path, content, message):
    p = tmp_path / "g.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_csv(p)


def test_missing_glossary_file(tmp_path):
    with pytest.raises(InputError, match="cannot read glossary"):
        Glossary.load(tmp_path / "nope.csv")


def test_spellings_of_one_rendering_count_as_that_rendering():
    # a serial comma, a compound written as one word or with a hyphen: the same rendering, no repair for it
    g = Glossary.load().entries
    assert Glossary.present(g["永武缙"], "the Yongkang, Wuyi, and Jinyun hardware cluster")
    assert Glossary.present(g["基层医疗服务"], "improving primary healthcare capacity")
    assert Glossary.present(g["基层医疗服务"], "primary health-care capacity")
    assert not Glossary.present(g["永武缙"], "the Yongkang hardware cluster")
    assert not Glossary.present(g["基层医疗服务"], "improving hospital capacity")


def test_a_term_marked_dash_may_be_left_out(tmp_path):
    """`-` among the renderings: 我市 ('our city') is given to the model as 'the city', a use is checked, and an
    English that drops it (a headline: 'SCORE project bears fruit') is neither flagged nor counted."""
    from service.faithfulness import checks
    from service.page.segment import segment

    g = Glossary.load()
    assert g.entries["我市"].optional and g.entries["我市"].accept[0] == "the city"
    assert not g.entries["永康"].optional
    ctx = checks.Context(g)
    item = segment("我市项目结硕果\n\n本报讯 我市项目在永康结硕果。\n")[0]
    source = "我市项目在永康结硕果。"
    dropped = checks.check_passage(source, "The project in Yongkang bears fruit.", ctx, item)
    used = checks.check_passage(source, "The city's project in Yongkang bears fruit.", ctx, item)
    assert [f.expected for f in dropped if f.category == "term"] == ["Yongkang"]
    assert sorted((f.expected, f.ok) for f in used if f.category == "term") == [("Yongkang", True), ("the city", True)]
    bad = tmp_path / "g.csv"
    bad.write_text("zh,en,note\n我市,-|the city,\n", encoding="utf-8")
    with pytest.raises(InputError, match="put the English rendering first"):
        read_csv(bad)
