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

from service.data import shipped
from service.errors import ModelError

# The source checkout, for what only a checkout has (corpus/gold, bench/results); the shipped data (models/,
# prompts/, glossary/) is found through `service.data`, so an installed newsdesk has it too.
REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIMES = ("llama.cpp", "transformers", "openai")  # the loaders are in service/generation/backends.py


def models_dir() -> Path:
    """The model profiles: NEWSDESK_MODELS_DIR, or the shipped ones (models/)."""
    env = os.environ.get("NEWSDESK_MODELS_DIR")
    return Path(env) if env is not None else shipped("models")


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
    runtime: str = "transformers"  # "llama.cpp", "transformers" or "openai" (service/generation/backends.py RUNTIMES)
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
    if profile.runtime not in RUNTIMES:
        raise ModelError(f"model profile {path}: runtime must be one of {', '.join(RUNTIMES)}, "
                         f"not {profile.runtime!r}.")
    if profile.runtime == "openai":  # weights on a server: it needs the server's URL instead
        if profile.kind != "chat" or not profile.extra.get("base_url"):
            raise ModelError(f"model profile {path}: runtime 'openai' needs kind = 'chat' and a base_url.")
        return profile
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


def server_profile(spec: str | Profile | None, *, base_url: str | None = None, api_model: str | None = None,
                   api_key_env: str | None = None, concurrency: int | None = None) -> Profile:
    """The model on an OpenAI-compatible server, from the command line: a profile (`runtime = "openai"` in
    models/, or any chat profile pointed at a server with --base-url) with the flags laid over its settings.
    `spec` that is not a profile name is taken as the server's model name (`--model Qwen/Qwen2.5-7B-Instruct`
    with `--base-url`); with neither, the server's only model is used (asked at load)."""
    import dataclasses

    known = profiles()
    if isinstance(spec, Profile):
        base = spec
    elif spec and spec in known:
        base = known[spec]
    else:
        api_model = api_model or spec
        base = Profile(name=api_model or "", kind="chat", runtime="openai",
                       description="a model on an OpenAI-compatible server")
    if base.kind != "chat":
        raise ModelError(f"{base.name} is not a chat model; an OpenAI-compatible server runs chat models.")
    extra = dict(base.extra)
    given = {"base_url": base_url, "api_model": api_model, "api_key_env": api_key_env, "concurrency": concurrency}
    extra.update({k: v for k, v in given.items() if v is not None})
    if not extra.get("base_url"):
        raise ModelError(f"{base.name or 'the model'} is not on a server: pass --base-url URL (an OpenAI-compatible "
                         "server such as vLLM), or a profile with runtime = \"openai\".")
    return dataclasses.replace(base, runtime="openai", extra=extra)
