"""Segmentation on numbers written with *validation* digits: where its thresholds are chosen (never the test set).

    .venv/bin/python -m scripts.number_validation [SINGLE_DIGITS]

Prints, for the shipped variational MLP at T = 100: the share of the first SINGLE_DIGITS (default 2000)
validation digits that `read_number` reads as `predict` reads the digit preprocessed alone, then the share of
generated numbers read right for touching pairs (canvas 300, photo 150), separated 4-digit numbers (canvas 150)
and two-stroke digits (canvas 150), with how many digits were found. Seed 1, so the numbers differ from the
test corpus's (seed 0) as well as the digits.
"""

from __future__ import annotations

import sys

import numpy as np

import bnn
from bnn import number_corpus
from bnn.data import load_mnist
from bnn.preprocess import preprocess_image

T = 100
CORPORA = (("touching", "canvas", 300), ("touching", "photo", 150), ("separated", "canvas", 150))
CORPORA += (("two-stroke", "canvas", 150),)


def main(single_digits: int = 2000) -> None:
    model = bnn.load_model("bayesian", "mlp")
    validation = load_mnist().validation
    same = 0
    for image in validation.images[:single_digits]:
        pixels = np.round(image * 255).astype(np.uint8)
        alone = model.predict(preprocess_image(pixels)[None], T, seed=0).label[0]
        same += bnn.read_number(pixels, model, T, seed=0).mean_reading == str(alone)
    print(f"single digits read as predict reads them: {same / single_digits:.4f} of {single_digits}", flush=True)
    for layout, medium, count in CORPORA:
        score = number_corpus.measure(model, validation.images, validation.labels, layout, medium, count, seed=1)
        found = np.bincount(score.digits_found)
        print(f"{layout} {medium}: {score.right.mean():.4f} read right of {count}; digits found {found}", flush=True)


if __name__ == "__main__":
    main(*(int(argument) for argument in sys.argv[1:]))
