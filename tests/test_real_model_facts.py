"""The faithfulness guard on the seed page with the real embedded model (Qwen2.5-Coder-1.5B, provisioned by
scripts/setup.sh). Slow on a CPU (the page, plus the re-translations of failing passages). Run it alone with
`flock /tmp/newsdesk-real-model.lock .venv/bin/python -m pytest -m real_model tests/test_real_model_facts.py`.

The generation cache is a fresh file, or the one named by NEWSDESK_TEST_CACHE (e.g. the cache of a
`newsdesk batch corpus/ --cache FILE` run, to check that run's outputs without generating again).

The assertions re-read every paragraph of the output independently of the pipeline's own bookkeeping: each
numeric fact of the source that the English paragraph lacks, and each English number the source does not back,
must come with a flag; so must each number of the Chinese summary that the article does not have.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from service.faithfulness import facts as F
from service.page.ingest import read_file
from service.page.names import pinyin_name
from service.pipeline import Pipeline

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_fd4f6e000473b793.txt"


@pytest.fixture(scope="module")
def seed_records(tmp_path_factory):
    cache = os.environ.get("NEWSDESK_TEST_CACHE") or tmp_path_factory.mktemp("real") / "c.sqlite"
    pipe = Pipeline(cache_path=cache, log=lambda m: None)
    return pipe.process(read_file(SEED))


@pytest.mark.real_model
@pytest.mark.timeout(5400)
def test_no_number_is_wrong_without_a_flag(seed_records):
    assert len(seed_records) == 6
    for r in seed_records:
        mismatch = [f for f in r["flags"] if f["kind"] == "number_mismatch"]
        unsupported = {f["found"] for f in r["flags"] if f["kind"] == "number_unsupported"}
        wrong_found = {x for f in mismatch if f.get("found") for x in f["found"].split("; ")}
        flagged_expected = [f["expected"] for f in mismatch]
        english = r["translation"].split("\n\n")
        assert len(english) == len(r["paragraphs"]), "one English paragraph per source paragraph"
        heading = [(p["zh"], p["en"]) for p in r["heading"]]  # each part of the heading translated on its own
        for zh, en in [*heading, *zip(r["paragraphs"], english)]:
            facts = F.extract_zh(zh)
            have = F.english_atoms(en)
            for f in facts:
                if not f.weak and F.missing(f, have):
                    assert f.english in flagged_expected, (r["index"], f.text, en)
            source = F.zh_atoms(facts)
            for n in F.english_numbers(en):
                if not all(F.grounded(a, source) for a in n.atoms):
                    assert n.text in unsupported or n.text in wrong_found, (r["index"], n.text, en)
        article = F.zh_atoms(F.extract_zh("\n".join([r["headline"], *r["subheads"], *r["paragraphs"]])))
        ungrounded = {f["found"] for f in r["flags"] if f["kind"] == "summary_number_ungrounded"}
        for f in F.extract_zh(r["summary"]):
            if not f.weak and not all(F.grounded(a, article) for a in f.atoms):
                assert f.text in ungrounded, (r["index"], f.text, r["summary"])
        counts = r["fact_counts"]
        assert counts["checked"] == counts["verified"] + counts["repaired"] + counts["flagged"] == len(r["facts"])
    total = {s: sum(r["fact_counts"][s] for r in seed_records) for s in ("checked", "verified", "repaired", "flagged")}
    print(f"\nseed page facts: {total}")
    assert total["checked"] > 100


@pytest.mark.real_model
@pytest.mark.timeout(5400)
def test_bylines_come_out_in_pinyin(seed_records):
    people = [p for r in seed_records for p in r["people"]]
    assert len(people) >= 7
    for p in people:
        assert p["en"] == pinyin_name(p["name"])
        assert re.fullmatch(r"[A-Z][a-zü']+ [A-Z][a-zü']+", p["en"]), p
    assert seed_records[0]["byline_en"] == "Reporter Yu Mengting"
    assert seed_records[5]["byline_en"] == "Reporter Lü Xiaoting"
