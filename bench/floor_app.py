"""The floor of the browser benchmark: app.py's drawing canvas with no model behind it.

The same ``st_canvas`` call and settings as app.py's Draw tab (``config.BRUSH_SLIDER``, ``config.CANVAS``),
in the same column. Each stroke is answered with one line of text inside the containers the app's verdict uses (``result-draw`` / ``verdict-draw``), so
`bench.browser` times mouse-up -> text visible here exactly as it times the app's verdict. What this page
takes is what any Streamlit page with this canvas takes: the component's send delay, the socket and one
script run. No TensorFlow: only ``bnn.config`` is imported. Run by ``bench/app.py`` (``AppServer``).
"""

from __future__ import annotations

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from bnn import config

canvas_column, result_column = st.columns([1, 2], gap="large")
with canvas_column:
    canvas = st_canvas(stroke_width=st.slider(**config.BRUSH_SLIDER), **config.CANVAS)
with result_column, st.container(key="result-draw"):
    strokes = len((canvas.json_data or {}).get("objects", []))
    if strokes == 0:
        st.info("Draw on the canvas: each stroke is answered with one line, and nothing else.")
    else:
        drawing = canvas.image_bytes or b""  # decoded from the data URL as app.py does
        with st.container(key="verdict-draw"):
            st.markdown(f"Stroke {strokes} received: {len(drawing):,} bytes of PNG")
