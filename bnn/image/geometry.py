"""MNIST's geometry (LeCun et al., 1998): crop to the ink, fit the longest side in 20 px keeping the aspect
ratio, place the digit in a 28 x 28 field with its centre of mass at the field's centre."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bnn.config import IMAGE_SIZE
from bnn.image.errors import BLANK_MESSAGE, BlankImageError

NetworkInput = np.ndarray  # (28, 28) float32 in [0, 1], white ink on black: what preprocess_image returns

DIGIT_SIZE = 20  # MNIST fits each digit's longest side to 20 px inside the 28 px field
# Where MNIST's training digits have their centre of mass, in pixel-index coordinates: not the field's geometric
# centre 13.5, which would put every input half a pixel off theirs (docs/decisions.md).
FIELD_CENTRE = IMAGE_SIZE / 2
CROP_THRESHOLD = 0.2  # normalised level above which a pixel counts for the ink's bounding box
MIN_INK_PIXELS = 4  # fewer ink pixels than a 2x2 dot is a speck of noise, not a digit: blank


def is_blank_ink(ink: np.ndarray) -> bool:
    """Whether white ink on black in [0, 1] (the ``normalised`` stage, or a (28, 28) input) holds too little ink to
    read, by the rule `preprocess_image` refuses a blank image by when it crops: fewer than MIN_INK_PIXELS pixels
    above CROP_THRESHOLD."""
    return np.count_nonzero(np.asarray(ink) > CROP_THRESHOLD) < MIN_INK_PIXELS


def digit_field(ink: np.ndarray) -> NetworkInput:
    """(H, W) white ink on black holding one digit -> (28, 28): MNIST's geometry, as `preprocess_steps` applies it
    (crop to the ink, longest side to 20 px, centre of mass at the field's centre)."""
    return centre_of_mass_field(resize_longest_side(crop_to_ink(ink), DIGIT_SIZE))


def crop_to_ink(normalised: np.ndarray) -> np.ndarray:
    """(H, W) -> (h, w) bounding box of the pixels above CROP_THRESHOLD."""
    if is_blank_ink(normalised):
        raise BlankImageError(BLANK_MESSAGE)
    ink = normalised > CROP_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return normalised[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def resize_longest_side(cropped: np.ndarray, size: int) -> np.ndarray:
    """(h, w) -> (h', w') with max(h', w') == size, aspect ratio kept, each side at least 1 px."""
    height, width = cropped.shape
    scale = size / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Lanczos on a float image: anti-aliased like NIST's normalisation; its small ringing is clipped away.
    resized = Image.fromarray(np.ascontiguousarray(cropped, np.float32)).resize(new_size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, np.float32), 0, 1)


def centre_of_mass_field(resized: np.ndarray) -> np.ndarray:
    """(h, w) digit -> (28, 28), shifted by whole pixels so its centre of mass is nearest FIELD_CENTRE.

    The shift is clamped so that no ink leaves the field (it only binds for lopsided, full-height digits).
    """
    height, width = resized.shape
    mass = float(resized.sum())
    if not mass > 0:
        raise BlankImageError(BLANK_MESSAGE)
    centre_y = float(resized.sum(axis=1) @ np.arange(height)) / mass
    centre_x = float(resized.sum(axis=0) @ np.arange(width)) / mass
    top = int(np.clip(round(FIELD_CENTRE - centre_y), 0, IMAGE_SIZE - height))
    left = int(np.clip(round(FIELD_CENTRE - centre_x), 0, IMAGE_SIZE - width))
    field = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    field[top : top + height, left : left + width] = resized
    return field
