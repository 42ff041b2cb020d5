"""Images for display: a 28 x 28 input enlarged with crisp pixels, and the stages of preprocessing with captions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from bnn.image import PreprocessSteps


def enlarge(image: np.ndarray, size: int = 168) -> Image.Image:
    """(H, W) floats in [0, 1] -> a grayscale PIL image about ``size`` px wide with crisp (nearest) pixels."""
    pixels = np.clip(np.asarray(image, np.float32), 0, 1)
    picture = Image.fromarray(np.round(pixels * 255).astype(np.uint8), mode="L")
    scale = max(1, round(size / max(picture.size)))
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


def preprocessing_panels(steps: PreprocessSteps) -> list[tuple[str, np.ndarray]]:
    """(caption, (H, W) image in [0, 1]) for each stage of preprocessing, in order, for display.

    The panel of ruled lines appears only when some were taken out.
    """
    flipped = "flipped: dark ink on light paper" if steps.inverted else "not flipped: already light ink on dark"
    panels = [
        ("1. grayscale", steps.grayscale),
        ("2. the paper under its light, strokes removed (estimated)", steps.background),
    ]
    if steps.ruling.any():
        panels.append(("ruled lines taken out", steps.ruling.astype(np.float32)))
    panels += [
        (f"3. ink against the paper around it, white on black ({flipped})", steps.normalised),
        ("4. cropped to the ink", steps.cropped),
        ("5. longest side 20 px", steps.resized),
        ("6. centred by mass in 28 x 28", steps.final),
    ]
    return panels
