#!/usr/bin/env bash
# Sets up everything the tests need (venv, embedded model, test tools) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
NEWSDESK_EXTRAS="[test]" bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
