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
# On Intel Xeons with AMX (Sapphire Rapids and later), GCC 12 drops the stores that fill the tile configuration of
# llama.cpp's AMX kernels (it does not see that ldtilecfg reads them), and the first prompt dies with SIGILL:
# -fno-dse keeps them (keep these flags in a CMAKE_ARGS of your own too).
FLAGS="-fno-tree-dse -fno-dse"
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DCMAKE_C_FLAGS='$FLAGS' -DCMAKE_CXX_FLAGS='$FLAGS'}"
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "setup.sh: building llama-cpp-python for this CPU (once; a few minutes)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check "llama-cpp-python>=0.3.16" \
    || echo "setup.sh: llama-cpp-python did not build (needs gcc, g++ and cmake); newsdesk will say so and" \
            "--runtime transformers still works" >&2
fi
# extras: [archive] (Ray, for `newsdesk archive`) by default; the tests ask for [test], which includes it
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${NEWSDESK_EXTRAS:-[archive]}"
.venv/bin/newsdesk models fetch
# one prompt through llama.cpp in a child process: a build this CPU cannot run (a stale cached wheel, a miscompile)
# is rebuilt once without AMX, and said so
if .venv/bin/python -c "import llama_cpp" 2>/dev/null && ! .venv/bin/newsdesk models check; then
  echo "setup.sh: rebuilding llama-cpp-python without AMX (a few minutes)" >&2
  FLAGS="-fno-tree-dse -fno-dse -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  CMAKE_ARGS="-DLLAVA_BUILD=OFF -DCMAKE_C_FLAGS='$FLAGS' -DCMAKE_CXX_FLAGS='$FLAGS'" .venv/bin/python -m pip install \
    -q --disable-pip-version-check --force-reinstall --no-deps --no-cache-dir "llama-cpp-python>=0.3.16"
  .venv/bin/newsdesk models check
fi
