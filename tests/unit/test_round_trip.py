"""No train/serve skew: preprocess_image of a genuine MNIST digit is (nearly) that digit, for every shipped network.

Each MNIST test digit is given to the pipeline as it is (28 px) and upscaled to 112 and 280 px, as a drawing
canvas would hand it over (8-bit grey, bicubic). The networks must read the preprocessed digits as well as the
raw files, and the pipeline must put the centre of mass where MNIST does.
"""

from __future__ import annotations

import numpy as np
import pytest

import bnn
from bnn.config import KINDS
from bnn.evaluation.report import ROUND_TRIP_SIZES as SIZES
from bnn.evaluation.report import round_trip_geometry
from bnn.image import FIELD_CENTRE
from bnn.model.weights import shipped_architectures

NUM_SAMPLES = 10  # weight samples; raw and preprocessed use the same seed, so the same weights
MAX_ACCURACY_CHANGE = 0.002  # 0.2 points
pytestmark = pytest.mark.slow  # the whole MNIST test set at three sizes (the `round_trips` fixture, conftest.py)

MAX_PIXEL_CHANGE = {28: 0.01, 112: 0.035, 280: 0.035}  # mean |difference|; upscaling itself blurs the strokes


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_leaves_mnist_digits_nearly_unchanged(mnist, round_trips, size):
    geometry = round_trip_geometry(mnist.test.images, round_trips[size])
    assert geometry["mean_abs_pixel_change"] < MAX_PIXEL_CHANGE[size]
    assert geometry["centre_of_mass"] == pytest.approx([FIELD_CENTRE] * 2, abs=0.05)  # MNIST's own: 13.99, 14.00


NETWORKS = [(arch, kind) for arch in shipped_architectures() for kind in KINDS]


@pytest.mark.parametrize("arch, kind", NETWORKS, ids=["-".join(network) for network in NETWORKS])
def test_networks_read_preprocessed_digits_as_well_as_the_raw_files(mnist, round_trips, arch, kind):
    model = bnn.load_model(kind, arch)

    def accuracy(images: np.ndarray) -> float:
        return float(np.mean(model.predict(images, num_samples=NUM_SAMPLES, seed=0).label == mnist.test.labels))

    raw = accuracy(mnist.test.images)
    for size in SIZES:
        assert accuracy(round_trips[size]) == pytest.approx(raw, abs=MAX_ACCURACY_CHANGE), f"{size} px"
