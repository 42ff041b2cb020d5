"""No train/serve skew: preprocess_image of a genuine MNIST digit is (nearly) that digit, for every shipped network.

Each MNIST test digit is given to the pipeline as it is (28 px) and upscaled to 112 and 280 px, as a drawing
canvas would hand it over (8-bit grey, bicubic). The networks must read the preprocessed digits as well as the
raw files, and the pipeline must put the centre of mass where MNIST does.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import bnn
from bnn.assets import shipped_architectures
from bnn.config import KINDS
from bnn.preprocess import FIELD_CENTRE

SIZES = (28, 112, 280)
NUM_SAMPLES = 10  # weight samples; raw and preprocessed use the same seed, so the same weights
MAX_ACCURACY_CHANGE = 0.002  # 0.2 points
MAX_PIXEL_CHANGE = {28: 0.01, 112: 0.035, 280: 0.035}  # mean |difference|; upscaling itself blurs the strokes


def as_canvas_gives_it(digit: np.ndarray, size: int) -> np.ndarray:
    """(28, 28) float digit -> (size, size) uint8, bicubic-upscaled as an enlarged drawing."""
    image = Image.fromarray(np.round(digit * 255).astype(np.uint8))
    return np.asarray(image if size == 28 else image.resize((size, size), Image.Resampling.BICUBIC))


@pytest.fixture(scope="module")
def round_trips(mnist) -> dict[int, np.ndarray]:
    return {
        size: np.stack([bnn.preprocess_image(as_canvas_gives_it(digit, size)) for digit in mnist.test.images])
        for size in SIZES
    }


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_leaves_mnist_digits_nearly_unchanged(mnist, round_trips, size):
    preprocessed = round_trips[size]
    assert np.abs(preprocessed - mnist.test.images).mean() < MAX_PIXEL_CHANGE[size]
    index = np.arange(28.0)
    mass = preprocessed.sum(axis=(1, 2))
    centre = ((preprocessed.sum(axis=2) @ index / mass).mean(), (preprocessed.sum(axis=1) @ index / mass).mean())
    assert centre == pytest.approx((FIELD_CENTRE, FIELD_CENTRE), abs=0.05)  # MNIST's own: 13.99, 14.00


@pytest.mark.parametrize(
    "arch, kind", [(arch, kind) for arch in shipped_architectures() for kind in KINDS], ids="-".join
)
def test_networks_read_preprocessed_digits_as_well_as_the_raw_files(mnist, round_trips, arch, kind):
    model = bnn.load_model(kind, arch)

    def accuracy(images: np.ndarray) -> float:
        return float(np.mean(model.predict(images, num_samples=NUM_SAMPLES, seed=0).label == mnist.test.labels))

    raw = accuracy(mnist.test.images)
    for size in SIZES:
        assert accuracy(round_trips[size]) == pytest.approx(raw, abs=MAX_ACCURACY_CHANGE), f"{size} px"
