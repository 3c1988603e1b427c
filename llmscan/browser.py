"""Render a report in headless Chromium: a screenshot, and the problems a reader would hit (console errors,
network requests, images that do not decode). Used by `llmscan report DIR --screenshot` and the tests."""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

import regex

from llmscan.errors import LlmscanError

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
_CONSOLE = regex.compile(r"CONSOLE\(\d+\)\]? \"(.*?)\"", regex.DOTALL)
_IMG = regex.compile(r"<img[^>]*src='data:image/png;base64,([^']+)'")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise LlmscanError("no Chromium found (Debian: apt-get install chromium)")


def static_problems(html: str) -> list[str]:
    """Remote resources and images that are not valid PNGs."""
    problems = [f"remote resource: {m}" for m in regex.findall(r"(?:src|href)=['\"](https?://[^'\"]+)", html)]
    for i, data in enumerate(_IMG.findall(html)):
        if not base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n"):
            problems.append(f"image {i} is not a PNG")
    return problems


def check_report(report: str | Path, screenshot: str | Path, timeout: float = 120.0) -> list[str]:
    """Screenshot `report` and return every problem found (empty when it renders cleanly)."""
    report, screenshot = Path(report).resolve(), Path(screenshot).resolve()
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2400",
                               f"--screenshot={screenshot}", report.as_uri()],
                              capture_output=True, text=True, timeout=timeout)
    problems = static_problems(report.read_text(encoding="utf-8"))
    problems += [f"console: {m}" for m in _CONSOLE.findall(proc.stderr)]
    if proc.returncode != 0 or not screenshot.exists() or screenshot.stat().st_size < 5000:
        problems.append(f"chromium failed to render (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return problems
