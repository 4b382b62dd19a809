"""Model registry: profiles in `models/*.toml`, plus any Hugging Face id or local directory.

A profile says what kind of model it is (`chat`: a causal chat model driven by the prompt templates;
`seq2seq`: a transformers translation or summarization pipeline), where its weights come from (`hf_id`, or a
`[gguf]` file with its pinned size, sha256 and fallback sources) and how long a source chunk may be.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelError

REPO_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    return Path(os.environ.get("NEWSDESK_MODELS_DIR", REPO_ROOT / "models"))


def cache_dir() -> Path:
    """Where downloaded and converted weights and the generation cache live (outside the repository)."""
    if env := os.environ.get("NEWSDESK_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newsdesk"


@dataclass
class Profile:
    name: str
    kind: str  # "chat" or "seq2seq"
    runtime: str = "transformers"  # "llama.cpp" or "transformers" (service/backends.py RUNTIMES)
    description: str = ""
    hf_id: str | None = None  # hub id or local directory with transformers weights
    task: str | None = None  # for seq2seq: "translation" or "summarization"
    chunk_tokens: int = 200
    default: bool = False
    license: str = ""
    gguf: dict | None = None
    path: Path | None = None  # the profile file, when there is one
    extra: dict = field(default_factory=dict)

    @property
    def tasks(self) -> tuple[str, ...]:
        if self.kind == "chat":
            return ("summarize", "translate")
        return ("translate",) if self.task == "translation" else ("summarize",)


def _load(path: Path) -> Profile:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {f for f in Profile.__dataclass_fields__ if f not in ("path", "extra")}
    kwargs = {k: v for k, v in data.items() if k in known}
    extra = {k: v for k, v in data.items() if k not in known}
    try:
        profile = Profile(path=path, extra=extra, **kwargs)
    except TypeError as e:
        raise ModelError(f"model profile {path} is malformed ({e}); compare it with the profiles in models/.") from e
    if profile.kind not in ("chat", "seq2seq"):
        raise ModelError(f"model profile {path}: kind must be 'chat' or 'seq2seq', not {profile.kind!r}.")
    if profile.runtime not in ("llama.cpp", "transformers"):
        raise ModelError(f"model profile {path}: runtime must be 'llama.cpp' or 'transformers', not {profile.runtime!r}.")
    if not (profile.hf_id or profile.gguf):
        raise ModelError(f"model profile {path} names no weights: give hf_id or a [gguf] table.")
    return profile


def profiles() -> dict[str, Profile]:
    found = {}
    for path in sorted(models_dir().glob("*.toml")):
        p = _load(path)
        found[p.name] = p
    return found


def default_profile() -> Profile:
    defaults = [p for p in profiles().values() if p.default]
    if len(defaults) != 1:
        raise ModelError(f"expected exactly one default profile in {models_dir()}, found {len(defaults)}.")
    return defaults[0]


def resolve(spec: str | None) -> Profile:
    """A profile name, a local directory with a transformers model, or a Hugging Face hub id."""
    if not spec:
        return default_profile()
    known = profiles()
    if spec in known:
        return known[spec]
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return Profile(name=str(path.resolve()), kind="chat", runtime="llama.cpp", hf_id=str(path.resolve()),
                       description=f"local GGUF file {path}")
    if path.is_dir():
        config = path / "config.json"
        if not config.is_file():
            raise ModelError(f"{path} is a directory but has no config.json: it is not a transformers model directory.")
        cfg = json.loads(config.read_text(encoding="utf-8"))
        kind = "seq2seq" if cfg.get("is_encoder_decoder") else "chat"
        task = None
        if kind == "seq2seq":
            task = (cfg.get("newsdesk_task") or ("translation" if "marian" in cfg.get("model_type", "") else "summarization"))
        return Profile(name=str(path.resolve()), kind=kind, hf_id=str(path.resolve()), task=task,
                       description=f"local model {path}")
    if "/" in spec and not spec.startswith((".", "/")):
        lowered = spec.lower()
        kind, task = "chat", None
        if "opus-mt" in lowered or "marian" in lowered:
            kind, task = "seq2seq", "translation"
        elif any(k in lowered for k in ("t5", "pegasus", "bart")):
            kind, task = "seq2seq", "summarization"
        return Profile(name=spec, kind=kind, hf_id=spec, task=task, description=f"Hugging Face model {spec}")
    raise ModelError(
        f"unknown model {spec!r}: not a profile ({', '.join(sorted(known))}), not a local directory and not a "
        "Hugging Face id (owner/name). See `newsdesk models list`."
    )
