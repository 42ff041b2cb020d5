"""Driving app.py in Streamlit's AppTest: open a tab, stand in for the drawing canvas, read what the page shows."""

from __future__ import annotations

import io
import sys
import types

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from helpers import ROOT

APP = ROOT / "app.py"
TIMEOUT = 120  # seconds per script run; the first one imports TensorFlow and loads the networks


def open_app(tab: str = "Draw") -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.session_state["tabs"] = tab
    return app.run()


def texts(block) -> str:
    """Every piece of text shown inside ``block`` (markdown, alerts, captions, headers), one per line."""
    return "\n".join(node.value for node in block if isinstance(getattr(node, "value", None), str))


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [error.value for error in app.exception]


class FakeCanvas:
    """Stands in for streamlit_drawable_canvas (its JavaScript only runs in a browser): every canvas returns the
    drawing ``image`` (PNG bytes) as if it held strokes; ``draw`` changes it."""

    def __init__(self, image: bytes):
        self.image = image
        self.module = types.ModuleType("streamlit_drawable_canvas")
        self.module.st_canvas = lambda **arguments: types.SimpleNamespace(
            json_data={"objects": [{"type": "path"}]}, image_bytes=self.image
        )

    def install(self, monkeypatch) -> FakeCanvas:
        monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", self.module)
        return self


def canvas_png(digit: np.ndarray, size: int | None = 280) -> bytes:
    """Ink in [0, 1] (a (28, 28) digit, or a row of them) drawn on the canvas, ten canvas pixels per pixel (a
    digit stretched to ``size`` x ``size``): an RGBA PNG, white ink on an opaque black background."""
    image = Image.fromarray(np.round(digit * 255).astype(np.uint8))
    shape = (size, size) if size is not None else (10 * image.width, 10 * image.height)
    image = image.resize(shape, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.convert("RGBA").save(buffer, "PNG")
    return buffer.getvalue()
