"""Prompt templates: one TOML file per template in `prompts/`, each with a name and a version.

`Template.id` ("translate@1") goes into every output record and every cache key, so changing a prompt's
wording (and bumping its version) never reuses answers produced by the old wording.
"""

from __future__ import annotations

import os
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from service.data import shipped
from service.errors import NewsdeskError


def prompts_dir() -> Path:
    """The prompt templates: NEWSDESK_PROMPTS_DIR, or the shipped ones (prompts/)."""
    env = os.environ.get("NEWSDESK_PROMPTS_DIR")
    return Path(env) if env is not None else shipped("prompts")


@dataclass(frozen=True)
class Template:
    name: str
    version: int
    system: str
    user: str

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def fields(self) -> list[str]:
        """The names of the values the user message takes ({text}, {notes} ...), in order of first use."""
        return list(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(self.user) if f))

    def messages(self, **values: str) -> list[dict]:
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.user.format(**values)}]


@cache
def load(name: str) -> Template:
    path = prompts_dir() / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Template(name=data["name"], version=int(data["version"]), system=data["system"], user=data["user"])
    except FileNotFoundError as e:
        raise NewsdeskError(f"prompt template {path} is missing: newsdesk ships it (prompts/ in the repository, "
                            "service/data/prompts/ when installed); reinstall, or set NEWSDESK_PROMPTS_DIR to a "
                            "folder that holds it.") from e
    except (KeyError, ValueError, tomllib.TOMLDecodeError) as e:
        raise NewsdeskError(f"prompt template {path} is malformed ({e}); it needs name, version, system and user.") from e
