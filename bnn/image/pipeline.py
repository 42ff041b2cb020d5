"""Any image of a digit -> the 28 x 28 input MNIST networks expect: white ink on black, centred.

The steps: decode (`bnn.image.decode`), separate the ink from the paper (`bnn.image.paper`), then MNIST's
geometry (`bnn.image.geometry`). One pipeline for the page, the CLI, the reports and the number reader.

    x = preprocess_image(upload.getvalue())     # (28, 28) float32 in [0, 1]
    steps = preprocess_steps(canvas_rgba)       # every intermediate stage, for display
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnn.image.decode import ImageInput, to_grayscale
from bnn.image.geometry import DIGIT_SIZE, NetworkInput, centre_of_mass_field, crop_to_ink, resize_longest_side
from bnn.image.paper import separate_ink


@dataclass(frozen=True, eq=False)
class PreprocessSteps:
    """Every stage of the pipeline, as float32 arrays in [0, 1], for showing users what the network sees."""

    grayscale: np.ndarray  # (H, W) luminance after decoding, alpha compositing and downscaling; 1 = white
    inverted: bool  # True when the ink was darker than the background, so the image was flipped
    background: np.ndarray  # (H, W) the paper's estimated brightness under the light, strokes removed
    ruling: np.ndarray  # (H, W) bool: pixels of ruled or squared paper's lines taken out (all False if none)
    normalised: np.ndarray  # (H, W) white ink on black: background 0, ink 1
    cropped: np.ndarray  # (h, w) bounding box of the ink
    resized: np.ndarray  # (h', w') longest side DIGIT_SIZE (20) px, aspect ratio kept
    final: np.ndarray  # (28, 28) the digit placed with its centre of mass at the field's centre


def preprocess_image(image: ImageInput) -> NetworkInput:
    """Any image of one digit -> (28, 28) float32 in [0, 1], white ink on black, MNIST style.

    Accepts a PIL image; a NumPy array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of any numeric or bool
    dtype; encoded PNG / JPEG / BMP / GIF / WEBP bytes; a binary file object; or a path to such a file.
    Raises InvalidImageError for anything unreadable or not allowed, BlankImageError when there is no ink.
    """
    return preprocess_steps(image).final


def preprocess_steps(image: ImageInput) -> PreprocessSteps:
    """The pipeline of `preprocess_image`, keeping each intermediate image (see `PreprocessSteps`)."""
    grayscale = to_grayscale(image)
    normalised, inverted, background, ruling = separate_ink(grayscale)
    cropped = crop_to_ink(normalised)
    resized = resize_longest_side(cropped, DIGIT_SIZE)
    final = centre_of_mass_field(resized)
    return PreprocessSteps(grayscale, inverted, background, ruling, normalised, cropped, resized, final)


def ink_image(image: ImageInput) -> np.ndarray:
    """Any image -> (H, W) float32 white ink on black at working resolution, paper, light and ruling removed:
    the ``normalised`` stage of `preprocess_steps`, for images holding more than one digit (``bnn.image.segment``)."""
    return separate_ink(to_grayscale(image))[0]
