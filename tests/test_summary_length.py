"""Summary lengths (standard: 2-4 sentences; short: one headline-like line) and the summary written again once
with the reason when it breaks a rule (service/generation/generate.py SUMMARY_LENGTHS, service/faithfulness/checks.py summary_problems,
service/faithfulness/repair.py Repair.summary_followup).

Jobs are planned by the real Generator with the tiny random-weight chat model from conftest; where a test needs a
particular summary the model's answers are written by hand (the tiny model's own answers are gibberish, which
breaks every rule: the end-to-end tests use that)."""

from __future__ import annotations

import json

import pytest

from service.chinese import as_prose
from service.faithfulness import checks
from service.fronts.cli import main
from service.generation.backends import Generation
from service.generation.generate import Role
from service.page.ingest import from_text
from service.pipeline import Pipeline

# the OCR dropped 全 of 安全管理 twice (the page's evidence: 安全 written twice elsewhere)
ARTICLE = ("首批企业获证 我市安全生产项目结硕果\n\n本报讯(融媒记者 俞梦婷)符合项目要求的25家企业和13名辅导员获证。"
           "首批试点企业经过一年实践,构建起全员参与的安管理新格局,排查整改隐患3060个,企业工伤数下降约57%。"
           "企业安全意识明显增强,员工安全培训全覆盖,安管理机制更加顺畅。\n")
GOOD = "我市25家企业和13名辅导员获证。试点企业一年排查整改隐患3060个，工伤数下降约57%。"


@pytest.fixture(scope="module")
def pipes(tiny_chat, tmp_path_factory):
    cache = tmp_path_factory.mktemp("c") / "c.sqlite"
    standard = Pipeline(tiny_chat, cache_path=cache, log=lambda m: None)
    return {"standard": standard, "short": standard.with_summary_length("short")}


def _answer(job, text: str) -> None:
    job.result = Generation(text, len(text), True, 0.0)


def planned(pipe, summary: str, text: str = ARTICLE):
    """An article planned by the real Generator, the OCR step's flags attached, every first-round job answered."""
    d = pipe.generator.plan(pipe.preprocess(from_text(text))[0])
    for j in d.jobs:
        _answer(j, {"headline": "Firms certified", "translate": "Text."}.get(j.role, summary))
    return d


def kinds(problems) -> list[str]:
    return [p.kind for p in problems]


def test_each_length_has_its_template_and_prompt_version(pipes):
    for length, template in (("standard", "summarize@"), ("short", "summarize_short@")):
        d = planned(pipes[length], "摘要。")
        (job,) = d.of("summary")
        assert job.template.startswith(template)
        assert template in pipes[length].prompt_version()
        assert "summarize_retry@" in pipes[length].prompt_version()
    short_prompt = planned(pipes["short"], "x").of("summary")[0].input[-1]["content"]
    assert "15到25个字" in short_prompt and "2到4" not in short_prompt
    with pytest.raises(Exception, match="summary length 'long' is not known"):
        pipes["standard"].with_summary_length("long")


@pytest.mark.parametrize("length, summary, broken", [
    ("standard", GOOD, []),
    ("standard", "25家企业和13名辅导员获证。", ["summary_length"]),  # one sentence
    ("short", "我市25家企业和13名辅导员获得安全生产证书", []),
    ("short", GOOD, ["summary_length"]),  # two sentences
    ("short", "我市符合项目要求的25家企业和13名辅导员经过一年的试点实践之后全部获得了安全生产标准化证书", ["summary_length"]),
    ("standard", "首批企业获证，我市安全生产项目结硕果。", ["summary_length", "summary_repeats_headline"]),
    ("standard", "25家企业获证。安管理机制更加顺畅。", ["summary_ocr_copied"]),
    ("standard", "26家企业获证。隐患3060个已整改。", ["summary_number_ungrounded"]),
    ("short", "Twenty-five firms were certified", ["summary_not_chinese"]),
    # judging words the article never uses (it says 结硕果 and 明显增强, not 显著 or 圆满成功)
    ("standard", "25家企业和13名辅导员获证，成效显著。试点取得圆满成功。", ["summary_appraisal", "summary_appraisal"]),
    ("standard", "25家企业获证，试点项目结硕果。隐患3060个已整改。", []),  # 硕果: the article's own word
    # a sentence from the model's idea of such news (a dev page's summary had it), not from this article
    ("standard", "25家企业和13名辅导员获证。该活动吸引了大量观众，为当地的文化和旅游业带来了新的活力。",
     ["summary_unsupported"]),
    # a one-liner may word things its own way (LCSTS's references do): not judged so
    ("short", "活动吸引大量观众带来新活力", []),
])
def test_the_rules_a_summary_is_held_to(pipes, length, summary, broken):
    d = planned(pipes[length], summary)
    assert any(f["kind"] == "ocr_dropped" and f["found"] == "安管理" for f in d.item.flags)  # the OCR step ran
    problems = checks.summary_problems(d, summary)
    assert sorted(kinds(problems)) == sorted(broken)
    for p in problems:
        assert p.reason  # what the model is told when it writes the summary again
    flagged = {f["kind"] for f in checks.check_summary(d)}
    assert flagged == set(broken) - {"summary_number_ungrounded"}  # that one is check_summary_facts' flag


def test_a_summary_that_breaks_a_rule_is_written_again_with_the_reason(pipes):
    pipe = pipes["standard"]
    d = planned(pipe, "25家企业获证。安管理机制更加顺畅。首批企业获证。隐患已整改。工伤减少。")
    (retry,) = pipe.repair.summary_followup(d, pipe.generator)
    prompt = retry.input[-1]["content"]
    assert retry.role == "summary_retry" and retry.template.startswith("summarize_retry@")
    assert "摘要写了5句，要求写2到4句" in prompt and "“安管理”，应为“安全管理”" in prompt
    assert "25家企业获证。安管理机制更加顺畅。" in prompt and d.summary_length.rule in prompt
    assert "分3点写" in d.summary_length.rule
    assert retry.source == d.of("summary")[0].source  # the same article text
    d.jobs.append(retry)
    _answer(retry, GOOD)
    assert pipe.repair.summary_followup(d, pipe.generator) == []  # once only
    assert d.summary == GOOD and checks.check_summary(d) == []


def test_the_first_summary_stands_when_the_second_is_no_better(pipes):
    pipe = pipes["short"]
    first = "25家企业获证。工伤下降。"  # two sentences: short wants one
    d = planned(pipe, first)
    (retry,) = pipe.repair.summary_followup(d, pipe.generator)
    assert "只写一句，不超过30个字" in retry.input[-1]["content"]
    d.jobs.append(retry)
    _answer(retry, "首批企业获证，我市安全生产项目结硕果。首批企业获证。")  # worse: headline, two sentences
    pipe.repair.summary_followup(d, pipe.generator)
    assert d.summary == first
    (f,) = [f for f in checks.check_summary(d) if f["kind"] == "summary_length"]
    assert "also after the summary was written again" in f["message"]


def test_of_two_summaries_too_long_the_shorter_stands(pipes):
    """Both attempts break the short length (one line of at most 36 characters): the retry, nearer to it, stands,
    and is still flagged; the other way round the first one stays."""
    pipe = pipes["short"]
    long_ = "我市符合项目要求的25家企业和13名辅导员经过一年的试点实践之后全部获得了安全生产标准化证书"
    shorter = "我市符合要求的25家企业和13名辅导员经过一年试点全部获得了安全生产标准化证书"
    assert len(shorter) > 36
    for first, second, kept in ((long_, shorter, shorter), (shorter, long_, shorter)):
        d = planned(pipe, first)
        (retry,) = pipe.repair.summary_followup(d, pipe.generator)
        d.jobs.append(retry)
        _answer(retry, second)
        pipe.repair.summary_followup(d, pipe.generator)
        assert d.summary == kept
        assert [f["kind"] for f in checks.check_summary(d)] == ["summary_length"]


def test_numbered_points_become_prose(pipes):
    """summarize@3 asks for three numbered sentences, one per line (the 1.5B model writes one comma-spliced sentence
    when asked for 2-4); the summary is their prose, a point that only repeats an earlier one left out."""
    prompt = planned(pipes["standard"], "x").of("summary")[0].input[-1]["content"]
    assert "编号1到3" in prompt and "1. ……。" in prompt
    points = ("1. 我市25家企业和13名辅导员获证\n2、试点企业一年排查整改隐患3060个，工伤数下降约57%。\n"
              "3. 这是我市25家企业和13名辅导员获证。")
    d = planned(pipes["standard"], points)
    assert d.summary == GOOD
    assert checks.summary_problems(d, d.summary) == []
    assert as_prose("3.5亿元投入建设。") == "3.5亿元投入建设。"  # a number is no list marker
    assert as_prose("摘要：（1）甲做了乙\n（2）丙。") == "甲做了乙。丙。"


def test_summary_punctuation_is_chinese_but_figures_keep_their_commas():
    # the OCR's half-width commas, copied by the model, are written as Chinese text writes them
    assert as_prose("1. 累计完成91户,发放补贴3,003.04万元;效果明显\n2. 市民参与?") == \
        "累计完成91户，发放补贴3,003.04万元；效果明显。市民参与？"
    assert as_prose("SCORE项目在Yongkang, Zhejiang启动") == "SCORE项目在Yongkang, Zhejiang启动"


def test_the_summary_prompt_names_the_ocr_suspicions_of_its_text(pipes):
    for length in ("standard", "short"):
        prompt = planned(pipes[length], "x").of("summary")[0].input[-1]["content"]
        assert "“安管理”疑为识别错误（可能应为“安全管理”）" in prompt
    clean = ARTICLE.replace("安管理", "安全管理")
    assert "疑为识别错误" not in planned(pipes["standard"], "x", clean).of("summary")[0].input[-1]["content"]


def test_a_long_articles_parts_merge_at_either_length(pipes):
    """The merge of a long article's part summaries uses the length's merge template: summarize_short for
    `short`, which takes the OCR notes too; a merge job has none to give (its text is summaries)."""
    for length in ("standard", "short"):
        gen = pipes[length].generator
        d = planned(pipes[length], "x")
        job = gen.job(d.item, Role.MERGE, (0,), "summarize", "甲做了乙。\n丙做了丁。", headline=d.item.headline)
        assert job.template.startswith(gen.summary_length.merge + "@")
        assert "甲做了乙。" in job.input[-1]["content"] and "疑为识别错误" not in job.input[-1]["content"]


def test_a_summary_that_keeps_the_rules_is_not_written_again(pipes):
    d = planned(pipes["standard"], GOOD)
    assert pipes["standard"].repair.summary_followup(d, pipes["standard"].generator) == []


def test_batch_takes_the_summary_length(tiny_chat, tmp_path):
    """End to end with the tiny model: its gibberish summaries break the rules, so each article's summary is
    written again once; the records say which length they were written at."""
    page = tmp_path / "p.txt"
    page.write_text(ARTICLE, encoding="utf-8")
    cache = tmp_path / "c.sqlite"
    for length in ("short", "standard"):
        rc = main(["batch", str(page), "--out", str(tmp_path / length), "--model", tiny_chat, "--cache", str(cache),
                   "--summary-length", length])
        assert rc == 0
        (rec,) = [json.loads(x) for x in (tmp_path / length / "p.jsonl").read_text(encoding="utf-8").splitlines()]
        assert rec["summary_length"] == length and rec["summary"]
        assert rec["summary_candidates"] == 1  # transformers decodes greedily only: each summary written once
        assert ("summarize_short@" in rec["prompt_version"]) is (length == "short")
    import sqlite3

    db = sqlite3.connect(cache)
    templates = [t for (t,) in db.execute("SELECT template FROM generations")]
    assert sum(t.startswith("summarize_retry@") for t in templates) == 2  # once per run, not more
    assert sum(t.startswith("summarize_short@") for t in templates) == 1


def test_an_added_judgement_is_found_as_a_word_and_told_to_the_model(pipes):
    from service.faithfulness.newsstyle import added_appraisals

    article = "试点企业排查整改隐患3060个,成功率达到九成,意义重大。"
    assert added_appraisals("成功率九成。意义重大。", article) == []  # 成功率 is not 成功; 重大 is the article's
    assert added_appraisals("试点取得圆满成功，成效显著。", article) == ["圆满成功", "成效显著"]  # not 成功, 显著 too
    pipe = pipes["standard"]
    d = planned(pipe, "25家企业获证，成效显著。隐患3060个已整改。")
    (retry,) = pipe.repair.summary_followup(d, pipe.generator)
    assert "摘要用了原文没有的评价“成效显著”" in retry.input[-1]["content"]
    [f] = [f for f in checks.check_summary(d) if f["kind"] == "summary_appraisal"]
    assert f["found"] == "成效显著" and f["severity"] == "warning"


def test_a_sentence_mostly_in_words_the_article_never_uses_is_found():
    from service.faithfulness.newsstyle import unsupported_sentences

    article = "近日，永康市举行迎新春文艺晚会，演员们表演了歌舞、小品等节目。"
    [(sentence, words)] = unsupported_sentences("永康市举行迎新春文艺晚会。晚会吸引了大量观众，展现了城市的文化魅力。",
                                                article)
    assert sentence == "晚会吸引了大量观众，展现了城市的文化魅力。"
    assert words[:3] == ["吸引", "大量", "观众"] and "晚会" not in words
    assert unsupported_sentences("演员们表演了歌舞、小品等节目。", article) == []
    assert unsupported_sentences("晚会很好。", article) == []  # too few words to judge


INVENTED = "该活动吸引了大量观众，为当地的文化和旅游业带来了新的活力。"


@pytest.mark.parametrize("summary, struck", [
    ("25家企业和13名辅导员获证。隐患3060个已整改。" + INVENTED, True),  # two sentences are left: taken out
    ("25家企业和13名辅导员获证。" + INVENTED, False),  # one would be left, under the 2 asked: flagged, kept
])
def test_an_invented_sentence_still_there_after_the_retry_is_taken_out(pipes, summary, struck):
    pipe = pipes["standard"]
    d = planned(pipe, summary)
    (retry,) = pipe.repair.summary_followup(d, pipe.generator)
    assert "原文没有说" in retry.input[-1]["content"]
    d.jobs.append(retry)
    _answer(retry, summary)  # the model writes it again
    assert pipe.repair.summary_followup(d, pipe.generator) == []
    flags = {f["kind"]: f for f in checks.check_summary(d)}
    if struck:
        assert d.summary == "25家企业和13名辅导员获证。隐患3060个已整改。"
        assert flags["summary_sentence_removed"]["found"] == INVENTED and "summary_unsupported" not in flags
    else:
        assert d.summary == summary and d.summary_struck == []
        assert "summary_unsupported" in flags and "summary_sentence_removed" not in flags


def test_a_short_summary_is_written_several_times_and_the_most_typical_one_kept(tiny_gguf):
    """On a runtime that samples (llama.cpp; the tiny GGUF), a short summary is written 12 times: the greedy one
    and 11 drawn ones, each its own cached job sharing the whole prompt. The follow-up waits for all of them, then
    keeps, among those breaking the fewest rules, the one most like the others; a more common candidate that
    breaks a rule (too long) is not kept, and an unkept candidate's cut-off is not flagged."""
    pipe = Pipeline(tiny_gguf, cache_path=None, log=lambda m: None)
    short = pipe.with_summary_length("short")
    d = short.generator.plan(short.preprocess(from_text(ARTICLE))[0])
    first, samples = d.of("summary")[0], d.of("summary_sample")
    assert len(samples) == 11 and first.temperature == 0 and {j.seed for j in samples} == set(range(1, 12))
    assert all(j.temperature > 0 for j in samples)
    assert all(j.ids == first.ids and j.prefix == len(j.ids) - 1 for j in [first, *samples])
    assert len({j.key for j in [first, *samples]}) == 12  # each cached on its own
    typical = "我市25家企业和13名辅导员获得证书"
    too_long = "我市符合项目要求的25家企业和13名辅导员经过一年的试点实践之后全部获得了安全生产标准化证书"
    answers = ["试点企业排查整改隐患3060个", *[too_long] * 8, typical, typical, "25家企业获证"]
    for j in d.jobs:
        if j.role not in ("summary", "summary_sample"):
            _answer(j, "Text.")
    for j, text in zip([first, *samples[:-1]], answers):
        _answer(j, text)
    assert short.repair.summary_followup(d, short.generator) == [] and d.summary_chosen is None  # one still out
    _answer(samples[-1], answers[-1])
    samples[0].result.finished = False  # a cut-off candidate, not kept
    assert short.repair.summary_followup(d, short.generator) == []  # the kept one keeps the rules: no retry
    assert d.summary == typical and checks.check_summary(d) == []
    assert not [f for f in checks.check_generation(d) if f["kind"] == "truncated"]
    samples[-2].result.finished = False  # two candidates wrote the kept text: one finished, so it is whole
    assert not [f for f in checks.check_generation(d) if f["kind"] == "truncated"]
    samples[-3].result.finished = False
    assert [f["kind"] for f in checks.check_generation(d)] == ["truncated"]  # both cut off: flagged, once
    # standard summaries, and short ones without the follow-up that chooses, are written once
    assert not pipe.generator.plan(pipe.preprocess(from_text(ARTICLE))[0]).of("summary_sample")
    unchosen = Pipeline(tiny_gguf, cache_path=None, log=lambda m: None, repair=False).with_summary_length("short")
    assert not unchosen.generator.plan(unchosen.preprocess(from_text(ARTICLE))[0]).of("summary_sample")


def test_batch_takes_the_number_of_summary_candidates(tiny_gguf, tmp_path):
    """`--summary-candidates N` on the llama.cpp runtime: each summary written N times (the greedy one and N-1
    drawn ones, each cached), the record says so."""
    page = tmp_path / "p.txt"
    page.write_text(ARTICLE, encoding="utf-8")
    cache = tmp_path / "c.sqlite"
    rc = main(["batch", str(page), "--out", str(tmp_path / "o"), "--model", tiny_gguf, "--cache", str(cache),
               "--summary-length", "short", "--summary-candidates", "3"])
    assert rc == 0
    (rec,) = [json.loads(x) for x in (tmp_path / "o" / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rec["summary_candidates"] == 3 and rec["summary"]
    import sqlite3

    db = sqlite3.connect(cache)
    templates = [t for (t,) in db.execute("SELECT template FROM generations")]
    assert sum(t.startswith("summarize_short@") for t in templates) == 3
