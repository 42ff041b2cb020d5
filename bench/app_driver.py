"""Drive the Streamlit app in real Chromium: open pages, draw, upload, time the answers.

Used by the browser tests (``tests/test_browser.py``) and the app benchmark (``bench/app.py``), with the
server from ``bench/app_server.py``::

    with AppServer(log_path=Path("reports/app.log")) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = AppPage.open(browser, server.url)
        page.arm("draw")
        page.draw([[(0.5, 0.1), (0.5, 0.9)]])  # one vertical stroke, canvas coordinates in 0..1
        result = page.wait_result()  # verdict text, chart count, milliseconds from mouse-up to charts

Timing happens inside the page (``performance.now()``): from the mouse-up (or the arming, for uploads)
to the first moment the script run it caused has finished and the result's charts are drawn.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # importable without Playwright: bench/app.py says it is missing
    PlaywrightTimeoutError = TimeoutError
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
VIEWPORT = {"width": 1280, "height": 1000}


def chromium_path() -> str | None:
    """Debian's Chromium binary, or None when the package is not installed."""
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else None


def launch_chromium(playwright, **options):
    """Headless Chromium from Debian driven by Playwright (a ``playwright.sync_api.Playwright``)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True, **options)


# --- the page -----------------------------------------------------------------------------------------------

# Installed before any page script. Follows the server's messages on the app's WebSocket: which script runs
# started (ForwardMsg.new_session, field 4) and finished (ForwardMsg.script_finished, field 6), when. The
# page's data-test-script-state attribute alone misses runs: React may render "running" and "notRunning"
# from two quick messages in one go, so the attribute never changes. Also records mouse-ups and what the
# page sends (rerun requests carry the widget states, the canvas's PNG included).
_INIT_SCRIPT = """
(() => {
  const bnn = (window.__bnn = { runs: [], mouseUps: [], arms: [], sends: [], watch: null });
  // The top-level fields of a protobuf message: field number -> varint value, or true for other wire types.
  const topFields = (buffer) => {
    const bytes = new Uint8Array(buffer);
    const fields = {};
    let i = 0;
    const varint = () => {
      let value = 0, scale = 1, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80 && i < bytes.length);
      return value;
    };
    while (i < bytes.length) {
      const key = varint(), field = Math.floor(key / 8), wire = key % 8;
      if (wire === 0) fields[field] = varint();
      else if (wire === 2) { const length = varint(); i += length; fields[field] = true; }  // not i += varint()
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else break;
    }
    return fields;
  };
  const FINISHED = { 0: "finished", 1: "compileError", 2: "interrupted", 3: "fragmentFinished" };
  const onMessage = (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    const fields = topFields(event.data);
    const t = performance.now();
    if (fields[4] === true) bnn.runs.push({ state: "running", t });
    if (6 in fields) bnn.runs.push({ state: FINISHED[fields[6]] || "finished?", t });
    if (bnn.watch) bnn.check();
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", onMessage);
    }
    send(data) {
      bnn.sends.push([performance.now(), data.byteLength ?? data.size ?? data.length]);
      return super.send(data);
    }
  };
  window.addEventListener("mouseup", () => bnn.mouseUps.push(performance.now()), true);
  // The page is idle when connected, not running and nothing on it is stale.
  bnn.idle = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
      && app.getAttribute("data-test-script-state") === "notRunning"
      && !document.querySelector('[data-stale="true"]');
  };
  // The first script run that started at or after ``mark`` and ran to its end: {runStart, runEnd} or null.
  // A run interrupted by a newer one does not count; the newer one does.
  bnn.finishedRunAfter = (mark) => {
    let start = null;
    for (const run of bnn.runs) {
      if (run.t < mark) continue;
      if (run.state === "running") start = run.t;
      else if (start !== null && (run.state === "finished" || run.state === "fragmentFinished")) {
        const later = bnn.runs.some((other) => other.state === "running" && other.t > run.t);
        if (!later) return { runStart: start, runEnd: run.t };
      }
    }
    return null;
  };
  // A result has settled when a script run that started after the trigger has finished, the page is idle,
  // and the result container holds either a verdict with its charts drawn or a message.
  bnn.check = () => {
    const w = bnn.watch;
    if (!w || w.done !== null) return;
    const t0 = Math.max(w.armedAt, ...bnn.mouseUps.filter((t) => t >= w.armedAt));
    const run = bnn.finishedRunAfter(t0);
    if (!run || !bnn.idle()) return;
    const box = document.querySelector(".st-key-result-" + w.suffix);
    if (!box) return;
    const verdict = box.querySelector(".st-key-verdict-" + w.suffix);
    const charts = [...box.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const drawn = charts.filter((chart) => chart.querySelector(".main-svg")).length;
    const alerts = box.querySelectorAll('[data-testid="stAlert"], [data-testid="stAlertContainer"]').length;
    if (verdict ? drawn < Math.max(w.minCharts, charts.length) : alerts === 0) return;
    w.done = performance.now();
    w.t0 = t0;
    // The phases as this page saw them: trigger -> script run starts -> run ends -> charts drawn.
    w.runStart = run.runStart;
    w.runEnd = run.runEnd;
  };
  new MutationObserver(() => bnn.watch && bnn.check()).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  setInterval(() => bnn.watch && bnn.check(), 15);
})();
"""


# Called on Fabric's upper canvas with a point in 0..1 canvas coordinates. Shadow roots and documents both
# have elementFromPoint, so this works for the component in the page and in an iframe alike.
_CANVAS_READY = """(upper, [fx, fy]) => {
  const lower = upper.parentElement && upper.parentElement.querySelector("canvas.lower-canvas");
  if (!lower || lower.getContext("2d").getImageData(0, 0, 1, 1).data[3] === 0) return false;
  const rect = upper.getBoundingClientRect();
  const x = rect.left + Math.min(Math.max(fx, 0.01), 0.99) * rect.width;
  const y = rect.top + Math.min(Math.max(fy, 0.01), 0.99) * rect.height;
  return upper.getRootNode().elementFromPoint(x, y) === upper;
}"""


@dataclass(frozen=True)
class Result:
    """What one input's result container shows once settled."""

    suffix: str  # "draw", "upload-0", "test", "example-<name>"
    text: str  # all text of the result container
    verdict: str | None  # text of the verdict container, None when there is none
    charts: int  # Plotly charts drawn inside the result container
    alerts: list[str]  # texts of info / warning / error boxes in the result container, outside the verdict
    milliseconds: float  # from the trigger (mouse-up, else arming) to the settled result
    # ``milliseconds`` in three parts: trigger to script-run start (the canvas's 200 ms send delay, the
    # socket and any queue), the run as the page saw it, and run end to charts drawn (browser rendering).
    to_run_ms: float = float("nan")
    run_ms: float = float("nan")
    render_ms: float = float("nan")

    @property
    def bayesian(self) -> int | None:
        """The digit after ``Bayesian:`` in the verdict."""
        return _digit_after("Bayesian", self.verdict)

    @property
    def deterministic(self) -> int | None:
        return _digit_after("Deterministic", self.verdict)


def _digit_after(name: str, text: str | None) -> int | None:
    match = re.search(rf"{name}\W*(\d)", text or "")
    return int(match.group(1)) if match else None


class AppPage:
    """One browser page (its own context, so its own Streamlit session) on the running app."""

    def __init__(self, page):
        self.page = page
        self._run_mark = 0.0
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    @classmethod
    def open(cls, browser, url: str, timeout: float = 120.0) -> AppPage:
        """A fresh context and page on ``url``, returned once the first script run has finished."""
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(_INIT_SCRIPT)
        app_page = cls(context.new_page())
        app_page.page.goto(url, timeout=timeout * 1000)
        app_page.wait_until_idle(timeout)
        app_page.canvas().wait_for(state="visible", timeout=timeout * 1000)
        return app_page

    def close(self) -> None:
        self.page.context.close()

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        """Until the app is connected, no script runs and nothing on the page is stale."""
        self._wait_for("() => window.__bnn.idle()", timeout, "the page was not idle")

    def _wait_for(self, condition: str, timeout: float, failure: str, arg=None) -> None:
        """Until the JavaScript ``condition`` holds; else `TimeoutError`: ``failure`` and what the page shows."""
        try:
            self.page.wait_for_function(condition, arg=arg, timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            raise TimeoutError(f"{failure} after {timeout:.0f} s; {self.describe()}") from None

    def arm_run(self) -> None:
        """Remember now: the next `wait_run` waits for a script run that starts after this."""
        self._run_mark = self.page.evaluate("() => performance.now()")

    def wait_run(self, timeout: float = 60.0) -> None:
        """Until a script run that started after `arm_run` has finished and the page is idle."""
        condition = "(mark) => window.__bnn.finishedRunAfter(mark) !== null && window.__bnn.idle()"
        self._wait_for(condition, timeout, "no finished script run", arg=self._run_mark)

    # --- finding things -------------------------------------------------------------------------------------

    def canvas(self):
        """The drawing canvas's event layer (Fabric's upper canvas), in the page or in a component iframe."""
        root = self.page
        if self.page.locator("iframe[title*='st_canvas']").count():  # streamlit-drawable-canvas < 0.10
            root = self.page.frame_locator("iframe[title*='st_canvas']")
        return root.locator(".st-key-canvas canvas.upper-canvas, canvas.upper-canvas").first

    def canvas_button(self, label: str):
        """A canvas toolbar button by its label: "Undo", "Redo", "Reset canvas & history"."""
        return self.page.locator(f"button[aria-label='{label}']").first

    def result(self, suffix: str):
        return self.page.locator(f".st-key-result-{suffix}")

    def verdict(self, suffix: str):
        return self.page.locator(f".st-key-verdict-{suffix}")

    def tab(self, name: str, timeout: float = 60.0) -> None:
        """Open a tab by its label ("Draw", "Upload", ...) and wait for the script run that fills it."""
        tab = self.page.get_by_role("tab", name=name, exact=True)
        if tab.get_attribute("aria-selected") == "true":
            return
        self.arm_run()
        tab.click()
        self.wait_run(timeout)

    # --- doing things ---------------------------------------------------------------------------------------

    def arm(self, suffix: str = "draw", min_charts: int = 1) -> None:
        """Start watching ``result-<suffix>``: the next `wait_result` reports the first settled result after now."""
        self.page.evaluate(
            """([suffix, minCharts]) => {
              window.__bnn.watch = { suffix, minCharts, armedAt: performance.now(), done: null, t0: null };
              window.__bnn.arms.push([suffix, window.__bnn.watch.armedAt]);
            }""",
            [suffix, min_charts],
        )

    def press_strokes(self, strokes, steps: int = 6) -> None:
        """Draw ``strokes`` with the mouse, leaving the button down at the end of the last one.

        Each stroke is a list of (x, y) points in 0..1 canvas coordinates, (0, 0) the top left; the mouse
        moves in ``steps`` small moves between points, as a hand would. `release` ends the last stroke.
        """
        canvas = self.canvas()
        box = canvas.bounding_box()
        if box is None:
            raise RuntimeError("the drawing canvas is not visible")
        mouse = self.page.mouse

        def at(point):
            return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

        for index, stroke in enumerate(strokes):
            mouse.move(*at(stroke[0]))
            self.wait_canvas_ready(stroke[0])
            mouse.down()
            for point in stroke[1:]:
                mouse.move(*at(point), steps=steps)
            if index < len(strokes) - 1:
                mouse.up()

    def wait_canvas_ready(self, point=(0.5, 0.5), timeout: float = 30.0) -> None:
        """Until a stroke can start at ``point`` (0..1 canvas coordinates): the drawing has loaded and nothing
        covers the point.

        Until Fabric has loaded the initial drawing (painting its background) the pen is not set up, and the
        canvas toolbar lies over the top of the canvas until the mouse has been over it a moment; a press
        before either is lost.
        """
        canvas = self.canvas()
        deadline = time.monotonic() + timeout
        while not canvas.evaluate(_CANVAS_READY, list(point)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the canvas was not ready for a stroke at {point} after {timeout:.0f} s")
            time.sleep(0.05)

    def press_digit(self, strokes, min_charts: int = 2, timeout: float = 120.0) -> None:
        """Draw a digit's ``strokes`` and arm the draw result, leaving the mouse down on the last stroke.

        Earlier strokes are finished and answered first, so the armed result belongs to the final mouse-up.
        """
        if len(strokes) > 1:
            self.arm("draw")
            self.draw(strokes[:-1])
            self.wait_result(timeout)
        self.arm("draw", min_charts)
        self.press_strokes(strokes[-1:])

    def release(self) -> None:
        self.page.mouse.up()

    def draw(self, strokes, steps: int = 6) -> None:
        """Draw ``strokes`` (see `press_strokes`) and release the mouse."""
        self.press_strokes(strokes, steps)
        self.release()

    def clear_canvas(self) -> None:
        """Press the canvas toolbar's bin ("Reset canvas & history"); the toolbar shows on hover."""
        self.canvas().hover()
        self.canvas_button("Reset canvas & history").click()

    def upload(self, files) -> None:
        """Give the Upload tab's file uploader ``files``: (name, mime type, bytes) triples, all at once."""
        self.tab("Upload")
        chooser = self.page.locator("[data-testid='stFileUploaderDropzoneInput']").first
        chooser.set_input_files([{"name": name, "mimeType": mime, "buffer": data} for name, mime, data in files])

    def wait_result(self, timeout: float = 60.0) -> Result:
        """The armed result once settled (see `arm`); raises `TimeoutError` saying what the page shows otherwise."""
        self._wait_for("() => window.__bnn.watch && window.__bnn.watch.done !== null", timeout, "no settled result")
        return self.read_result()

    def describe(self) -> str:
        """What the page's watch and Streamlit show now: for the message of a timeout."""
        state = self.page.evaluate(
            """() => {
              const app = document.querySelector('[data-testid="stApp"]');
              const w = window.__bnn.watch;
              const box = w && document.querySelector(".st-key-result-" + w.suffix);
              return {
                now: performance.now(),
                watch: w,
                runs: window.__bnn.runs.slice(-8).map((run) => `${run.state} ${Math.round(run.t)}`),
                mouseUps: window.__bnn.mouseUps.slice(-4).map(Math.round),
                arms: window.__bnn.arms.slice(-4).map(([suffix, t]) => `${suffix} ${Math.round(t)}`),
                sends: window.__bnn.sends.slice(-4).map(([t, bytes]) => `${Math.round(t)}: ${bytes} B`),
                script: app && app.getAttribute("data-test-script-state"),
                connection: app && app.getAttribute("data-test-connection-state"),
                stale: document.querySelectorAll('[data-stale="true"]').length,
                charts: box ? box.querySelectorAll('[data-testid="stPlotlyChart"]').length : null,
                drawnCharts: box ? box.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length : null,
                text: box ? box.innerText.slice(0, 200) : null,
              };
            }"""
        )
        return json.dumps(state)

    def result_done(self) -> bool:
        """True once the armed result has settled (for polling several pages without blocking)."""
        return bool(self.page.evaluate("() => !!(window.__bnn.watch && window.__bnn.watch.done !== null)"))

    def read_result(self) -> Result:
        """The armed result container's contents and its timing."""
        data = self.page.evaluate(
            """() => {
              const w = window.__bnn.watch;
              const box = document.querySelector(".st-key-result-" + w.suffix);
              const verdict = box && box.querySelector(".st-key-verdict-" + w.suffix);
              const alerts = box ? [...box.querySelectorAll('[data-testid="stAlert"]')] : [];
              const messages = alerts.filter((alert) => !(verdict && verdict.contains(alert)));
              return {
                suffix: w.suffix,
                text: box ? box.innerText : "",
                verdict: verdict ? verdict.innerText : null,
                charts: box ? box.querySelectorAll('[data-testid="stPlotlyChart"]').length : 0,
                alerts: messages.map((alert) => alert.innerText),
                milliseconds: w.done === null ? NaN : w.done - w.t0,
                to_run_ms: w.done === null ? NaN : w.runStart - w.t0,
                run_ms: w.done === null ? NaN : w.runEnd - w.runStart,
                render_ms: w.done === null ? NaN : w.done - w.runEnd,
              };
            }"""
        )
        return Result(**data)

    def chart_traces(self, suffix: str, chart: str | None = None) -> list[list[dict]]:
        """Plotly charts of ``result-<suffix>`` (only the one keyed ``<chart>-<suffix>`` when ``chart`` is given,
        e.g. "votes"): each chart's traces as {type, name, orientation, x, y} (Plotly's decoded data)."""
        selector = f".st-key-result-{suffix}" + (f" .st-key-{chart}-{suffix}" if chart else "") + " .js-plotly-plot"
        return self.page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)].map(
              (plot) => (plot._fullData || []).map((trace) => ({
                type: trace.type, name: trace.name || "", orientation: trace.orientation || "v",
                x: trace.x ? Array.from(trace.x) : [], y: trace.y ? Array.from(trace.y) : [],
              })))""",
            selector,
        )

    def votes(self, suffix: str) -> list[float]:
        """The bar heights of the vote histogram (chart ``votes-<suffix>``): how many samples voted 0..9."""
        bars = [trace for chart in self.chart_traces(suffix, "votes") for trace in chart if trace["type"] == "bar"]
        if len(bars) != 1:
            raise AssertionError(f"expected one bar trace in votes-{suffix}, found {len(bars)}")
        return bars[0]["y"]

    # --- sidebar widgets ------------------------------------------------------------------------------------

    def slider(self, label: str):
        """The thumb of the slider labelled ``label`` (``role=slider``; keyboard: arrows, Home, End)."""
        return self.page.locator("[data-testid='stSlider']").filter(has_text=label).get_by_role("slider")

    def slider_value(self, label: str) -> str:
        """The value the slider ``label`` shows, as text."""
        return self.slider(label).input_value()

    def set_slider_with_key(self, label: str, key: str) -> None:
        """Focus the slider ``label`` and press ``key`` ("Home", "End", "ArrowRight", ...) as a user would."""
        thumb = self.slider(label)
        thumb.focus()
        thumb.press(key)

    def select(self, label: str, option: str | None = None) -> str:
        """Choose ``option`` in the selectbox ``label`` (default: the first one not chosen now); returns it."""
        box = self.page.locator("[data-testid='stSelectbox']").filter(has_text=label)
        box.click()
        options = self.page.get_by_role("option")
        options.first.wait_for()
        names = [name.strip() for name in options.all_inner_texts()]
        if option is None:
            current = box.inner_text().replace(label, "").strip()
            option = next((name for name in names if name != current), names[0])
        options.filter(has_text=option).first.click()
        return option

    def options(self, label: str) -> list[str]:
        """The options of the selectbox ``label`` (opens and closes its menu)."""
        box = self.page.locator("[data-testid='stSelectbox']").filter(has_text=label)
        box.click()
        options = self.page.get_by_role("option")
        options.first.wait_for()
        names = [name.strip() for name in options.all_inner_texts()]
        self.page.keyboard.press("Escape")
        return names

    def screenshot(self, path: str | Path) -> Path:
        """The whole page, including what is scrolled out of view in Streamlit's main area."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        height = self.page.evaluate(
            """() => Math.max(window.innerHeight, ...[...document.querySelectorAll(
              '[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')].map((el) => el.scrollHeight))"""
        )
        size = self.page.viewport_size
        if size and height > size["height"]:
            self.page.set_viewport_size({"width": size["width"], "height": min(int(height), 6000)})
            self.page.wait_for_timeout(300)  # charts resize to the new layout
        try:
            self.page.screenshot(path=str(path))
        finally:
            if size:
                self.page.set_viewport_size(size)
        return path


# --- timing ---------------------------------------------------------------------------------------------------


def timing_stroke(index: int) -> list[list[tuple[float, float]]]:
    """The ``index``-th stroke of a timing run: a "1" (even) or a "0" (odd), each a little different.

    Slant and size change with ``index`` so that no answer comes from the app's prediction cache.
    """
    wobble = (index % 7 - 3) / 100
    if index % 2 == 0:  # one vertical stroke, slanted a little
        return [[(0.5 + wobble, 0.12), (0.5 - wobble, 0.88)]]
    radius_x, radius_y = 0.27 + wobble, 0.38 - wobble / 2  # one closed loop
    return [
        [
            (0.5 + radius_x * math.sin(angle), 0.5 - radius_y * math.cos(angle))
            for angle in (2 * math.pi * step / 12 for step in range(13))
        ]
    ]


def timing_digit(index: int) -> int:
    """The digit `timing_stroke` draws."""
    return 1 if index % 2 == 0 else 0


def percentiles(values: list[float]) -> dict:
    """p50 / p90 / min / max / count of ``values`` (milliseconds or seconds)."""
    if not values:
        return {"p50": None, "p90": None, "min": None, "max": None, "count": 0}
    return {
        "p50": float(np.percentile(values, 50)),
        "p90": float(np.percentile(values, 90)),
        "min": float(min(values)),
        "max": float(max(values)),
        "count": len(values),
    }


def time_strokes(page: AppPage, count: int, timeout: float = 120.0, first_index: int = 0) -> list[Result]:
    """Draw ``count`` timing strokes one after another on a cleared canvas; each one's settled result.

    The canvas is cleared (and that answer awaited) between strokes, as a user drawing digit after digit.
    """
    results = []
    for index in range(first_index, first_index + count):
        page.arm("draw", min_charts=2)
        page.draw(timing_stroke(index))
        result = page.wait_result(timeout)
        if result.verdict is None:
            raise AssertionError(f"stroke {index} was answered without a verdict: {page.describe()}")
        results.append(result)
        page.arm("draw")
        page.clear_canvas()
        page.wait_result(timeout)
    return results


def release_together(pages: list[AppPage], timeout: float = 120.0) -> list[Result]:
    """Release the mouse on every page at once (each holding a stroke and armed); their settled results.

    The mouse-ups come within milliseconds, so the server answers the sessions concurrently.
    """
    for page in pages:
        page.release()
    deadline = time.monotonic() + timeout
    waiting = list(pages)
    while waiting:
        waiting = [page for page in waiting if not page.result_done()]
        if waiting and time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting)} of {len(pages)} pages had no answer after {timeout:.0f} s")
        time.sleep(0.02)
    return [page.read_result() for page in pages]


def draw_together(pages: list[AppPage], index: int = 0, timeout: float = 120.0) -> list[Result]:
    """Every page draws a timing stroke with the mouse held down, then all release at once; their results.

    Page ``i`` draws stroke ``index + i``, so neighbouring pages draw different digits; the canvases are
    cleared afterwards, ready for the next round.
    """
    for offset, page in enumerate(pages):
        page.arm("draw", min_charts=2)
        page.press_strokes(timing_stroke(index + offset))
    results = release_together(pages, timeout)
    for page in pages:
        page.arm("draw")
        page.clear_canvas()
    for page in pages:
        page.wait_result(timeout)
    return results
