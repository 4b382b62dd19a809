#!/usr/bin/env bash
# Creates .venv, installs newsdesk into it and provisions the embedded model (once; cached outside the repo).
# Safe to run again: every step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
# torch first: this pin takes the CPU wheel from the machine's local package store where there is one; a bare
# `torch` requirement with no torch installed would pull a multi-GB CUDA build. Elsewhere use PyTorch's CPU index.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0" \
    || .venv/bin/python -m pip install -q --disable-pip-version-check "torch>=2.4" --index-url https://download.pytorch.org/whl/cpu
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${NEWSDESK_EXTRAS:-}"
.venv/bin/newsdesk models fetch
