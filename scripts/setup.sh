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
# llama-cpp-python (the default runtime) is built from source by pip: a few minutes once, then pip reuses the built
# wheel. It is built for this machine's CPU (GGML_NATIVE); the multimodal library is not needed. For a wheel that
# runs on other x86 CPUs too, set CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON".
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}"
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "setup.sh: building llama-cpp-python for this CPU (once; a few minutes)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check "llama-cpp-python>=0.3.16" \
    || echo "setup.sh: llama-cpp-python did not build (needs gcc, g++ and cmake); newsdesk will say so and" \
            "--runtime transformers still works" >&2
fi
# extras: [archive] (Ray, for `newsdesk archive`) by default; the tests ask for [test], which includes it
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${NEWSDESK_EXTRAS:-[archive]}"
.venv/bin/newsdesk models fetch
