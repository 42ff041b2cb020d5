"""Debian's headless Chromium, driven by Playwright: where it is and how it is launched."""

from __future__ import annotations

import os

CHROMIUM = "/usr/bin/chromium"  # Debian's `chromium` package; `playwright install` cannot download one here
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Pages that are not in front keep full-speed timers, so concurrent pages are timed fairly.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


def chromium_path() -> str | None:
    """Debian's Chromium binary, or None when the package is not installed."""
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else None


def launch_chromium(playwright, **options):
    """Headless Chromium from Debian driven by Playwright (a ``playwright.sync_api.Playwright``)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True, **options)
