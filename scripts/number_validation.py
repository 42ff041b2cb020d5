"""Segmentation on numbers written with *validation* digits: where its thresholds are chosen (never the test set).

    .venv/bin/python -m scripts.number_validation [SINGLE_DIGITS] [--canvas-width PX] [--length DIGITS]

Prints, for the shipped variational MLP at T = 100: the share of the first SINGLE_DIGITS (default 2000; 0 skips
them) validation digits that `read_number` reads as `predict` reads the digit preprocessed alone, then the share of
generated numbers read right for touching pairs (canvas 300, photo 150), separated 4-digit numbers (canvas 150)
and two-stroke digits (canvas 150), with how many digits were found. Seed 1, so the numbers differ from the
test corpus's (seed 0) as well as the digits. ``--canvas-width``: the canvas numbers are written on the app's
Number canvas that many px wide (840: a wide screen's; 358: a phone's), with its pen, the same numbers otherwise
(`number_corpus.written_on`). ``--length``: digits of the separated numbers (default 4).
"""

from __future__ import annotations

import argparse

import numpy as np

import bnn
from bnn.corpora import numbers as number_corpus
from bnn.data import load_mnist
from bnn.image import preprocess_image

T = 100
CORPORA = (("touching", "canvas", 300), ("touching", "photo", 150), ("separated", "canvas", 150))
CORPORA += (("two-stroke", "canvas", 150),)


def main(single_digits: int = 2000, canvas_width: int | None = None, length: int = 4) -> None:
    model = bnn.load_model("bayesian", "mlp")
    validation = load_mnist().validation
    if single_digits:
        same = 0
        for image in validation.images[:single_digits]:
            pixels = np.round(image * 255).astype(np.uint8)
            alone = model.predict(preprocess_image(pixels)[None], T, seed=0).label[0]
            same += bnn.read_number(pixels, model, T, seed=0).mean_reading == str(alone)
        print(f"single digits read as predict reads them: {same / single_digits:.4f} of {single_digits}", flush=True)
    for layout, medium, count in CORPORA:
        images, labels = validation.images, validation.labels
        score = number_corpus.measure(model, images, labels, layout, medium, count, 1, T, length, canvas_width)
        found = np.bincount(score.digits_found)
        name = f"separated {length}-digit" if layout == "separated" else layout
        written = f" (on a {canvas_width} px canvas)" if canvas_width and medium == "canvas" else ""
        print(f"{name} {medium}{written}: {score.accuracy:.4f} read right of {count}; digits found {found}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("single_digits", nargs="?", type=int, default=2000)
    parser.add_argument("--canvas-width", type=int, default=None, help="px of the canvas the numbers are written on")
    parser.add_argument("--length", type=int, default=4, help="digits of the separated numbers")
    arguments = parser.parse_args()
    main(arguments.single_digits, arguments.canvas_width, arguments.length)
