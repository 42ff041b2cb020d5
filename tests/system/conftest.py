"""Fixtures of the system tests that drive the app in Chromium: the browser, the app's server, the screenshots
folder and fresh pages (each a browser context: its own Streamlit session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from bench.browser import AppPage, AppServer, chromium_path, launch_chromium

DRAW_TIMEOUT = 120.0  # seconds for one answer; the first one also loads TensorFlow and the networks


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        message = "Chromium is missing: install the Debian package `chromium` (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    app_server = AppServer(
        app=os.environ.get("BNN_BROWSER_APP", "app.py"), log_path=tmp_path_factory.mktemp("streamlit") / "app.log"
    )
    app_server.start(timeout=180)
    yield app_server
    app_server.stop()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("BNN_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder


@pytest.fixture
def open_page(browser, server, screenshot_dir, request):
    """Opens fresh app pages; at teardown saves a screenshot of each and prints what a failure needs.

    Output printed at teardown shows only when the test fails: the server log written during the test,
    the browser console errors and where the screenshots are.
    """
    log_start = len(server.log_text())
    pages: list[AppPage] = []
    name = request.node.name.replace("[", "-").replace("]", "")

    def opener(viewport: dict | None = None, **device) -> AppPage:
        page = AppPage.open(browser, server.url, timeout=DRAW_TIMEOUT, viewport=viewport, **device)
        pages.append(page)
        return page

    opener.shot = lambda page, step: page.screenshot(screenshot_dir / f"{name}-{step}.png")  # the whole page
    opener.view = lambda page, step: page.page.screenshot(path=screenshot_dir / f"{name}-{step}.png")  # in view
    yield opener
    for index, page in enumerate(pages):
        try:
            shot = page.screenshot(screenshot_dir / f"{name}-end-{index}.png")
            print(f"screenshot: {shot}")
        except (PlaywrightError, OSError) as error:  # a broken page must not hide the test's own failure
            print(f"no screenshot of page {index}: {error}")
        if page.console_errors:
            print(f"browser console errors of page {index}:", *page.console_errors, sep="\n  ")
        page.close()
    print("--- server log during the test ---")
    print(server.log_text()[log_start:] or "(empty)")
