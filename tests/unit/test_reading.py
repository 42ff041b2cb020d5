"""bnn.reading: the one read-a-digit pipeline and the served networks, as the page and the CLI use them."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.digits import font_digit, png_bytes

import bnn
from bnn.reading.digit import answer_digit, read_digit
from bnn.reading.networks import load_networks


@pytest.fixture(scope="module")
def networks():
    return load_networks("mlp", kinds=("bayesian", "deterministic"))


def test_a_digit_is_read_by_both_networks_and_judged_by_their_own_thresholds(networks):
    answer = read_digit(png_bytes(font_digit(3)), networks, "bayesian", num_samples=20, seed=1)
    assert answer.steps is not None and answer.network_input is answer.steps.final
    assert answer.sampled.num_samples == 20 and answer.deterministic.num_samples == 1
    assert answer.verdict.digit == int(answer.sampled.label[0]) == 3
    assert answer.verdict.deterministic_digit == int(answer.deterministic.label[0])
    expected = bnn.reading.verdict.summarise(
        answer.sampled, answer.deterministic, *(networks.thresholds[kind] for kind in ("bayesian", "deterministic"))
    )
    assert answer.verdict == expected
    record = answer.verdict.record("three.png")
    assert record["file"] == "three.png" and record["digit"] == 3
    assert record["predictive_entropy"] == pytest.approx(record["expected_entropy"] + record["mutual_information"])


def test_a_ready_input_skips_preprocessing_and_the_same_input_is_answered_from_the_memo(networks, mnist):
    image, label = mnist.test.images[0], int(mnist.test.labels[0])
    first = answer_digit(image, networks, num_samples=10, seed=0, true_label=label)
    again = answer_digit(image.copy(), networks, num_samples=10, seed=0, true_label=label)
    assert first.steps is None and np.array_equal(first.network_input, image)
    assert again.sampled is first.sampled  # memoised by pixels, kind, T and seed
    assert first.verdict.true_label == label
    assert answer_digit(image, networks, num_samples=10, seed=1).sampled is not first.sampled


def test_blank_and_invalid_inputs_raise_the_usual_errors(networks):
    with pytest.raises(bnn.BlankImageError):
        read_digit(np.zeros((280, 280), np.uint8), networks)
    with pytest.raises(bnn.InvalidImageError):
        read_digit(b"not an image", networks)


def test_the_served_networks_are_frozen_warmed_and_keyed_by_kind(networks):
    assert set(networks.models) == {"bayesian", "deterministic"} and networks.arch == "mlp"
    assert networks.models["bayesian"]._scales  # frozen: the posterior's scales computed once
    assert set(networks.thresholds) == set(networks.models)
