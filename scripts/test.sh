#!/usr/bin/env bash
# Sets up everything the tests need (venv, embedded model, test tools) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The web UI's browser tests drive Debian's Chromium through Playwright (never `playwright install`); CJK fonts
# make the pages legible in screenshots. Installed from Debian when missing (needs root, or sudo without a password).
if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  echo "test.sh: installing chromium and fonts-noto-cjk from Debian for the browser tests" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
       chromium fonts-noto-cjk >/dev/null \
    || echo "test.sh: could not install chromium; the browser tests will fail until it is installed" >&2
fi
NEWSDESK_EXTRAS="[test]" bash scripts/setup.sh
.venv/bin/ruff check .  # pyflakes, pycodestyle and bugbear rules (pyproject.toml [tool.ruff])
.venv/bin/python -m pytest "$@"
