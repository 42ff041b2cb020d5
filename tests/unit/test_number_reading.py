"""A whole number's reading (bnn.reading.number) from predictions made up by hand: no network, so every count,
probability and sentence is known in advance (tests/unit/test_number.py reads numbers with the shipped networks)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from bnn.config import CUT_SAMPLES
from bnn.image.segment import Segmentation, TooManyDigitsError
from bnn.model.predict import Prediction
from bnn.reading.number import NumberReading, read_number
from bnn.reading.verdict import Thresholds

T = 10


def sure(digit: int, probability: float = 0.9) -> np.ndarray:
    """One sample's class probabilities: ``digit`` at ``probability``, the rest shared evenly."""
    row = np.full(10, (1 - probability) / 9)
    row[digit] = probability
    return row


def samples(*positions: list[np.ndarray]) -> np.ndarray:
    """(T, D, 10) from D lists of T rows, one list per position."""
    return np.stack([np.stack(rows) for rows in positions], axis=1).astype(np.float32)


def segmentation(count: int) -> Segmentation:
    """``count`` digits side by side, 30 px apart, in a made-up ink image."""
    boxes = tuple((2, 30 * index + 2, 28, 30 * index + 20) for index in range(count))
    ink = np.zeros((30, 30 * count), np.float32)
    owner = np.zeros(ink.shape, np.int32)
    for number, (top, left, bottom, right) in enumerate(boxes, start=1):
        ink[top:bottom, left:right] = 1.0
        owner[top:bottom, left:right] = number
    digits = np.stack([np.full((28, 28), index / 10, np.float32) for index in range(count)])
    return Segmentation(ink, owner, boxes, digits)


# Position 0: every sample reads 7 (sure). Position 1: six samples read 2, three read 3, one reads 8.
SEVEN = [sure(7, 0.95)] * T
TWO_OR_THREE = [sure(2)] * 6 + [sure(3)] * 3 + [sure(8)]
LOOSE = Thresholds(predictive_entropy=10.0, mutual_information=10.0)  # flags nothing


def reading(
    positions=(SEVEN, TWO_OR_THREE), thresholds: Thresholds = LOOSE, deterministic: bool = True
) -> NumberReading:
    twin = Prediction(samples(*[[sure(digit, 0.99)] for digit in (7, 3)][: len(positions)])) if deterministic else None
    return NumberReading(segmentation(len(positions)), Prediction(samples(*positions)), thresholds, twin)


def test_every_sampled_networks_reading_is_counted_most_frequent_first():
    number = reading()
    assert number.sampled_readings == (("72", 6), ("73", 3), ("78", 1))
    assert number.top_reading == "72" and number.num_samples == T
    assert number.boxes == segmentation(2).boxes and np.array_equal(number.digits, segmentation(2).digits)
    assert [prediction.samples.shape for prediction in number.digit_predictions] == [(T, 1, 10)] * 2
    np.testing.assert_array_equal(number.digit_predictions[1].samples[:, 0], samples(TWO_OR_THREE)[:, 0])


def test_equally_frequent_readings_come_smaller_number_first():
    number = reading((SEVEN, [sure(5)] * 5 + [sure(4)] * 5))
    assert number.sampled_readings == (("74", 5), ("75", 5))


def test_the_averaged_reading_and_its_probability_are_the_posterior_predictives():
    number = reading()
    mean = samples(SEVEN, TWO_OR_THREE).astype(np.float64).mean(axis=0)  # (2, 10)
    assert number.mean_reading == "72"
    assert number.mean_probability == pytest.approx(mean[0, 7] * mean[1, 2], rel=1e-6)
    assert number.deterministic_reading == "73"
    assert number.deterministic_probability == pytest.approx(0.99 * 0.99, rel=1e-6)
    alone = reading(deterministic=False)
    assert alone.deterministic_reading is None and alone.deterministic_probability is None


def test_the_uncertainty_of_a_number_is_the_sum_of_its_digits_predictive_entropies():
    number = reading()
    assert number.uncertainty == pytest.approx(float(np.sum(number.sampled.predictive_entropy)), rel=1e-6)
    assert number.uncertainty > float(number.sampled.predictive_entropy.max()) > 0


def test_a_digit_is_not_sure_above_either_threshold_and_the_rest_are_read_as_usual():
    entropy = float(reading().sampled.predictive_entropy[1])
    by_entropy = reading(thresholds=Thresholds(predictive_entropy=entropy - 1e-3))
    assert by_entropy.not_sure_positions == (1,) and by_entropy.not_sure
    by_information = Thresholds(mutual_information=float(reading().sampled.mutual_information[1]) - 1e-3)
    assert reading(thresholds=by_information).not_sure_positions == (1,)
    assert reading(thresholds=Thresholds(predictive_entropy=entropy + 1e-3)).not_sure_positions == ()
    assert not reading().not_sure
    everything = reading(thresholds=Thresholds(predictive_entropy=1e-6))
    assert everything.not_sure_positions == (0, 1)


def test_the_sentence_lists_the_most_frequent_readings_and_counts_the_rest():
    number = reading()
    assert number.sentence() == "6 of 10 sampled networks read 72, 3 read 73, 1 read 78."
    assert number.sentence(shown=1) == "6 of 10 sampled networks read 72, 4 read 2 other numbers."
    assert number.sentence(shown=2) == "6 of 10 sampled networks read 72, 3 read 73, 1 read 1 other numbers."


def test_the_headline_names_the_reading_its_probability_the_digits_not_sure_and_the_twin():
    number = reading()
    probability = f"{number.mean_probability:.2f}"
    twin = f" · deterministic: **73** with probability {0.99 * 0.99:.2f}"
    assert number.headline() == f"**72** with probability {probability}{twin}"
    one = reading(thresholds=Thresholds(mutual_information=float(number.sampled.mutual_information[1]) - 1e-3))
    assert one.headline() == f"**72** with probability {probability} (**not sure** of digit 2){twin}"
    both = reading(thresholds=Thresholds(predictive_entropy=1e-6), deterministic=False)
    assert both.headline() == f"**72** with probability {probability} (**not sure** of digits 1, 2)"


def test_the_explanation_and_the_captions_say_which_digit_is_not_sure():
    assert reading().explanation() == (
        "The network is fairly sure of every digit: each is below the thresholds chosen on validation digits."
    )
    unsure = reading(thresholds=Thresholds(mutual_information=float(reading().sampled.mutual_information[1]) - 1e-3))
    assert unsure.explanation() == (
        "Not sure of the digit at position 2 (counted from the left): it may not be a digit, or not one like those "
        "the network was trained on. The other digits are read as usual."
    )
    mean = samples(SEVEN, TWO_OR_THREE).astype(np.float64).mean(axis=0)
    assert unsure.digit_caption(0) == f"7 ({mean[0, 7]:.2f})"
    assert unsure.digit_caption(1) == f"2 ({mean[1, 2]:.2f}) · not sure"


def test_the_record_is_plain_json_with_every_digit():
    number = reading(thresholds=Thresholds(predictive_entropy=1e-6))
    record = json.loads(json.dumps(number.record()))
    assert record["reading"] == "72" and record["probability"] == pytest.approx(number.mean_probability)
    assert record["not_sure"] is True and record["not_sure_positions"] == [0, 1]
    assert record["uncertainty"] == pytest.approx(number.uncertainty) and record["num_samples"] == T
    assert record["sampled_readings"] == [
        {"reading": "72", "count": 6},
        {"reading": "73", "count": 3},
        {"reading": "78", "count": 1},
    ]
    assert [digit["box"] for digit in record["digits"]] == [list(box) for box in number.boxes]
    assert [digit["digit"] for digit in record["digits"]] == [7, 2]
    for index, digit in enumerate(record["digits"]):
        assert digit["probability"] == pytest.approx(float(number.sampled.probability[index]))
        assert digit["predictive_entropy"] == pytest.approx(float(number.sampled.predictive_entropy[index]))
        assert digit["mutual_information"] == pytest.approx(float(number.sampled.mutual_information[index]))
    assert record["deterministic_reading"] == "73"
    assert record["deterministic_probability"] == pytest.approx(0.99 * 0.99)


class BrightnessModel:
    """Stands in for a DigitModel: reads each input as the digit of its total ink (mod 10), and records its calls."""

    def __init__(self, kind: str, thresholds: Thresholds = LOOSE):
        self.kind, self.calls = kind, []
        self.card = SimpleNamespace(thresholds=thresholds)

    def predict(self, images, num_samples=1, seed=None):
        self.calls.append((len(images), num_samples, seed))
        digits = np.round(np.asarray(images).sum(axis=(1, 2))).astype(int) % 10
        one = np.stack([sure(digit) for digit in digits])
        return Prediction(np.repeat(one[None], 1 if self.kind == "deterministic" else num_samples, axis=0))


def two_strokes() -> np.ndarray:
    """Two tall strokes far apart: two digits, no cut or merge to decide."""
    image = np.zeros((120, 240), np.uint8)
    image[20:80, 40:48] = 255
    image[20:80, 160:168] = 255
    return image


def test_read_number_reads_every_digit_in_one_call_with_the_models_thresholds_and_the_twin():
    thresholds = Thresholds(predictive_entropy=1e-6)
    model, twin = BrightnessModel("bayesian", thresholds), BrightnessModel("deterministic")
    number = read_number(two_strokes(), model, num_samples=40, seed=3, deterministic=twin)
    assert len(number.digits) == 2 and number.num_samples == 40
    assert model.calls[-1] == (2, 40, 3) and twin.calls == [(2, 1, 3)]  # every digit at once, both with the seed
    assert number.thresholds is thresholds and number.not_sure_positions == (0, 1)
    expected = "".join(str(round(float(digit.sum())) % 10) for digit in number.digits)
    assert number.mean_reading == expected == number.deterministic_reading
    np.testing.assert_array_equal(number.deterministic.samples.shape, (1, 2, 10))


def test_read_number_asks_for_at_most_cut_samples_while_it_cuts_touching_digits():
    model = BrightnessModel("bayesian")
    image = np.zeros((120, 240), np.uint8)
    image[20:80, 40:160] = 255  # one block of ink twice as wide as tall: touching digits to cut
    number = read_number(image, model, num_samples=CUT_SAMPLES + 30, seed=1)
    scored = model.calls[:-1]  # the candidates' readings, before the digits' own
    assert scored and all(samples == CUT_SAMPLES and seed == 1 for _, samples, seed in scored)
    assert model.calls[-1] == (len(number.digits), CUT_SAMPLES + 30, 1) and number.deterministic is None
    few = BrightnessModel("bayesian")
    read_number(image, few, num_samples=3, seed=1)
    assert all(samples == 3 for _, samples, _ in few.calls)


def test_the_explanation_lists_every_digit_not_sure():
    both = reading(thresholds=Thresholds(predictive_entropy=1e-6))
    assert both.explanation().startswith("Not sure of the digit at position 1, 2 (counted from the left)")


def test_read_number_refuses_more_digits_than_asked_for():
    with pytest.raises(TooManyDigitsError, match="Found 2 digits, more than the 1 a number may have here"):
        read_number(two_strokes(), BrightnessModel("bayesian"), num_samples=5, max_digits=1)
