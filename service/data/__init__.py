"""The data newsdesk ships: prompt templates, model profiles, the glossary and the UI's example page.

In the repository they are the top-level folders `prompts/`, `models/`, `glossary/` and `corpus/` (the only
copy). pyproject.toml maps each to a subpackage of this one (`service.data.prompts` is `prompts/`, and so on), so
a wheel, and any non-editable `pip install`, carries them inside the package. `shipped` finds them either way.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# the name of each folder inside the installed package, and in the repository
FOLDERS = {"prompts": "prompts", "models": "models", "glossary": "glossary", "examples": "corpus"}


def shipped(name: str) -> Path:
    """The shipped folder `name` (prompts, models, glossary, examples): inside the installed package, or, when
    running from a checkout or an editable install (which keep it where it is), the repository's own folder."""
    installed = Path(str(files(__name__))) / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent.parent / FOLDERS[name]
