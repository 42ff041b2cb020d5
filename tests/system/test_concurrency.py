"""One shared model serves many threads at once and never mixes their answers (many app sessions)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import bnn

NUM_THREADS = 20


@pytest.fixture(scope="module")
def inputs(mnist):
    """20 distinct test digits (two of each class) that the serial answer gets right."""
    images, labels = mnist.test.images, mnist.test.labels
    chosen = np.concatenate([np.flatnonzero(labels == digit)[:2] for digit in range(10)])
    return images[chosen], labels[chosen]


@pytest.mark.parametrize("kind", ["bayesian", "deterministic"])
def test_concurrent_predictions_match_serial_ones(kind, inputs):
    model = bnn.load_model(kind)
    images, labels = inputs
    serial = [model.predict(images[i : i + 1], num_samples=100, seed=i) for i in range(NUM_THREADS)]
    assert [p.label[0] for p in serial] == list(labels)

    def predict(i: int) -> list[np.ndarray]:
        # Each worker repeats its own request, interleaving with the others.
        return [model.predict(images[i : i + 1], num_samples=100, seed=i).samples for _ in range(3)]

    with ThreadPoolExecutor(max_workers=NUM_THREADS) as pool:
        results = list(pool.map(predict, range(NUM_THREADS)))

    for i, repeats in enumerate(results):
        for samples in repeats:
            np.testing.assert_array_equal(samples, serial[i].samples)
