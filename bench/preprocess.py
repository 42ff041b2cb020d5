"""Time of `bnn.preprocess_image` on what the app is given: a phone's photo and a drawing from the canvas.

The photo is `bnn.corpora.photos.phone_photo`: a 4000 x 3000 JPEG of ruled paper with light falling away and a hard
shadow, the hardest kind the pipeline reads (decoding, the paper's background model, the ruled lines and the
MNIST geometry all count). The drawing is the canvas's 280 x 280 RGBA image of white strokes. Each is timed
REPEATS times after one untimed call, with the load average before and after, and set against its target.
"""

from __future__ import annotations

import os
import time

import numpy as np
from PIL import Image, ImageDraw

from bench.stats import percentiles
from bnn.config import CANVAS_SIZE
from bnn.corpora.photos import phone_photo
from bnn.image import preprocess_image

TITLE = "Preprocessing (one image through preprocess_image)"
REPEATS = 30  # timed calls per image, after one untimed call
# p50 targets, ms: a phone's photo (the hardest input) and a canvas drawing (every stroke)
TARGETS_MS = {"phone_jpeg_4000x3000": 100.0, "canvas_280": 5.0}


def canvas_drawing() -> np.ndarray:
    """(280, 280, 4) uint8: a 4 in white strokes on transparent black, as streamlit-drawable-canvas returns it."""
    image = Image.new("L", (CANVAS_SIZE, CANVAS_SIZE), 0)
    draw = ImageDraw.Draw(image)
    scale = CANVAS_SIZE / 100
    for stroke in ([(60, 12), (22, 62), (80, 62)], [(62, 35), (62, 90)]):
        draw.line([(x * scale, y * scale) for x, y in stroke], fill=255, width=18, joint="curve")
    alpha = np.asarray(image)
    return np.dstack([alpha, alpha, alpha, alpha])


def _time(image, repeats: int) -> dict:
    preprocess_image(image)  # untimed: imports and caches warm up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        preprocess_image(image)
        seconds.append(time.perf_counter() - start)
    return percentiles([1000 * value for value in seconds])


def run(quick: bool = False) -> dict:
    repeats = 3 if quick else REPEATS
    inputs = {"phone_jpeg_4000x3000": phone_photo(), "canvas_280": canvas_drawing()}
    load_before = os.getloadavg()[0]
    timings = {name: _time(image, repeats) for name, image in inputs.items()}
    return {
        "repeats": repeats,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "phone_jpeg_bytes": len(inputs["phone_jpeg_4000x3000"]),
        **{f"{name}_ms": timing for name, timing in timings.items()},
        "targets_p50_ms": TARGETS_MS,
        "targets_met": {name: timings[name]["p50"] <= target for name, target in TARGETS_MS.items()},
        "photo_to_canvas_ratio": timings["phone_jpeg_4000x3000"]["p50"] / timings["canvas_280"]["p50"],
    }


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: p50 / p90 against each target, and the load average."""
    lines = []
    for name, label in (("phone_jpeg_4000x3000", "4000 x 3000 phone JPEG"), ("canvas_280", "280 x 280 canvas")):
        timing, target = result[f"{name}_ms"], result["targets_p50_ms"][name]
        met = "met" if result["targets_met"][name] else "NOT met"
        lines.append(
            f"  {label}: p50 {timing['p50']:.1f} ms, p90 {timing['p90']:.1f} ms (target p50 <= {target:.0f} ms: {met})"
        )
    lines.append(
        f"  photo / canvas: {result['photo_to_canvas_ratio']:.1f}x; {result['repeats']} runs each; load average "
        f"{result['load_average_before']:.1f} before, {result['load_average_after']:.1f} after"
    )
    return lines
