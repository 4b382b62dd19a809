"""The AMX layout (service/generation/amx.py): the same weights in Q4_1/Q8_0 blocks, derived once into the model
cache and verified. Uses small GGUF files of synthetic Q4_K/Q6_K blocks written here (no model needed); the real
model goes through the same code in setup.sh on a machine with AMX (`newsdesk models fetch`)."""

import errno
import hashlib
import os
from pathlib import Path

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf import quants

from service.generation import amx, provision
from service.errors import ProvisionError
from service.generation.registry import Profile

rng = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CACHE", str(tmp_path / "cache"))


def q4_k_rows(rows: int, cols: int) -> np.ndarray:
    """Random Q4_K blocks with sane float16 scales (d, dmin), as a GGUF file holds them: (rows, bytes)."""
    b = rng.integers(0, 256, size=(rows * cols // 256, 144), dtype=np.uint8)
    b[:, 0:2] = rng.uniform(1e-3, 1e-2, (len(b), 1)).astype(np.float16).view(np.uint8)
    b[:, 2:4] = rng.uniform(1e-3, 1e-2, (len(b), 1)).astype(np.float16).view(np.uint8)
    return b.reshape(rows, -1)


def q6_k_rows(rows: int, cols: int) -> np.ndarray:
    b = rng.integers(0, 256, size=(rows * cols // 256, 210), dtype=np.uint8)
    b[:, 192:208] = rng.integers(-60, 60, (len(b), 16), dtype=np.int8).view(np.uint8)  # sub-block scales
    b[:, 208:210] = rng.uniform(1e-4, 1e-3, (len(b), 1)).astype(np.float16).view(np.uint8)
    return b.reshape(rows, -1)


def write_gguf(path: Path) -> dict:
    tensors = {"token_embd.weight": (q4_k_rows(2, 256), T.Q4_K), "blk.0.ffn_up.weight": (q4_k_rows(4, 512), T.Q4_K),
               "blk.0.ffn_down.weight": (q6_k_rows(2, 256), T.Q6_K),
               "output_norm.weight": (rng.standard_normal(256).astype(np.float32), T.F32)}
    w = gguf.GGUFWriter(str(path), arch="qwen2")
    w.add_name("amx-test")
    w.add_block_count(1)
    for name, (data, kind) in tensors.items():
        w.add_tensor(name, data, raw_dtype=kind if kind != T.F32 else None)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tensors


def test_q4_k_becomes_q4_1_with_the_same_weights():
    raw = q4_k_rows(8, 512)
    before = quants.dequantize(raw, T.Q4_K)
    after = quants.dequantize(amx.q4_k_to_q4_1(raw), T.Q4_1)
    assert after.shape == before.shape
    # only the float16 rounding of d*sc and dmin*min differs
    assert np.abs(after - before).max() <= 2e-3 * np.abs(before).max()
    # and it is not a fresh quantization: a round trip through Q4_1's own min/max quantizer is much further off
    fresh = quants.dequantize(quants.quantize(before, T.Q4_1), T.Q4_1)
    assert np.abs(after - before).mean() < np.abs(fresh - before).mean() / 5


def test_a_gguf_is_derived_tensor_by_tensor_with_its_metadata(tmp_path):
    src, dst = tmp_path / "m.gguf", tmp_path / "m-amx.gguf"
    tensors = write_gguf(src)
    assert amx.derive(src, dst) == 2  # ffn_up (Q4_K) and ffn_down (Q6_K); token_embd and the norm stay
    r = gguf.GGUFReader(str(dst))
    assert r.fields["general.name"].contents() == "amx-test"
    got = {t.name: t for t in r.tensors}
    kinds = {name: got[name].tensor_type for name in tensors}
    assert kinds == {"token_embd.weight": T.Q4_K, "blk.0.ffn_up.weight": T.Q4_1, "blk.0.ffn_down.weight": T.Q8_0,
                     "output_norm.weight": T.F32}
    for name, (data, kind) in tensors.items():
        want = data if kind == T.F32 else quants.dequantize(data, kind)
        have = got[name].data if kinds[name] == T.F32 else quants.dequantize(got[name].data, kinds[name])
        assert np.abs(have.reshape(want.shape) - want).max() <= 0.02 * np.abs(want).max(), name


def fetched(tmp_path, name: str, content: bytes | None = None, **kw) -> Profile:
    """A profile pinning a small GGUF (write_gguf's, or `content`), fetched and verified into the private cache."""
    src = tmp_path / "m.gguf"
    if content is None:
        write_gguf(src)
    else:
        src.write_bytes(content)
    blob = src.read_bytes()
    prof = Profile(name=name, kind="chat", gguf={"repo": "nobody/nothing", "file": "m.gguf", "size": len(blob),
                                                 "sha256": hashlib.sha256(blob).hexdigest()}, **kw)
    provision.ensure_gguf(prof, source=str(src), log=lambda m: None)
    return prof


def test_a_layout_cut_short_leaves_nothing_behind_and_a_full_disk_says_so(tmp_path, monkeypatch):
    prof = fetched(tmp_path, "amx-cut")

    def cut(error):
        def derive(_src, dst):
            Path(dst).write_bytes(b"half a layout")
            raise error
        return derive

    out = provision.amx_path(prof)
    monkeypatch.setattr(amx, "derive", cut(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    with pytest.raises(ProvisionError, match="disk full while writing") as e:
        provision.ensure_amx(prof, log=lambda m: None)
    assert "NEWSDESK_CACHE" in str(e.value)
    assert not out.exists() and list(out.parent.iterdir()) == []  # no half-written .part left
    monkeypatch.setattr(amx, "derive", cut(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        provision.ensure_amx(prof, log=lambda m: None)
    assert list(out.parent.iterdir()) == []
    # llama_file falls back to the shipped file when the layout cannot be written
    monkeypatch.setattr(amx, "derive", cut(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    monkeypatch.setattr(amx, "wanted", lambda: True)
    said = []
    assert provision.llama_file(prof, log=said.append) == str(provision.gguf_path(prof))
    assert any("could not write the AMX layout" in m for m in said)


def test_the_amx_layout_is_derived_once_verified_and_derived_again_when_damaged(tmp_path, monkeypatch):
    prof = fetched(tmp_path, "amx-fake")
    made = []
    real = amx.derive
    monkeypatch.setattr(amx, "derive", lambda a, b: made.append(b) or real(a, b))
    out = Path(provision.ensure_amx(prof, log=lambda m: None))
    assert out == provision.amx_path(prof) and len(made) == 1 and provision.amx_problem(prof) is None
    assert provision.ensure_amx(prof, log=lambda m: None) == str(out) and len(made) == 1  # kept, not derived again

    data = bytearray(out.read_bytes())
    data[-5] ^= 0xFF  # one weight byte flipped, same size
    out.write_bytes(bytes(data))
    assert "sha256" in provision.amx_problem(prof)
    said = []
    assert provision.ensure_amx(prof, log=said.append) == str(out) and len(made) == 2
    assert any("deriving it again" in m for m in said) and provision.amx_problem(prof) is None

    monkeypatch.setattr(amx, "wanted", lambda: True)
    assert provision.llama_file(prof, log=lambda m: None) == str(out)
    monkeypatch.setattr(amx, "wanted", lambda: False)
    assert provision.llama_file(prof, log=lambda m: None) == str(provision.gguf_path(prof))


def test_the_layout_is_off_when_asked(monkeypatch):
    monkeypatch.setenv("NEWSDESK_AMX_LAYOUT", "off")
    assert amx.wanted() is False


def test_a_layout_that_cannot_be_written_leaves_the_shipped_file(tmp_path, monkeypatch):
    """A file gguf-py cannot read (here: not a GGUF at all) costs speed, not the run: the shipped file is loaded,
    and the log says why."""
    prof = fetched(tmp_path, "amx-bad", b"not a gguf file" * 100)
    monkeypatch.setattr(amx, "wanted", lambda: True)
    said = []
    assert provision.llama_file(prof, log=said.append) == str(provision.gguf_path(prof))
    assert any("could not write the AMX layout" in m for m in said)
    assert not provision.amx_path(prof).exists() and not list(provision.amx_path(prof).parent.glob("*.part"))


def test_models_list_says_where_the_amx_layout_stands(tmp_path, monkeypatch):
    prof = fetched(tmp_path, "amx-state", runtime="llama.cpp")
    monkeypatch.setattr(amx, "wanted", lambda: False)
    assert provision.amx_state(prof) is None  # no AMX here (or NEWSDESK_AMX_LAYOUT=off): nothing to say
    monkeypatch.setattr(amx, "wanted", lambda: True)
    state, hint = provision.amx_state(prof)
    assert state == "not derived" and "newsdesk models fetch" in hint and not provision.amx_path(prof).exists()
    out = Path(provision.ensure_amx(prof, log=lambda m: None))
    assert provision.amx_state(prof) == ("ready", "")
    data = bytearray(out.read_bytes())
    data[-5] ^= 0xFF
    out.write_bytes(bytes(data))
    state, hint = provision.amx_state(prof)
    assert state == "not usable" and "sha256" in hint and out.exists()  # said, not deleted
