"""Bad input gets a clear error (what was wrong, what to do); good input in any supported encoding reads the same."""

import os

import pytest

from service.errors import InputError
from service.page import ingest


def test_utf8_bom_and_gb18030_read_the_same_text(tmp_path, seed_text):
    plain = tmp_path / "plain.txt"
    bom = tmp_path / "bom.txt"
    gb = tmp_path / "gb.txt"
    plain.write_bytes(seed_text.encode("utf-8"))
    bom.write_bytes(b"\xef\xbb\xbf" + seed_text.encode("utf-8"))
    gb.write_bytes(seed_text.encode("gb18030"))
    docs = [ingest.read_file(p) for p in (plain, bom, gb)]
    assert [d.text for d in docs] == [seed_text] * 3
    assert [d.encoding for d in docs] == ["utf-8", "utf-8-sig", "gb18030"]
    assert docs[0].name == "plain"


def test_gbk_file_with_rare_characters(tmp_path):
    text = "本报讯(融媒记者 俞梦婷)近日,镕铧公司在永康举行仪式。累计节约成本约316.4万元。"
    p = tmp_path / "gbk.txt"
    p.write_bytes(text.encode("gbk"))
    assert ingest.read_file(p).text == text


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \n"])
def test_empty_file_is_refused(tmp_path, content):
    p = tmp_path / "empty.txt"
    p.write_bytes(content)
    with pytest.raises(InputError, match="empty") as e:
        ingest.read_file(p)
    assert "Paste or pass a page" in str(e.value)


def test_binary_files_are_refused(tmp_path):
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000))
    with pytest.raises(InputError, match="binary"):
        ingest.read_file(png)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(1, 32)) * 200)  # control bytes, no NUL
    with pytest.raises(InputError, match="binary|Chinese"):
        ingest.read_file(noise)


def test_huge_file_is_refused_before_reading(tmp_path, seed_text):
    p = tmp_path / "huge.txt"
    p.write_text(seed_text * 10, encoding="utf-8")
    with pytest.raises(InputError, match="above the limit") as e:
        ingest.read_file(p, max_bytes=10_000)
    assert "--max-bytes" in str(e.value)
    assert ingest.read_file(p, max_bytes=1_000_000).text == seed_text * 10


def test_non_chinese_text_is_refused(tmp_path):
    p = tmp_path / "english.txt"
    p.write_text("City council approves the new budget. The mayor said the plan would be carried out.\n" * 5)
    with pytest.raises(InputError, match="little or no Chinese"):
        ingest.read_file(p)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        ingest.read_file(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="not a file"):
        ingest.read_file(tmp_path)


def test_pasted_text_checks(seed_text):
    assert ingest.from_text(seed_text).text == seed_text
    with pytest.raises(InputError, match="empty"):
        ingest.from_text("  \n ")
    with pytest.raises(InputError, match="above the limit"):
        ingest.from_text(seed_text, max_chars=100)
