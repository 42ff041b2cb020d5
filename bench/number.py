"""Reading a whole number: server time of `bnn.read_number` on a 4-digit number at T = 100.

What a "Number" request costs the server: decoding and the ink stage of preprocessing, segmentation, MNIST geometry
per digit and one batched prediction of all digits (the touching-digit cut adds small predictions only when digits
touch). Timed on separated 4-digit numbers of MNIST test digits as the app's wide canvas sends them (PNG), p50 / p90
over repeated calls in this process; the load average is recorded beside them, as other work on the machine moves
the figures.
"""

from __future__ import annotations

import io
import os
import time

import numpy as np
from PIL import Image

from bench.stats import percentiles
from bench.text import verdict
from bnn.corpora import numbers as number_corpus
from bnn.data import DataNotFoundError, load_mnist
from bnn.model.predict import load_model
from bnn.reading.number import read_number

TITLE = "Reading a whole number (read_number, 4 digits, T = 100)"
TARGET_P50_MS = 40.0  # ms, p50 of one 4-digit number's server time: the target
NUM_SAMPLES = 100  # the page's default T
NUMBERS = 20  # different numbers, each read REPEATS times: the time varies with the digits
REPEATS = 5


def canvas_png(ink: np.ndarray) -> bytes:
    """What the wide canvas sends: an opaque RGBA PNG, white strokes on black."""
    buffer = io.BytesIO()
    Image.fromarray(number_corpus.canvas(ink)).convert("RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def run(quick: bool = False) -> dict:
    try:
        test = load_mnist().test
    except DataNotFoundError as error:
        return {"skipped": str(error)}
    model = load_model("bayesian", "mlp")
    count, repeats = (3, 2) if quick else (NUMBERS, REPEATS)
    images = []
    for index in range(count):
        rng = np.random.default_rng([0, index])
        digits = test.images[rng.choice(len(test.images), 4, replace=False)]
        gaps = rng.integers(number_corpus.GAPS[0], number_corpus.GAPS[1] + 1, 3)
        images.append(canvas_png(number_corpus.number_ink(digits, gaps, number_corpus.CANVAS_SCALE, rng)))
    read_number(images[0], model, NUM_SAMPLES, seed=0)  # compile the sampler
    load_before = os.getloadavg()[0]
    times = []
    for image in images:
        for _ in range(repeats):
            times.append(_timed_ms(lambda image=image: read_number(image, model, NUM_SAMPLES, seed=0)))
    timing = percentiles(times)
    return {
        "numbers": count,
        "repeats": repeats,
        "image_size": list(Image.open(io.BytesIO(images[0])).size),
        "num_samples": NUM_SAMPLES,
        "p50_ms": timing["p50"],
        "p90_ms": timing["p90"],
        "target_p50_ms": TARGET_P50_MS,
        "load_average": [load_before, os.getloadavg()[0]],
    }


def _timed_ms(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def table_lines(result: dict) -> list[str]:
    width, height = result["image_size"]
    met = verdict(result["p50_ms"] <= result["target_p50_ms"])
    line = (
        f"  {result['numbers']} numbers x {result['repeats']}, {width} x {height} px canvas PNG, "
        f"T = {result['num_samples']}: p50 {result['p50_ms']:.1f} ms, p90 {result['p90_ms']:.1f} ms "
        f"(target p50 <= {result['target_p50_ms']:.0f} ms: {met}); "
        f"load average {result['load_average'][0]:.1f} before, {result['load_average'][1]:.1f} after"
    )
    return [line]
