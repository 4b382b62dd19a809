"""Remake docs/screenshot.png: `newsdesk serve` with the embedded model, the seed page pasted and run in
Debian's Chromium (Playwright), the finished page captured.

    .venv/bin/python scripts/screenshot.py [--cache FILE] [--out docs/screenshot.png]

With --cache pointing at a generation cache from an earlier run of the same page (for example
`newsdesk batch corpus/ --cache FILE`), the cards come from that run's real-model outputs in seconds;
without it the model runs the page (about 4 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_fd4f6e000473b793.txt"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, seconds: int = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"newsdesk serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"newsdesk serve did not answer on {url}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help="generation cache to serve from (default: a fresh one; the model runs)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        cache = args.cache or str(Path(tmp) / "cache.sqlite")
        proc = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port), "--cache", cache],
                                cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                                               "GRADIO_TEMP_DIR": str(Path(tmp) / "gradio")})
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_up(url, proc)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1280, "height": 2000})  # the first card, whole
                page.goto(url)
                page.fill("#nd-text textarea", SEED.read_text(encoding="utf-8"))
                page.fill("#nd-name input", "seed_page")
                page.click("#nd-run")
                page.wait_for_selector(".nd-cards[data-state=done]", timeout=900_000)
                page.wait_for_selector("#nd-dl-report", state="visible")
                page.screenshot(path=args.out, full_page=False)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
