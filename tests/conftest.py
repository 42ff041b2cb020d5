"""Shared fixtures. MNIST comes from $BNN_DATA_DIR, else ../shared/data/mnist beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import bnn  # noqa: F401  (sets TF_USE_LEGACY_KERAS before anything imports TensorFlow)

REPO = Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"

if not os.environ.get("BNN_DATA_DIR") and SHARED_MNIST.is_dir():
    os.environ["BNN_DATA_DIR"] = str(SHARED_MNIST)


@pytest.fixture(scope="session")
def mnist():
    """The fixed 55k / 5k / 10k split (loaded once per test session)."""
    from bnn.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def round_trips(mnist):
    """{size: the 10,000 MNIST test digits through preprocess_image at that size} (``ROUND_TRIP_SIZES``), made
    once per session: the round-trip tests and the evaluate command's test share them (about two minutes)."""
    from bnn.evaluation.report import ROUND_TRIP_SIZES, round_trip_inputs

    return {size: round_trip_inputs(mnist.test.images, size) for size in ROUND_TRIP_SIZES}
