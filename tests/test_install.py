"""newsdesk installs like a package (issue 11): a plain, non-editable install into a fresh virtual environment finds
its prompts, model profiles, glossary and example page inside the installed package, not in this checkout.

The project is copied (as `pip install .` would read it), built into a wheel without network (`--no-deps
--no-build-isolation`: setuptools comes from the test's own environment) and installed into a new venv. The new
venv sees the already installed dependencies (torch, transformers, jieba ...) through a `.pth` line naming this
environment's site-packages; that path is a plain sys.path entry, so the checkout's editable install that lives
there is not activated. Everything then runs from a temporary working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_fd4f6e000473b793.txt"
# not part of what `pip install .` reads (or large): left out of the copy the wheel is built from
SKIP = (".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "out", ".pytest_cache", ".whl", ".gl")


def _run(cmd: list, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with newsdesk installed from a wheel of this checkout; its bin/ folder."""
    pytest.importorskip("setuptools", reason="building the wheel without network needs setuptools installed here")
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*SKIP))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", tmp / "wheels", src], cwd=tmp)
    (wheel,) = (tmp / "wheels").glob("newsdesk-*.whl")
    env_dir = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=tmp)
    py = env_dir / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp).stdout.strip())
    (site / "newsdesk-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", "--no-index", wheel], cwd=tmp)
    return env_dir / "bin"


@pytest.fixture
def env() -> dict:
    """This environment without anything that could point the installed copy back at the checkout."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "NEWSDESK_PROMPTS_DIR", "NEWSDESK_MODELS_DIR", "VIRTUAL_ENV")}


def test_installed_copy_is_not_the_checkout(venv, env, tmp_path):
    r = _run([venv / "python", "-c", "import json, service, service.data as d; print(json.dumps([service.__file__, "
              "*(str(d.shipped(n)) for n in ('prompts', 'models', 'glossary', 'examples'))]))"], cwd=tmp_path, env=env)
    module, *folders = json.loads(r.stdout)
    site = Path(module).parent.parent
    assert not Path(module).is_relative_to(ROOT) and Path(module).is_relative_to(venv.parent)
    assert folders == [str(site / "service" / "data" / n) for n in ("prompts", "models", "glossary", "examples")]
    assert sorted(p.name for p in (site / "service" / "data" / "prompts").glob("*.toml")) == \
        sorted(p.name for p in (ROOT / "prompts").glob("*.toml"))
    assert (site / "service" / "data" / "glossary" / "zh-en.csv").read_bytes() == \
        (ROOT / "glossary" / "zh-en.csv").read_bytes()
    assert [p.name for p in (site / "service" / "data" / "examples").iterdir()] == [SEED.name]  # not gold/, pages/
    # bench figures go to ./bench-results there, never next to the installed package
    r = _run([venv / "python", "-c", "import service.evaluation.bench as b; print(b.results_dir())"], cwd=tmp_path,
             env={k: v for k, v in env.items() if k != "NEWSDESK_RESULTS_DIR"})
    assert Path(r.stdout.strip()) == tmp_path / "bench-results"


def test_installed_models_list_reads_the_shipped_profiles_or_the_override(venv, env, tmp_path):
    r = _run([venv / "newsdesk", "models", "list"], cwd=tmp_path, env=env)
    for profile in (ROOT / "models").glob("*.toml"):
        assert profile.stem in r.stdout
    mine = tmp_path / "my-models"
    mine.mkdir()
    shutil.copyfile(ROOT / "models" / "qwen2.5-coder-1.5b-q4km.toml", mine / "qwen2.5-coder-1.5b-q4km.toml")
    r = _run([venv / "newsdesk", "models", "list"], cwd=tmp_path, env={**env, "NEWSDESK_MODELS_DIR": str(mine)})
    assert "qwen2.5-coder-1.5b-q4km" in r.stdout and "mt5-xlsum" not in r.stdout


def test_installed_segment_matches_the_checkout(venv, env, tmp_path):
    page = tmp_path / "page.txt"
    shutil.copyfile(SEED, page)
    installed = _run([venv / "newsdesk", "segment", page, "--format", "json"], cwd=tmp_path, env=env).stdout
    here = _run([sys.executable, "-m", "service", "segment", page, "--format", "json"], cwd=ROOT).stdout
    assert json.loads(installed) == json.loads(here) and len(json.loads(installed)) == 6


def test_installed_batch_runs_a_tiny_model(venv, env, tiny_chat, tmp_path):
    page = tmp_path / "page.txt"
    shutil.copyfile(SEED, page)
    _run([venv / "newsdesk", "batch", page, "--out", tmp_path / "out", "--model", tiny_chat,
          "--cache", tmp_path / "c.sqlite"], cwd=tmp_path, env=env)
    records = [json.loads(x) for x in (tmp_path / "out" / "page.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6 and all(r["translation"] and r["summary"] for r in records)
    # the prompt versions come from the installed prompts/ and the glossary terms from the installed glossary
    versions = {t: tomllib.loads((ROOT / "prompts" / f"{t}.toml").read_text(encoding="utf-8"))["version"]
                for t in ("headline", "translate")}
    assert all(f"{t}@{v}" in records[0]["prompt_version"] for t, v in versions.items())
    assert any(f["category"] == "term" for r in records for f in r["facts"])
