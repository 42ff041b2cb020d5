"""A page's conversation with the app over Streamlit's WebSocket, without a browser: the load generator's session.

A session does what a page does when someone draws, as recorded from a real page in Chromium (Streamlit 1.67,
streamlit-drawable-canvas 0.13):

1. ``GET /`` (the page itself); the response's cookies go with everything after it, as a browser sends them.
   Behind ``scripts/serve_many.sh`` one of them is nginx's route cookie, which keeps a page on one process.
2. Open ``ws://HOST:PORT/_stcore/stream`` (subprotocol ``streamlit``, ``Origin`` the page's own address).
3. Send a ``BackMsg`` ``rerun_script`` (a ``ClientState`` with no widget states, no page hash and the
   page's ``context_info``), and read ``ForwardMsg`` frames until ``script_finished``: the first script run.
   Its ``new_session`` names the page script's hash; its deltas hold the canvas (a ``bidi_component`` named
   ``streamlit-drawable-canvas.streamlit_drawable_canvas``) and so the canvas's widget id.
4. Per stroke: send ``rerun_script`` with that page hash and one widget state, the canvas's ``json_value``
   ``{"drawing": {"raw": {"version", "objects": [Fabric paths], "background"}, "data": "data:image/png;base64,..."}}``
   (the drawing's objects and the 280 x 280 RGBA PNG of the canvas), then read frames until the
   ``script_finished`` of the run that follows: its deltas carry the verdict ("**Bayesian: N** ... · **Deterministic: N** ...").
   The canvas is drawn inside an ``st.fragment`` (its delta's ``fragment_id``), so the request names that
   fragment, as a page's does, and only the fragment reruns: it ends ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``.

A page also sends its other widgets' values (the sidebar's defaults) and fetches the result's images and the
charts' JavaScript over HTTP; a session sends only the canvas (the others take the same defaults) and keeps
the image addresses (`Answer.media`) without fetching them. All on loopback: a session refuses other hosts.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
import math
import re
import socket
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 280  # px, the app's canvas (bnn.config.CANVAS_SIZE)
CANVAS_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
VERDICT = re.compile(r"^\*\*[^*]+: (\d)\*\*.* · \*\*Deterministic: \d\*\*")  # bnn.reading.verdict.Verdict.headline
FINISHED = {0: "finished", 1: "compile error", 2: "interrupted", 3: "fragment finished"}
TAUGHT = re.compile(r"^\*\*(\d+) of at most \d+ examples taught on this page")  # app.py's show_lessons
TEACH_CHOICE, TEACH_BUTTON = "true-digit-draw-0", "teach-button-draw"  # app.py's keys of the Draw tab's teach panel
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "is_embedded": False, "color_scheme": "light"}

# Pen strokes in 0..1 canvas coordinates, (0, 0) the top left: the drawn digits of tests/helpers/digits.py.
DIGIT_STROKES = {
    0: [[(0.5 + 0.28 * math.sin(step * math.pi / 4), 0.5 - 0.40 * math.cos(step * math.pi / 4)) for step in range(9)]],
    1: [[(0.50, 0.12), (0.50, 0.88)]],
    4: [[(0.60, 0.12), (0.22, 0.62), (0.80, 0.62)], [(0.62, 0.35), (0.62, 0.90)]],
    7: [[(0.22, 0.15), (0.78, 0.15), (0.42, 0.88)]],
}
DIGITS = tuple(DIGIT_STROKES)

# The fields Fabric 7.4 writes for a freehand path, as the canvas sends them (a recorded stroke).
_FABRIC_PATH = {
    "lockMovementX": False,
    "lockMovementY": False,
    "lockRotation": False,
    "lockScalingX": False,
    "lockScalingY": False,
    "lockSkewingX": False,
    "lockSkewingY": False,
    "lockScalingFlip": False,
    "type": "Path",
    "version": "7.4.0",
    "originX": "center",
    "originY": "center",
    "fill": None,
    "stroke": "#FFFFFF",
    "strokeDashArray": None,
    "strokeLineCap": "round",
    "strokeDashOffset": 0,
    "strokeLineJoin": "round",
    "strokeUniform": False,
    "strokeMiterLimit": 10,
    "scaleX": 1,
    "scaleY": 1,
    "angle": 0,
    "flipX": False,
    "flipY": False,
    "opacity": 1,
    "shadow": None,
    "visible": True,
    "backgroundColor": "",
    "fillRule": "nonzero",
    "paintFirst": "fill",
    "globalCompositeOperation": "source-over",
    "skewX": 0,
    "skewY": 0,
}


@dataclass(frozen=True)
class Drawing:
    """One canvas drawing as the canvas sends it: the digit drawn and the widget's JSON value."""

    digit: int
    value: str  # the canvas's json_value: Fabric objects and the PNG as a data URL
    png: bytes  # the same PNG, 280 x 280 RGBA, white ink on opaque black


@dataclass(frozen=True)
class Answer:
    """What the app answered to one drawing."""

    digit_sent: int
    digit_read: int | None  # the Bayesian digit of the verdict; None when there was none
    milliseconds: float  # from sending the drawing to the end of the script run it caused
    verdict_ms: float  # from sending the drawing to the frame holding the verdict (nan without one)
    error: str | None = None  # why there is no verdict: a message shown, a timeout, a closed socket
    media: tuple[str, ...] = ()  # addresses of the images the result shows (served by this process only)
    taught: int | None = None  # examples this page has taught, as it says (None: it says nothing of it)

    @property
    def right(self) -> bool:
        return self.error is None and self.digit_read == self.digit_sent


def digit_drawing(index: int) -> Drawing:
    """The ``index``-th drawing of a load run: digits 0, 1, 4, 7 in turn, each moved, scaled, slanted and
    drawn with a pen a little different (seeded by ``index``), so that no answer comes from the app's caches."""
    digit = DIGITS[index % len(DIGITS)]
    rng = np.random.default_rng(index)
    scale = rng.uniform(0.85, 1.0)
    slant = rng.uniform(-0.12, 0.12)
    shift_x, shift_y = rng.uniform(-0.05, 0.05, size=2)
    strokes = [
        [
            (
                0.5 + shift_x + scale * ((x - 0.5) + slant * (0.5 - y)),
                0.5 + shift_y + scale * (y - 0.5),
            )
            for x, y in stroke
        ]
        for stroke in DIGIT_STROKES[digit]
    ]
    return canvas_drawing(digit, strokes, pen_width=int(rng.integers(15, 22)))


def canvas_drawing(digit: int, strokes, pen_width: int = 18) -> Drawing:
    """``strokes`` (lists of (x, y) points in 0..1) drawn as the canvas draws them: the PNG and the JSON."""
    points = [[(x * CANVAS_SIZE, y * CANVAS_SIZE) for x, y in stroke] for stroke in strokes]
    png = _canvas_png(points, pen_width)
    objects = [_fabric_path(stroke, pen_width) for stroke in points]
    data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    raw = {"version": "7.4.0", "objects": objects, "background": "#000000"}
    value = json.dumps({"drawing": {"raw": raw, "data": data_url}}, separators=(",", ":"))
    return Drawing(digit, value, png)


def _canvas_png(strokes, pen_width: int, supersample: int = 4) -> bytes:
    """White round-capped strokes on black, anti-aliased by drawing 4x larger and averaging down."""
    size = CANVAS_SIZE * supersample
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    width = pen_width * supersample
    for stroke in strokes:
        scaled = [(x * supersample, y * supersample) for x, y in stroke]
        draw.line(scaled, fill=255, width=width, joint="curve")
        for x, y in (scaled[0], scaled[-1]):  # round caps, as the canvas's pen draws
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    gray = image.reduce(supersample)
    rgba = Image.merge("RGBA", (gray, gray, gray, Image.new("L", gray.size, 255)))
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    return buffer.getvalue()


def _fabric_path(stroke, pen_width: int) -> dict:
    xs, ys = [x for x, _ in stroke], [y for _, y in stroke]
    path = [["M", *stroke[0]]] + [["L", x, y] for x, y in stroke[1:]]
    return {
        **_FABRIC_PATH,
        "left": (min(xs) + max(xs)) / 2,
        "top": (min(ys) + max(ys)) / 2,
        "width": max(xs) - min(xs),
        "height": max(ys) - min(ys),
        "strokeWidth": pen_width,
        "path": path,
    }


@dataclass
class _Run:
    """What one script run sent: its end, the verdict's digit and when it came, messages and images."""

    finished: str | None = None
    digit: int | None = None
    verdict_at: float = float("nan")
    alerts: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    canvas_id: str | None = None
    canvas_fragment: str = ""  # the id of the st.fragment the canvas is drawn in ("" outside any)
    widget_ids: list[str] = field(default_factory=list)  # of the selectboxes and buttons shown (each ends in its key)
    taught: int | None = None


class AppSession:
    """One page's session on the app at ``url`` (``http://127.0.0.1:PORT/``), spoken to over its WebSocket.

    ``async with AppSession(url) as session:`` opens the page (steps 1-3 of the module docstring);
    ``await session.draw(drawing)`` sends one drawing and returns the `Answer`.
    """

    def __init__(self, url: str, timeout: float = 120.0):
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"the load generator speaks to loopback only, not {parts.hostname}: use 127.0.0.1")
        self.url = url if url.endswith("/") else url + "/"
        self.timeout = timeout
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.stream_url = urllib.parse.urljoin(self.url.replace("http", "ws", 1), "_stcore/stream")
        self.cookies: dict[str, str] = {}
        self.page_script_hash = ""
        self.canvas_id: str | None = None
        self.canvas_fragment = ""
        self.widget_ids: list[str] = []  # the selectboxes and buttons of the last answer (the teach panel's)
        self.open_ms = float("nan")  # GET / to the first script run finished
        self._socket = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def open(self) -> None:
        """Load the page: ``GET /``, open the WebSocket, run the script once; learn the canvas's widget id."""
        from websockets.asyncio.client import connect

        start = time.perf_counter()
        self.cookies = await asyncio.to_thread(_page_cookies, self.url, self.timeout)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        self._socket = await connect(
            self.stream_url,
            subprotocols=["streamlit"],
            origin=self.origin,
            additional_headers=headers if self.cookies else None,
            proxy=None,  # loopback only, whatever the environment says
            open_timeout=self.timeout,
            ping_interval=None,  # a page sends no pings; a busy server must not drop us for a late pong
            max_size=64 * 2**20,
        )
        await self._send_rerun([])
        run = await self._read_run(time.perf_counter() + self.timeout)
        if run.finished != "finished" or run.canvas_id is None:
            raise RuntimeError(f"the page's first script run ended {run.finished!r} without the canvas: {run.alerts}")
        self.canvas_id, self.canvas_fragment = run.canvas_id, run.canvas_fragment
        self.open_ms = (time.perf_counter() - start) * 1000

    def _acknowledge_at_once(self) -> None:
        """Have the kernel acknowledge the next frames at once (TCP_QUICKACK, Linux; it lapses, so set before
        every read), as a browser's connection does.

        Streamlit's server writes a run's messages without TCP_NODELAY. A client that only reads gets Linux's
        delayed acknowledgement (40 ms), and Nagle's algorithm holds the server's next message until then, so every
        answer would wait for that timer. Chromium's pages see no such wait.
        """
        sock = self._socket.transport.get_extra_info("socket") if self._socket is not None else None
        if sock is not None and hasattr(socket, "TCP_QUICKACK"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def draw(self, drawing: Drawing) -> Answer:
        """Send ``drawing`` as the canvas does when a stroke ends; the answer once the script run has finished."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        start = time.perf_counter()
        try:
            canvas = WidgetState(id=self.canvas_id, json_value=drawing.value)
            await self._send_rerun([canvas], fragment=self.canvas_fragment)
            run = await self._read_run(start + self.timeout)
        except Exception as error:  # noqa: BLE001 -- a timeout or a closed socket is an answer that failed
            return Answer(drawing.digit, None, (time.perf_counter() - start) * 1000, float("nan"), _describe(error))
        self.widget_ids = run.widget_ids
        expected = "fragment finished" if self.canvas_fragment else "finished"
        return _answer(drawing.digit, run, start, expected)

    async def teach(self, drawing: Drawing, digit: int) -> Answer:
        """Teach the networks of this session that ``drawing``, the one `draw` sent last, is a ``digit``: pick it
        under "Was this right?" and press Teach, as a page does. The answer is the page's after the lesson (the
        app reruns the whole page once taught), read by this session's taught networks."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        choice, button = _widget_id(self.widget_ids, TEACH_CHOICE), _widget_id(self.widget_ids, TEACH_BUTTON)
        start = time.perf_counter()
        if choice is None or button is None:
            return Answer(digit, None, 0.0, float("nan"), "no teach panel under the last answer")
        try:
            widgets = [
                WidgetState(id=self.canvas_id, json_value=drawing.value),
                WidgetState(id=choice, string_value=str(digit)),
                WidgetState(id=button, trigger_value=True),
            ]
            await self._send_rerun(widgets, fragment=self.canvas_fragment)
            run = await self._read_run(start + self.timeout)
        except Exception as error:  # noqa: BLE001 -- as in draw
            return Answer(digit, None, (time.perf_counter() - start) * 1000, float("nan"), _describe(error))
        self.widget_ids = run.widget_ids
        answer = _answer(digit, run, start, "finished")
        if answer.error is None and answer.taught is None:
            return dataclasses.replace(answer, error="the page did not say what it was taught")
        return answer

    async def _send_rerun(self, widgets, fragment: str = "") -> None:
        """A rerun request with these widget states; with ``fragment``, of that fragment only, as a page asks
        when a widget inside an ``st.fragment`` changes."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo

        context = ContextInfo(url=self.url, **CONTEXT)
        state = ClientState(page_script_hash=self.page_script_hash, context_info=context, fragment_id=fragment)
        state.widget_states.widgets.extend(widgets)
        await self._socket.send(BackMsg(rerun_script=state).SerializeToString())

    async def _read_run(self, deadline: float) -> _Run:
        """Frames until the ``script_finished`` of a run that started after now (a run interrupted by a newer
        one is followed by that one, so it is skipped)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        run: _Run | None = None
        while True:
            self._acknowledge_at_once()
            frame = await asyncio.wait_for(self._socket.recv(), max(deadline - time.perf_counter(), 0.001))
            if isinstance(frame, str):
                continue
            message = ForwardMsg()
            message.ParseFromString(frame)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                run = _Run()
                self.page_script_hash = message.new_session.page_script_hash or self.page_script_hash
            elif run is None:
                continue  # the end of an earlier run
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                _read_element(message.delta.new_element, run, message.delta.fragment_id)
            elif kind == "script_finished":
                run.finished = FINISHED.get(message.script_finished, f"with status {message.script_finished}")
                if run.finished != "interrupted":
                    return run


def _answer(digit_sent: int, run: _Run, start: float, expected: str) -> Answer:
    """The `Answer` of ``run``, a script run that should have ended ``expected``, started at ``start``."""
    milliseconds = (time.perf_counter() - start) * 1000
    error = None
    if run.finished != expected:
        error = f"the script run ended {run.finished}"
    elif run.digit is None:
        error = "no verdict" + (f": {run.alerts[0]}" if run.alerts else "")
    verdict_ms = (run.verdict_at - start) * 1000
    return Answer(digit_sent, run.digit, milliseconds, verdict_ms, error, tuple(run.media), run.taught)


def _widget_id(widget_ids: list[str], key: str) -> str | None:
    """The id of the widget whose key is ``key`` (Streamlit ends a keyed widget's id with its key)."""
    return next((widget_id for widget_id in widget_ids if widget_id.endswith(f"-{key}")), None)


def _read_element(element, run: _Run, fragment: str = "") -> None:
    """Note what ``element`` (sent from the fragment ``fragment``, "" outside any) tells about the run: the
    verdict, a message, an image, the canvas and its fragment."""
    kind = element.WhichOneof("type")
    if kind == "markdown":
        match = VERDICT.search(element.markdown.body)
        if match and run.digit is None:
            run.digit, run.verdict_at = int(match.group(1)), time.perf_counter()
        if counted := TAUGHT.search(element.markdown.body):
            run.taught = int(counted.group(1))
    elif kind == "alert":
        run.alerts.append(element.alert.body)
    elif kind == "exception":
        run.alerts.append(f"exception: {element.exception.message}")
    elif kind == "imgs":
        run.media.extend(image.url for image in element.imgs.imgs)
    elif kind in ("selectbox", "button"):
        run.widget_ids.append(getattr(element, kind).id)
    elif kind == "bidi_component" and element.bidi_component.component_name == CANVAS_COMPONENT and not run.canvas_id:
        # the Draw tab's canvas comes first; the Number tab has a (wider) one too
        run.canvas_id, run.canvas_fragment = element.bidi_component.id, fragment


def _page_cookies(url: str, timeout: float) -> dict[str, str]:
    """``GET url`` as a page load does (no proxy from the environment); the cookies it sets."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as response:
        response.read()
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        return cookies


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    return f"{type(error).__name__}: {error}"
