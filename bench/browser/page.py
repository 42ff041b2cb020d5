"""One page of the Streamlit app in Chromium: open it, draw, upload, read the result and its timing.

Timing happens inside the page (``performance.now()``): from the mouse-up (or the arming, for uploads)
to the first moment the script run it caused has finished and the result's charts are drawn, and apart
from that to the first moment the new verdict's text is shown. Script runs are seen on the app's WebSocket
(`bench.browser.messages`).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bench.browser.messages import RECORD_SCRIPT_RUNS

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # importable without Playwright: bench/app.py says it is missing
    PlaywrightTimeoutError = TimeoutError

VIEWPORT = {"width": 1280, "height": 1000}
MOBILE = {
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}  # Chromium's mobile emulation, with a viewport

# Installed in every page before its own scripts; the WebSocket hook first: the order of several is not defined.
_INIT_SCRIPT = RECORD_SCRIPT_RUNS + Path(__file__).with_name("page.js").read_text()


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
    # From the trigger to the new verdict's text shown (before the charts; NaN without a verdict), and to the
    # page's first message after it (for a stroke: the canvas component sending the drawing, after its delay).
    verdict_ms: float = float("nan")
    to_send_ms: float = float("nan")

    @property
    def digit(self) -> int | None:
        """The sampled network's digit: the verdict's first answer ("Bayesian: 3", "MC dropout: 3", ...)."""
        match = re.match(r"\W*[^:·]+:\W*(\d)", self.verdict or "")
        return int(match.group(1)) if match else None

    @property
    def deterministic(self) -> int | None:
        match = re.search(r"Deterministic\W*(\d)", self.verdict or "")
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
    def open(cls, browser, url: str, timeout: float = 120.0, viewport: dict | None = None, **device) -> AppPage:
        """A fresh context and page on ``url`` (``viewport``: width and height in CSS pixels, `VIEWPORT` unless
        given), returned once the first script run has finished. ``device``: more of Playwright's context options,
        e.g. `MOBILE` (mobile emulation: a touch screen, the mobile viewport, device pixels)."""
        context = browser.new_context(viewport=viewport or VIEWPORT, **device)
        context.add_init_script(_INIT_SCRIPT)
        app_page = cls(context.new_page())
        app_page.page.goto(url, timeout=timeout * 1000)
        app_page.wait_until_settled(timeout)
        app_page.canvas().wait_for(state="visible", timeout=timeout * 1000)
        return app_page

    def close(self) -> None:
        self.page.context.close()

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        """Until the app is connected, no script runs and nothing on the page is stale."""
        self._wait_for("() => window.__bnn.idle()", timeout, "the page was not idle")

    def wait_until_settled(self, timeout: float = 60.0, quiet: float = 0.3) -> None:
        """Until the page is idle and no script run starts for ``quiet`` seconds: as a page opens, the Number tab
        reports its column's width, which reruns that panel once more when the column is narrower than its canvas
        (a stroke drawn before would be answered by that run)."""
        deadline = time.monotonic() + timeout
        state = "() => [window.__bnn.idle(), window.__bnn.runs.length]"
        while True:
            self.wait_until_idle(max(deadline - time.monotonic(), 1.0))
            _, runs = self.page.evaluate(state)
            time.sleep(quiet)
            idle, later = self.page.evaluate(state)
            if idle and later == runs:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page kept running scripts for {timeout:.0f} s; {self.describe()}")

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

    def canvas(self, key: str = "canvas"):
        """The event layer (Fabric's upper canvas) of the drawing canvas keyed ``key`` ("canvas": the Draw tab's,
        "number-canvas": the Number tab's), in the page or in a component iframe."""
        root = self.page
        if self.page.locator("iframe[title*='st_canvas']").count():  # streamlit-drawable-canvas < 0.10
            root = self.page.frame_locator("iframe[title*='st_canvas']")
        keyed = root.locator(f".st-key-{key} canvas.upper-canvas")
        if key != "canvas" or keyed.count():
            return keyed.first
        return root.locator("canvas.upper-canvas").first  # the first canvas: the Draw tab's

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

    def keyed(self, key: str):
        """What Streamlit drew for the container or widget keyed ``key``: it carries the class ``st-key-<key>``."""
        return self.page.locator(f".st-key-{key}")

    def expander(self, label: str, key: str | None = None):
        """The expander whose label starts with ``label`` (only inside the element keyed ``key`` when given)."""
        root = self.keyed(key) if key else self.page
        title = self.page.locator("summary [data-testid='stMarkdownContainer']")  # the label, without the icon
        title = title.filter(has_text=re.compile("^" + re.escape(label)))
        return root.locator("[data-testid='stExpander']").filter(has=title)  # ``has`` looks inside each expander

    def open_expander(self, label: str, key: str | None = None, rerun: bool = True, timeout: float = 60.0) -> None:
        """Open the expander ``label`` (see `expander`) by clicking its label, as a user would.

        With ``rerun`` (an expander made with ``on_change="rerun"``, whose content is computed only while it is
        open) this waits for the script run the click starts.
        """
        expander = self.expander(label, key)
        if expander.count() != 1:
            raise AssertionError(f"{expander.count()} expanders labelled {label!r}{f' in {key}' if key else ''}")
        if expander.locator("details").get_attribute("open") is not None:
            return
        self.arm_run()
        expander.locator("summary").click()
        if rerun:
            self.wait_run(timeout)

    # --- doing things ---------------------------------------------------------------------------------------

    def arm(self, suffix: str = "draw", min_charts: int = 1, verdict_parts: int = 1) -> None:
        """Start watching ``result-<suffix>``: the next `wait_result` reports the first settled result after now.

        A verdict counts as shown (``Result.verdict_ms``) once ``verdict-<suffix>`` holds ``verdict_parts``
        elements from the new script run (app.py's: the headline, the "sure" / "not sure" box, the sentence).
        """
        self.page.evaluate("(args) => window.__bnn.arm(...args)", [suffix, min_charts, verdict_parts])

    def press_strokes(self, strokes, steps: int = 6, canvas: str = "canvas") -> None:
        """Draw ``strokes`` with the mouse, leaving the button down at the end of the last one.

        Each stroke is a list of (x, y) points in 0..1 canvas coordinates, (0, 0) the top left; the mouse
        moves in ``steps`` small moves between points, as a hand would. `release` ends the last stroke.
        ``canvas``: the key of the canvas to draw on (see `canvas`).
        """
        box = self.canvas(canvas).bounding_box()
        if box is None:
            raise RuntimeError("the drawing canvas is not visible")
        mouse = self.page.mouse

        def at(point):
            return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

        for index, stroke in enumerate(strokes):
            mouse.move(*at(stroke[0]))
            self.wait_canvas_ready(stroke[0], canvas=canvas)
            mouse.down()
            for point in stroke[1:]:
                mouse.move(*at(point), steps=steps)
            if index < len(strokes) - 1:
                mouse.up()

    def wait_canvas_ready(self, point=(0.5, 0.5), timeout: float = 30.0, canvas: str = "canvas") -> None:
        """Until a stroke can start at ``point`` (0..1 canvas coordinates): the drawing has loaded and nothing
        covers the point.

        Until Fabric has loaded the initial drawing (painting its background) the pen is not set up, and the
        canvas toolbar lies over the top of the canvas until the mouse has been over it a moment; a press
        before either is lost.
        """
        upper = self.canvas(canvas)
        deadline = time.monotonic() + timeout
        while not upper.evaluate("(upper, point) => window.__bnn.canvasReady(upper, point)", list(point)):
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

    def touch_strokes(self, strokes, steps: int = 6, canvas: str = "canvas") -> None:
        """Draw ``strokes`` (see `press_strokes`) with a finger on the canvas keyed ``canvas``: touch events, as a
        phone sends them (Chromium's DevTools protocol; the page needs a touch screen, see `MOBILE`)."""
        box = self.canvas(canvas).bounding_box()
        if box is None:
            raise RuntimeError("the drawing canvas is not visible")
        session = self.page.context.new_cdp_session(self.page)

        def touch(kind: str, *point) -> None:  # no point: the finger is lifted
            fingers = [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]} for x, y in point]
            session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": fingers})

        try:
            for stroke in strokes:
                self.wait_canvas_ready(stroke[0], canvas=canvas)
                touch("touchStart", stroke[0])
                for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
                    for step in range(1, steps + 1):
                        touch("touchMove", (x0 + step / steps * (x1 - x0), y0 + step / steps * (y1 - y0)))
                touch("touchEnd")
        finally:
            session.detach()

    def draw(self, strokes, steps: int = 6, canvas: str = "canvas") -> None:
        """Draw ``strokes`` (see `press_strokes`) on the canvas keyed ``canvas`` and release the mouse."""
        self.press_strokes(strokes, steps, canvas)
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
        state = self.page.evaluate("() => window.__bnn.describe()")
        return json.dumps(state)

    def result_done(self) -> bool:
        """True once the armed result has settled (for polling several pages without blocking)."""
        return bool(self.page.evaluate("() => !!(window.__bnn.watch && window.__bnn.watch.done !== null)"))

    def read_result(self) -> Result:
        """The armed result container's contents and its timing."""
        data = self.page.evaluate("() => window.__bnn.readResult()")
        return Result(**data)

    def chart_traces(self, suffix: str, chart: str | None = None) -> list[list[dict]]:
        """Plotly charts of ``result-<suffix>`` (only the one keyed ``<chart>-<suffix>`` when ``chart`` is given,
        e.g. "votes"): each chart's traces as {type, name, orientation, x, y} (Plotly's decoded data)."""
        selector = f".st-key-result-{suffix}" + (f" .st-key-{chart}-{suffix}" if chart else "") + " .js-plotly-plot"
        return self.page.evaluate("(selector) => window.__bnn.chartTraces(selector)", selector)

    def votes(self, suffix: str) -> list[float]:
        """The bar heights of the vote histogram (chart ``votes-<suffix>``): how many samples voted 0..9."""
        bars = [trace for chart in self.chart_traces(suffix, "votes") for trace in chart if trace["type"] == "bar"]
        if len(bars) != 1:
            raise AssertionError(f"expected one bar trace in votes-{suffix}, found {len(bars)}")
        return bars[0]["y"]

    def drawn_charts(self, key: str) -> int:
        """How many Plotly charts inside the element keyed ``key`` are drawn (Plotly has made their SVG)."""
        return self.keyed(key).locator(".js-plotly-plot:has(.main-svg)").count()

    def wait_drawn(self, key: str, min_charts: int = 1, timeout: float = 60.0) -> None:
        """Until the page is idle and the element keyed ``key`` is drawn: at least ``min_charts`` Plotly charts,
        every one of its charts drawn and every one of its images loaded."""
        condition = "([key, minCharts]) => window.__bnn.drawn(key, minCharts)"
        self._wait_for(condition, timeout, f"{key} was not drawn with {min_charts} charts", arg=[key, min_charts])

    def image_rows(self, key: str) -> list[list[str]]:
        """The image elements inside the element keyed ``key``, in page order: each one's captions, one per
        picture (one ``st.image`` call with a list of pictures is one row)."""
        return self.keyed(key).evaluate("(box) => window.__bnn.imageRows(box)")

    def captions(self, key: str) -> list[str]:
        """The texts of the ``st.caption`` elements inside the element keyed ``key``."""
        return self.keyed(key).locator("[data-testid='stCaptionContainer']").all_inner_texts()

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
        height = self.page.evaluate("() => window.__bnn.pageHeight()")
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
