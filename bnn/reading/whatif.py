"""What if? The user's own 28 x 28 input rotated, shifted, thickened or thinned and partly covered, and how both
networks answer each variant: uncertainty grows as an input moves away from the data the network was trained on.

    exploration = explore(sampled_model, deterministic_model, image, num_samples=100, seed=0)
    exploration.sweeps[0].values, exploration.sweeps[0].mutual_information   # rotation angles, mutual information (nats)

Every variant of one input goes through one batched ``predict`` call per network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bnn.config import IMAGE_SIZE
from bnn.image import is_blank_ink
from bnn.image import ops as imageops

if TYPE_CHECKING:  # the types only: importing bnn.model.predict loads TensorFlow
    from bnn.model.predict import DigitModel

ROTATIONS = tuple(range(-90, 91, 15))  # degrees, counter-clockwise positive
SHIFTS = tuple(range(-8, 9, 2))  # pixels to the right (negative: to the left)
THICKNESS = (-2, -1, 0, 1, 2, 3)  # pixels of ink removed (negative) or added on every side
BAR_ROWS = (None, 6, 10, 14, 18, 22)  # centre row of a 4 px bar that hides the ink there; None: no bar
BAR_HEIGHT = 4  # pixels: wider than a stroke, so the bar cuts the ink it crosses
BLANK = "blank"  # what the page says of a variant with no ink left, instead of a digit


@dataclass(frozen=True)
class Sweep:
    """One way of changing the input, step by step: ``images`` (K, 28, 28) for the K ``values``."""

    name: str  # identifier: "rotation", "shift", "thickness", "bar"
    title: str  # what a person calls it
    unit: str  # of ``values``, for the axis
    values: tuple  # the parameter of each step; the input itself is one of them
    images: np.ndarray

    def labels(self) -> list[str]:
        """A short caption per step, e.g. "-45°", "+2 px", "no bar"."""
        return [_label(self.name, value) for value in self.values]

    @property
    def blank(self) -> np.ndarray:
        """(K,) bool: the steps with too little ink left to read (``bnn.image.is_blank_ink``: the rule a
        drawing is refused as blank by), e.g. a thin stroke thinned away."""
        return np.array([is_blank_ink(image) for image in self.images])


@dataclass(frozen=True)
class SweepAnswers:
    """How the two networks answer each step of a :class:`Sweep`; each array has one value per step."""

    sweep: Sweep
    digit: np.ndarray  # the sampled network's most probable digit
    probability: np.ndarray  # its posterior predictive probability
    predictive_entropy: np.ndarray  # nats
    mutual_information: np.ndarray  # nats: mutual information
    deterministic_digit: np.ndarray
    deterministic_probability: np.ndarray  # the deterministic network's max softmax probability

    def digits_shown(self) -> list[str]:
        """Per step, what the page says the sampled network read: its digit, or `BLANK` for a step with no ink
        left, which the networks answer like any input but the page never gives a digit (as the Draw tab)."""
        return [BLANK if blank else str(digit) for digit, blank in zip(self.digit, self.sweep.blank, strict=True)]


@dataclass(frozen=True)
class Exploration:
    sweeps: tuple[SweepAnswers, ...]
    num_samples: int  # T of the sampled network


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """(28, 28) rotated counter-clockwise about the centre of the field (where preprocessing puts the ink's mass)."""
    return image.copy() if degrees == 0 else imageops.rotate(image, degrees)


def shift(image: np.ndarray, pixels: int) -> np.ndarray:
    """(28, 28) moved ``pixels`` to the right (left when negative); ink pushed off the edge is lost."""
    moved = np.zeros_like(image)
    if pixels >= 0:
        moved[:, pixels:] = image[:, : IMAGE_SIZE - pixels]
    else:
        moved[:, :pixels] = image[:, -pixels:]
    return moved


def change_thickness(image: np.ndarray, pixels: int) -> np.ndarray:
    """(28, 28) with ``pixels`` of ink added on every side of each stroke (square dilation), or removed (erosion)."""
    if pixels == 0:
        return image.copy()
    return (imageops.dilate if pixels > 0 else imageops.erode)(image, imageops.square(abs(pixels)))


def cover(image: np.ndarray, centre_row: int | None) -> np.ndarray:
    """(28, 28) with a BAR_HEIGHT px horizontal bar of background hiding the ink around ``centre_row``."""
    covered = image.copy()
    if centre_row is not None:
        covered[centre_row - BAR_HEIGHT // 2 : centre_row + BAR_HEIGHT - BAR_HEIGHT // 2] = 0
    return covered


def variants(image: np.ndarray) -> tuple[Sweep, ...]:
    """The four sweeps of one (28, 28) input in [0, 1]."""
    image = np.asarray(image, np.float32)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected one ({IMAGE_SIZE}, {IMAGE_SIZE}) input, got shape {image.shape}")
    changes = (
        ("rotation", "Rotated", "degrees", ROTATIONS, rotate),
        ("shift", "Shifted sideways", "pixels", SHIFTS, shift),
        ("thickness", "Thinner or thicker strokes", "pixels per side", THICKNESS, change_thickness),
        ("bar", "Partly covered by a bar", "centre row of the bar", BAR_ROWS, cover),
    )
    return tuple(
        Sweep(name, title, unit, values, np.clip(np.stack([change(image, value) for value in values]), 0, 1))
        for name, title, unit, values, change in changes
    )


def explore(
    sampled: DigitModel, deterministic: DigitModel, image: np.ndarray, num_samples: int, seed: int | None = 0
) -> Exploration:
    """Every variant of ``image`` through both networks, the uncertainty method's (``sampled``: variational, MC
    dropout or ensemble) and its deterministic twin: one batched ``predict`` call each."""
    sweeps = variants(image)
    batch = np.concatenate([sweep.images for sweep in sweeps])
    beliefs = sampled.predict(batch, num_samples=num_samples, seed=seed)
    answers = deterministic.predict(batch)
    results, start = [], 0
    for sweep in sweeps:
        part = slice(start, start + len(sweep.values))
        start = part.stop
        results.append(
            SweepAnswers(
                sweep=sweep,
                digit=beliefs.label[part],
                probability=beliefs.probability[part],
                predictive_entropy=beliefs.predictive_entropy[part],
                mutual_information=beliefs.mutual_information[part],
                deterministic_digit=answers.label[part],
                deterministic_probability=answers.probability[part],
            )
        )
    return Exploration(tuple(results), beliefs.num_samples)


def _label(name: str, value) -> str:
    if name == "rotation":
        return f"{value:+d}°" if value else "0°"
    if name == "bar":
        return "no bar" if value is None else f"row {value}"
    return f"{value:+d} px" if value else "as drawn"
