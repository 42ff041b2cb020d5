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


def pytest_collection_modifyitems(items):
    """test_round_trip.py preprocesses the whole MNIST test set at three sizes: slow, like the tests marked in place
    (its file does not carry the mark yet)."""
    for item in items:
        if item.path.name == "test_round_trip.py":
            item.add_marker(pytest.mark.slow)
