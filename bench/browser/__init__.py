"""Drive the Streamlit app in real Chromium: start the server, open pages, draw, upload, time the answers.

Used by the browser tests (``tests/system/test_browser.py``) and the app benchmark (``bench/app.py``)::

    with AppServer(log_path=Path("reports/app.log")) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = AppPage.open(browser, server.url)
        page.arm("draw")
        page.draw([[(0.5, 0.1), (0.5, 0.9)]])  # one vertical stroke, canvas coordinates in 0..1
        result = page.wait_result()  # verdict text, chart count, milliseconds from mouse-up to charts

Modules: ``server`` (``streamlit run app.py`` as a child process, its memory; no browser needed),
``chromium`` (Debian's Chromium under Playwright), ``messages`` (the script runs the page hears on
Streamlit's WebSocket), ``page`` (one app page: draw, upload, read the result and its timing; its JavaScript
is ``page.js``) and
``timing`` (timed strokes, several pages drawing at once; each answer's verdict-shown and charts-drawn times); without a browser, ``session`` (one page's
WebSocket conversation replayed: the load generator of ``bench/load.py``) and ``proxy`` (``scripts/serve_many.sh``:
several app processes behind nginx, and nginx's access log).
"""

from bench.browser.chromium import chromium_path, launch_chromium
from bench.browser.page import MOBILE, AppPage, Result
from bench.browser.server import AppServer, AppServerError, MemorySampler
from bench.browser.timing import (
    draw_together,
    release_together,
    time_strokes,
    timing_digit,
    timing_stroke,
)

__all__ = [
    "MOBILE",
    "AppPage",
    "AppServer",
    "AppServerError",
    "MemorySampler",
    "Result",
    "chromium_path",
    "draw_together",
    "launch_chromium",
    "release_together",
    "time_strokes",
    "timing_digit",
    "timing_stroke",
]
