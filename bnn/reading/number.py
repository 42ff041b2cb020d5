"""A whole number read from one image: each digit with its own uncertainty, and the number's posterior.

`read_number` segments the image (``bnn.image.segment``), reads every digit in one batched call of the sampled network,
and lets each of the T weight samples read the whole number (its own most probable digit at each position): how
often each reading comes up is the number's posterior, beside the reading of the averaged probabilities.

    reading = bnn.read_number(image, model, num_samples=100, seed=0, deterministic=twin)
    reading.sentence()      # "61 of 100 sampled networks read 1976, 22 read 1916, ..."
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from bnn.config import CUT_SAMPLES, MAX_DIGITS, PREDICTION_SAMPLES, READINGS_SHOWN
from bnn.image import ImageInput
from bnn.image.segment import Segmentation, segment
from bnn.reading.verdict import Thresholds, not_sure_reasons

if TYPE_CHECKING:  # the types only: importing bnn.model.predict loads TensorFlow
    from bnn.model.predict import DigitModel, Prediction


@dataclass(frozen=True, eq=False)
class NumberReading:
    """The digits of one image, left to right, read by T sampled networks (and the deterministic twin)."""

    segmentation: Segmentation  # the ink, each digit's box and its (28, 28) network input
    sampled: Prediction  # (T, D, 10): every weight sample's probabilities for each of the D digits
    thresholds: Thresholds  # the sampled network's "not sure" thresholds (its model card)
    deterministic: Prediction | None = None  # (1, D, 10) the deterministic twin's, when it was asked

    @property
    def boxes(self) -> tuple[tuple[int, int, int, int], ...]:
        """(top, left, bottom, right) of each digit in the working-resolution ink image, ends exclusive."""
        return self.segmentation.boxes

    @property
    def digits(self) -> np.ndarray:
        """(D, 28, 28) what the network sees of each digit."""
        return self.segmentation.digits

    @property
    def num_samples(self) -> int:
        return self.sampled.num_samples

    @property
    def digit_predictions(self) -> tuple[Prediction, ...]:
        """One `Prediction` (T, 1, 10) per digit, left to right."""
        return tuple(self.sampled[index] for index in range(len(self.sampled)))

    @cached_property
    def sampled_readings(self) -> tuple[tuple[str, int], ...]:
        """Every number the T sampled networks read (each its own argmax per digit) with how many read it, most
        frequent first (ties: the smaller number first)."""
        per_sample = np.argmax(self.sampled.samples, axis=-1)  # (T, D)
        counts = Counter("".join(map(str, row)) for row in per_sample.tolist())
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    @property
    def top_reading(self) -> str:
        """The reading most sampled networks agree on."""
        return self.sampled_readings[0][0]

    @property
    def mean_reading(self) -> str:
        """The reading of the averaged probabilities: the posterior predictive's digit at each position."""
        return "".join(map(str, self.sampled.label.tolist()))

    @property
    def mean_probability(self) -> float:
        """The probability of ``mean_reading``: the product of its digits' posterior predictive probabilities."""
        return float(np.prod(self.sampled.probability.astype(np.float64)))

    @property
    def deterministic_reading(self) -> str | None:
        return None if self.deterministic is None else "".join(map(str, self.deterministic.label.tolist()))

    @property
    def deterministic_probability(self) -> float | None:
        return None if self.deterministic is None else float(np.prod(self.deterministic.probability.astype(np.float64)))

    @cached_property
    def not_sure_positions(self) -> tuple[int, ...]:
        """Positions (from 0, left to right) of the digits above the model card's "not sure" thresholds."""
        flagged = (
            not_sure_reasons(float(entropy), float(mutual_information), self.thresholds)
            for entropy, mutual_information in zip(
                self.sampled.predictive_entropy, self.sampled.mutual_information, strict=True
            )
        )
        return tuple(position for position, reasons in enumerate(flagged) if reasons)

    @property
    def not_sure(self) -> bool:
        """Not sure of the number when not sure of any of its digits."""
        return bool(self.not_sure_positions)

    @property
    def uncertainty(self) -> float:
        """Total uncertainty of the number in nats: the sum of its digits' predictive entropies (the entropy of
        the product of their posterior predictive distributions)."""
        return float(self.sampled.predictive_entropy.astype(np.float64).sum())

    def sentence(self, shown: int = READINGS_SHOWN) -> str:
        """The ``shown`` most frequent sampled readings in words: "61 of 100 sampled networks read 1976, 22 read
        1916, ..."."""
        readings = self.sampled_readings[:shown]
        first, count = readings[0]
        parts = [f"{count} of {self.num_samples} sampled networks read {first}"]
        parts += [f"{count} read {reading}" for reading, count in readings[1:]]
        rest = self.num_samples - sum(count for _, count in readings)
        if rest:
            parts.append(f"{rest} read {len(self.sampled_readings) - len(readings)} other numbers")
        return ", ".join(parts) + "."

    def headline(self) -> str:
        """One Markdown line: the averaged reading with its probability, "not sure" where it is, and the twin's."""
        line = f"**{self.mean_reading}** with probability {self.mean_probability:.2f}"
        if self.not_sure:
            positions = ", ".join(str(position + 1) for position in self.not_sure_positions)
            noun = "digit" if len(self.not_sure_positions) == 1 else "digits"
            line += f" (**not sure** of {noun} {positions})"
        if self.deterministic is not None:
            line += f" · deterministic: **{self.deterministic_reading}** with probability "
            line += f"{self.deterministic_probability:.2f}"
        return line

    def explanation(self) -> str:
        """Why the reading is sure or not, in one sentence."""
        if not self.not_sure:
            return (
                "The network is fairly sure of every digit: each is below the thresholds chosen on validation digits."
            )
        positions = ", ".join(str(position + 1) for position in self.not_sure_positions)
        return (
            f"Not sure of the digit at position {positions} (counted from the left): it may not be a digit, or not "
            "one like those the network was trained on. The other digits are read as usual."
        )

    def digit_caption(self, position: int) -> str:
        """The caption under one digit's crop: its digit and probability, "not sure" when it is."""
        caption = f"{int(self.sampled.label[position])} ({float(self.sampled.probability[position]):.2f})"
        return caption + (" · not sure" if position in self.not_sure_positions else "")

    def record(self) -> dict:
        """The reading as plain JSON data (probabilities, uncertainties in nats)."""
        return {
            "reading": self.mean_reading,
            "probability": self.mean_probability,
            "not_sure": self.not_sure,
            "not_sure_positions": list(self.not_sure_positions),
            "uncertainty": self.uncertainty,
            "num_samples": self.num_samples,
            "sampled_readings": [{"reading": reading, "count": count} for reading, count in self.sampled_readings],
            "digits": [
                {
                    "box": list(box),
                    "digit": int(self.sampled.label[index]),
                    "probability": float(self.sampled.probability[index]),
                    "predictive_entropy": float(self.sampled.predictive_entropy[index]),
                    "mutual_information": float(self.sampled.mutual_information[index]),
                }
                for index, box in enumerate(self.boxes)
            ],
            "deterministic_reading": self.deterministic_reading,
            "deterministic_probability": self.deterministic_probability,
        }


def read_number(
    image: ImageInput,
    model: DigitModel,
    num_samples: int = PREDICTION_SAMPLES,
    seed: int | None = None,
    deterministic: DigitModel | None = None,
    max_digits: int = MAX_DIGITS,
) -> NumberReading:
    """Read the number written in ``image`` (anything `preprocess_image` accepts) with ``model``'s T =
    ``num_samples`` weight samples, and with the ``deterministic`` twin when given.

    Raises BlankImageError when there is no ink, TooManyDigitsError for more than ``max_digits`` digits.
    """

    def score(images: np.ndarray) -> np.ndarray:  # touching digits are cut where the network reads them best
        return model.predict(images, num_samples=min(CUT_SAMPLES, num_samples), seed=seed).mean_probs

    segmentation = segment(image, score, max_digits)
    sampled = model.predict(segmentation.digits, num_samples=num_samples, seed=seed)
    twin = None if deterministic is None else deterministic.predict(segmentation.digits, seed=seed)
    return NumberReading(segmentation, sampled, model.card.thresholds, twin)
