"""`newsdesk eval`: metric agreement with established implementations, input formats, reference-free mode,
reports. No model is needed: predictions and references are made here from the seed page's articles."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from service.errors import InputError
from service.evaluation import evaluate as ev
from service.evaluation.report import write_report
from service.fronts.cli import main
from service.output.outputs import write_issue
from service.page.segment import segment


@pytest.fixture(scope="module")
def pairs(seed_text) -> list[tuple[str, str]]:
    """Hypothesis/reference pairs from the seed page: overlapping, shifted and reordered windows of its
    paragraphs, with full-width digits, Latin words, punctuation, a repeated phrase and an empty hypothesis."""
    paras = [p for it in segment(seed_text) for p in it.paragraphs if len(p) > 40]
    out = []
    for k, p in enumerate(paras):
        ref = p[:70]
        hyp = p[15:95] if k % 3 == 0 else (p[40:] + p[:40])[:80] if k % 3 == 1 else p[:30] + p[:30]
        out.append((hyp, ref))
    out.append(("２０２４年SCORE项目在永康试点,共有２５家企业获证。", "2024年SCORE项目试点以来25家企业获证"))
    out.append(("", "首批25家企业获证"))
    return out


class _Tok:
    def __init__(self, fn):
        self.fn = fn

    def tokenize(self, text):
        return self.fn(text)


@pytest.mark.parametrize("level", ["char", "word"])
def test_rouge_agrees_with_rouge_score(pairs, level):
    """Same tokens into Google's rouge-score: every per-item F and the mean agree within 0.005."""
    from rouge_score import rouge_scorer

    tok = ev.char_tokens if level == "char" else ev.word_tokens
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=_Tok(tok))
    theirs = [scorer.score(ref, hyp) for hyp, ref in pairs]
    for n, key in ((1, "rouge1"), (2, "rouge2"), ("L", "rougeL")):
        metric = ev.Rouge(n, level)
        mine = [metric.sentence(h, r) / 100 for h, r in pairs]
        ref_vals = [t[key].fmeasure for t in theirs]
        assert max(abs(a - b) for a, b in zip(mine, ref_vals)) <= 0.005, (level, n)
        corpus = metric.corpus([h for h, _ in pairs], [r for _, r in pairs]) / 100
        assert abs(corpus - sum(ref_vals) / len(ref_vals)) <= 0.005
        assert corpus > 0.05  # Chinese is really scored


@pytest.mark.parametrize("level", ["char", "word"])
def test_rouge_agrees_with_rouge_chinese(pairs, level):
    """rouge-chinese (counting repeated n-grams: exclusive=False) on the same tokens agrees within 0.005."""
    from rouge_chinese import Rouge as RougeChinese

    tok = ev.char_tokens if level == "char" else ev.word_tokens
    scored = [(h, r) for h, r in pairs if tok(h) and tok(r)]  # rouge-chinese refuses empty texts
    hyps, refs = [" ".join(tok(h)) for h, _ in scored], [" ".join(tok(r)) for _, r in scored]
    theirs = RougeChinese(exclusive=False).get_scores(hyps, refs)
    for n, key in ((1, "rouge-1"), (2, "rouge-2"), ("L", "rouge-l")):
        metric = ev.Rouge(n, level)
        for (h, r), t in zip(scored, theirs):
            assert abs(metric.sentence(h, r) / 100 - t[key]["f"]) <= 0.005, (level, n, h, r)


def test_default_rouge_score_tokenizer_scores_chinese_as_zero_but_ours_does_not():
    """Why the tokenization is ours: rouge-score's default tokenizer drops every Chinese character."""
    from rouge_score import rouge_scorer

    hyp, ref = "市民政局获评全省先进集体。", "市民政局获评全省民政系统先进集体。"
    assert rouge_scorer.RougeScorer(["rouge1"]).score(ref, hyp)["rouge1"].fmeasure == 0.0
    assert ev.Rouge(1, "char").sentence(hyp, ref) == pytest.approx(100 * 2 * 1.0 * (12 / 16) / (1 + 12 / 16))  # 12 of 16


def test_rouge_known_values():
    """Hand-computed: hyp 今天天气好 / ref 今天天气很好: unigram overlap 5 of 5 (hyp) and 6 (ref)."""
    r1 = ev.Rouge(1, "char").sentence("今天天气好", "今天天气很好")
    assert r1 == pytest.approx(100 * 2 * 1.0 * (5 / 6) / (1 + 5 / 6))
    assert ev.Rouge(2, "char").sentence("今天天气好", "今天天气很好") == pytest.approx(100 * 2 * 0.75 * 0.6 / 1.35)
    assert ev.Rouge("L", "char").sentence("好天气今天", "今天天气很好") == pytest.approx(100 * 2 * 0.4 * (2 / 6) / (0.4 + 2 / 6))
    assert ev.char_tokens("２５家，SCORE项目51.45美元") == ["25", "家", "score", "项", "目", "51.45", "美", "元"]


EN = [("The city certified 25 companies and 13 counsellors on December 23.",
       "On December 23 the city certified 25 companies and 13 counselors."),
      ("Exports through the logistics port reached 400,000 containers a year.",
       "The port exports more than 400,000 standard containers each year."),
      ("The new hospital building covers 24,725 square metres.",
       "The new hospital has a total floor area of 24,725.21 square meters."),
      ("", "An empty translation scores zero.")]


def test_bleu_and_chrf_equal_sacrebleu():
    import sacrebleu

    hyps, refs = [h for h, _ in EN], [r for _, r in EN]
    bleu, chrf = ev.Bleu(), ev.ChrF()
    assert bleu.corpus(hyps, refs) == sacrebleu.corpus_bleu(hyps, [refs]).score
    assert chrf.corpus(hyps, refs) == sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score
    assert "nrefs:1" in bleu.signature and "nw:2" in chrf.signature
    for h, r in EN:
        assert bleu.sentence(h, r) == sacrebleu.sentence_bleu(h, [r]).score
        assert chrf.sentence(h, r) == sacrebleu.sentence_chrf(h, [r], word_order=2).score
    assert bleu.corpus(hyps, refs) > 10


# --- input formats ----------------------------------------------------------------------------------------------
def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_matched_by_id_in_any_order(tmp_path, pairs):
    preds = [{"id": f"d{k}", "summary": h} for k, (h, _) in enumerate(pairs)]
    refs = [{"id": f"d{k}", "reference": r} for k, (_, r) in enumerate(pairs)][::-1]
    inputs = ev.load_pairs(_jsonl(tmp_path / "p.jsonl", preds), _jsonl(tmp_path / "r.jsonl", refs))
    assert [p.key for p in inputs.pairs] == [f"d{k}" for k in range(len(pairs))]
    assert [(p.pred, p.ref) for p in inputs.pairs] == pairs
    result = ev.evaluate(inputs, "summary")
    assert result["mode"] == "reference"
    r1 = ev.Rouge(1, "char")
    for it, (h, r) in zip(result["items"], pairs):
        assert it["ROUGE-1 char"] == pytest.approx(r1.sentence(h, r))
    assert result["corpus"]["ROUGE-1 char"] == pytest.approx(r1.corpus(*zip(*pairs)))


def test_configurable_fields_and_one_file_with_both(tmp_path):
    rows = [{"hyp": "首批25家企业获证", "gold": "首批25家企业获得证书", "article": "首批25家企业获证,40家企业接力启航。"},
            {"hyp": "中国五金物流港通过验收", "gold": "五金物流港海关监管作业场所通过验收", "article": "中国五金物流港海关监管作业场所通过验收。"}]
    f = _jsonl(tmp_path / "both.jsonl", rows)
    inputs = ev.load_pairs(f, None, pred_field="hyp", ref_field="gold", source_field="article")
    assert [(p.pred, p.ref, p.source) for p in inputs.pairs] == [(r["hyp"], r["gold"], r["article"]) for r in rows]
    with pytest.raises(InputError, match="no field 'nope'.*fields present: article, gold, hyp"):
        ev.load_pairs(f, None, pred_field="nope")
    with pytest.raises(InputError, match="no prediction field found"):
        ev.load_pairs(f, None)


def test_aligned_text_files_and_their_errors(tmp_path, pairs):
    hyps = [h for h, _ in pairs if h]
    refs = [r for h, r in pairs if h]
    (tmp_path / "p.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")
    (tmp_path / "r.txt").write_text("\n".join(refs) + "\n", encoding="utf-8")
    (tmp_path / "s.txt").write_text("\n".join(r + "。" + h for h, r in zip(hyps, refs)) + "\n", encoding="utf-8")
    inputs = ev.load_pairs(tmp_path / "p.txt", tmp_path / "r.txt", source=tmp_path / "s.txt")
    assert [(p.pred, p.ref) for p in inputs.pairs] == list(zip(hyps, refs))
    result = ev.evaluate(inputs)
    assert result["corpus"]["items"] == len(hyps) and "copy_rate (mean)" in result["corpus"]
    (tmp_path / "r2.txt").write_text("\n".join(refs[:-1] + [""]) + "\n", encoding="utf-8")
    notes = ev.load_pairs(tmp_path / "p.txt", tmp_path / "r2.txt").notes
    assert notes == [f"1 reference(s) are empty (scored as 0): {len(hyps)}"]
    (tmp_path / "short.txt").write_text("\n".join(refs[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"{len(hyps)} predictions but {len(hyps) - 1} references"):
        ev.load_pairs(tmp_path / "p.txt", tmp_path / "short.txt")
    (tmp_path / "bad.jsonl").write_text('{"summary": "好"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2 is not valid JSON"):
        ev.load_pairs(tmp_path / "bad.jsonl")
    with pytest.raises(InputError, match="does not exist"):
        ev.load_pairs(tmp_path / "missing.jsonl")


def _batch_records(seed_text: str) -> list[dict]:
    """Records shaped like `newsdesk batch` output (the pipeline's postprocess), with made-up summaries."""
    records = []
    for it in segment(seed_text):
        body = "".join(it.paragraphs)
        flags = [{"kind": "truncated", "severity": "warning", "message": "cut off"}] if it.index == 1 else []
        records.append({"issue": "000_seed", **it.as_dict(), "summary": body[:60], "translation": "", "headline_en": "",
                        "flags": flags, "model": "m", "summary_model": "m", "prompt_version": "summarize@1",
                        "cached": False})
    records[2]["summary"] = "新院区总建筑面积24725.21平方米,投资9999万元。"  # 9999 is not in the article
    return records


def test_batch_output_with_references_keyed_by_issue_and_index(tmp_path, seed_text):
    records = _batch_records(seed_text)
    out = tmp_path / "out"
    write_issue(out, "000_seed", records)
    refs = [{"issue": "000_seed", "index": r["index"], "summary": r["text"][:50]} for r in records if r["index"] != 3]
    refs.append({"issue": "000_seed", "index": 99, "summary": "没有对应的文章"})
    inputs = ev.load_pairs(out, _jsonl(tmp_path / "refs.jsonl", refs))  # the output directory itself
    assert [p.key for p in inputs.pairs] == [f"000_seed#{r['index']}" for r in records if r["index"] != 3]
    assert inputs.fields["key"] == "issue+index" and inputs.fields["source"] == "text"
    assert any("1 prediction(s) have no reference" in n and "000_seed#3" in n for n in inputs.notes)
    assert any("1 reference(s) have no prediction" in n and "000_seed#99" in n for n in inputs.notes)
    result = ev.evaluate(inputs)
    by_key = {it["key"]: it for it in result["items"]}
    assert by_key["000_seed#1"]["flags"] == {"truncated": 1}
    assert result["corpus"]["flags"] == {"truncated": 1}
    assert by_key["000_seed#2"]["numbers_not_in_source"] == ["9999"]
    with pytest.raises(InputError, match="two predictions have the key '000_seed#0'"):
        ev.load_pairs([out, out], tmp_path / "refs.jsonl")  # the same issue passed twice


def test_reference_free_mode_on_batch_output(tmp_path, seed_text):
    records = _batch_records(seed_text)
    records[0]["facts"] = [  # the shape service.faithfulness.checks writes
        {"where": "translation", "category": "number", "kind": "amount", "source": "316.4万元", "status": "verified"},
        {"where": "translation", "category": "number", "kind": "amount", "source": "2.62万元", "status": "flagged"}]
    path, _ = write_issue(tmp_path, "000_seed", records)
    result = ev.evaluate(ev.load_pairs(path), "summary")
    assert result["mode"] == "reference-free" and not any(k.startswith("ROUGE") for k in result["corpus"])
    items = {it["key"]: it for it in result["items"]}
    first = items["000_seed#0"]
    assert first["copy_rate"] == 100.0 and first["novel_2gram"] == 0.0  # the summary is the article's start
    assert first["compression"] == pytest.approx(len(ev.char_tokens(records[0]["summary"]))
                                                 / len(ev.char_tokens(records[0]["text"])))
    want = {"checked": 2, "verified": 1, "repaired": 0, "flagged": 1}
    assert first["facts"] == want and result["corpus"]["facts"] == dict(sorted(want.items()))
    assert "facts" not in items["000_seed#1"]  # records without facts: nothing made up
    assert items["000_seed#2"]["novel_2gram"] > 0 and items["000_seed#2"]["numbers_not_in_source"] == ["9999"]
    assert result["corpus"]["numbers not in source"] == 1


def test_extractiveness_measures():
    src = ev.char_tokens("市民政局获评全省民政系统先进集体")
    assert ev.copy_rate(ev.char_tokens("全省民政系统先进集体"), src) == 100.0
    assert ev.copy_rate(ev.char_tokens("民局集体"), src) == 50.0  # 集体 is a copied fragment, 民 and 局 alone are not
    assert ev.novel_ngrams(ev.char_tokens("今天天气很好"), src, 2) == 100.0
    assert ev.novel_ngrams(ev.char_tokens("民政系统"), src, 2) == 0.0
    assert ev.numbers("投资３１６.４万元,共1,000人") == ["316.4", "1000"]


# --- command line and reports -------------------------------------------------------------------------------------
def test_cli_json_and_reports(tmp_path, pairs, capsys):
    preds = _jsonl(tmp_path / "p.jsonl", [{"id": k, "summary": h} for k, (h, _) in enumerate(pairs)])
    refs = _jsonl(tmp_path / "r.jsonl", [{"id": k, "summary": r} for k, (_, r) in enumerate(pairs)])
    assert main(["eval", "--pred", str(preds), "--ref", str(refs), "--json", "--report", str(tmp_path / "rep.html")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["items"]) == len(pairs) and result["corpus"]["ROUGE-L word"] > 0

    html = (tmp_path / "rep.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 2 and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "ROUGE-2 char" in html and f"{result['corpus']['ROUGE-1 char']:.2f}" in html

    assert main(["eval", "--pred", str(preds), "--ref", str(refs), "--report", str(tmp_path / "rep.md")]) == 0
    out = capsys.readouterr().out
    assert "ROUGE-1 char" in out and "per item" in out
    md = (tmp_path / "rep.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert len(links) == 2 and all((tmp_path / p).read_bytes().startswith(b"\x89PNG") for p in links)
    assert "| item |" in md

    assert main(["eval", "--pred", str(preds), "--json", str(tmp_path / "o.json")]) == 0
    assert "JSON: " in capsys.readouterr().out
    written = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert written["mode"] == "reference-free" and len(written["items"]) == len(pairs)

    assert main(["eval", "--pred", str(preds), "--ref", str(tmp_path / "none.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(InputError, match=r"\.html or \.md"):
        write_report(result, tmp_path / "rep.pdf")


def test_cli_translation_task(tmp_path, capsys):
    (tmp_path / "h.txt").write_text("\n".join(h for h, _ in EN) + "\n", encoding="utf-8")
    (tmp_path / "r.txt").write_text("\n".join(r for _, r in EN) + "\n", encoding="utf-8")
    assert main(["eval", "--task", "translation", "--pred", str(tmp_path / "h.txt"), "--ref", str(tmp_path / "r.txt"),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    import sacrebleu

    hyps, refs = [h for h, _ in EN], [r for _, r in EN]
    assert result["corpus"]["BLEU"] == sacrebleu.corpus_bleu(hyps, [refs]).score
    assert result["corpus"]["chrF++"] == sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score
    assert result["signatures"]["BLEU"].startswith("nrefs:1")


def test_reference_free_translation_of_batch_output(tmp_path, seed_text):
    records = _batch_records(seed_text)
    for r in records:
        r["translation"] = "The city certified 25 companies." if r["index"] != 4 else ""
    path, _ = write_issue(tmp_path, "000_seed", records)
    result = ev.evaluate(ev.load_pairs(path, task="translation"), "translation")
    items = {it["key"]: it for it in result["items"]}
    assert items["000_seed#0"]["length"] == 5
    assert items["000_seed#0"]["words_per_source_char"] == pytest.approx(5 / len(ev.char_tokens(records[0]["text"])))
    assert items["000_seed#4"]["length"] == 0 and "copy_rate" not in items["000_seed#0"]
    assert result["corpus"]["flags"] == {"truncated": 1}
