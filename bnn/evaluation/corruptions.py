"""The corruptions of the shift benchmark: what each one does to an upsampled MNIST digit, and the table of them.

Each 28 px test digit is upsampled to RESOLUTION (112 px, Pillow bicubic, as a drawing canvas would give it)
and centred on a PADDED_SIZE (160 px) square, so that a rotated, slanted or enlarged digit never leaves it
(:func:`upsample`). CORRUPTIONS is the table: one :class:`Corruption` per row, its family described in FAMILIES;
:func:`corrupt` applies one at that resolution. ``bnn.evaluation.shift`` runs the benchmark over the table.

The image operations (bilinear warps, blur, dilation and erosion, thinning) are ``bnn.image.ops``'s, on
scipy.ndimage and Pillow; everything random draws from ``numpy.random.default_rng`` seeded per (seed, corruption,
image) (:func:`corruption_rng`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from bnn.config import IMAGE_SIZE
from bnn.image import ops as imageops

RESOLUTION = 112  # px: the 28 px MNIST field upsampled 4x, about the size of a digit drawn on the app's canvas
SCALE = RESOLUTION // IMAGE_SIZE  # canvas pixels per MNIST pixel
MARGIN = 24  # px of blank border around the 112 px field: room for a 90 degree turn or a 1.25x enlargement
PADDED_SIZE = RESOLUTION + 2 * MARGIN  # 160 px per side of the upsampled digit with its margin: what is corrupted
UPSAMPLING = Image.Resampling.BICUBIC
BINARY_THRESHOLD = 0.5  # ink level above which a pixel is part of the stroke when re-drawn as a canvas would


@dataclass(frozen=True)
class Corruption:
    """One row of the benchmark: a family, its severity label and the parameters that define it."""

    family: str
    severity: str | float
    parameters: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.family}:{self.severity}"


FAMILIES = {
    "clean": "the upsampled digit, unchanged",
    "rotation": "turned about the canvas centre by `degrees`, counter-clockwise positive (bilinear)",
    "shear": "horizontal slant x' = x - shear * y about the centre (y down), positive leans the top right",
    "scale": "the whole digit resized by `relative_size` (Pillow bicubic, antialiased), centred",
    "aspect": "width resized by `width_factor`, height kept (Pillow bicubic, antialiased), centred",
    "thickness": "grey-level erosion (thin) or dilation (thick) with a disk of `radius_px` canvas pixels",
    "elastic": (
        "Simard et al. 2003: uniform(-1, 1) displacements on the 40 px MNIST-scale grid, Gaussian-smoothed "
        "(`sigma`, MNIST px), times `alpha` (MNIST px), upsampled bilinearly to the canvas (x4)"
    ),
    "off_centre": "the 160 px canvas pasted at (`top_px`, `left_px`) of a `canvas_px` black canvas",
    "blur": "Gaussian blur of standard deviation `sigma_px` canvas pixels",
    "noise": "additive Gaussian noise of standard deviation `std` (image range 0..1), clipped to [0, 1]",
    "canvas": (
        f"re-drawn as a drawing canvas gives it: binarised at {BINARY_THRESHOLD}, thinned to a 1 px skeleton "
        "(Zhang & Suen 1984), then stamped with a round pen `pen_width_px` wide (hard edges); `rgba`: white "
        "strokes on a transparent RGBA canvas"
    ),
}

ROTATION_DEGREES = (-90, -75, -60, -45, -30, -15, 15, 30, 45, 60, 75, 90)
CORRUPTIONS: tuple[Corruption, ...] = (
    Corruption("clean", "none"),
    *(Corruption("rotation", degrees, {"degrees": degrees}) for degrees in ROTATION_DEGREES),
    *(Corruption("shear", shear, {"shear": shear}) for shear in (-0.5, -0.3, 0.3, 0.5)),
    # preprocess re-fits every digit to 20 px: 0.25 leaves a 20 px digit (no detail to spare), 1.25 a 100 px one
    *(Corruption("scale", size, {"relative_size": size}) for size in (0.25, 0.5, 0.75, 1.25)),
    *(Corruption("aspect", factor, {"width_factor": factor}) for factor in (0.6, 0.8, 1.25)),
    # 4 canvas px = 1 MNIST px: radius 2 thins each stroke by 1 MNIST px, radius 4 thickens it by 2
    Corruption("thickness", "thinner", {"operation": "erosion", "radius_px": 2}),
    Corruption("thickness", "thin", {"operation": "erosion", "radius_px": 1}),
    Corruption("thickness", "thick", {"operation": "dilation", "radius_px": 2}),
    Corruption("thickness", "thicker", {"operation": "dilation", "radius_px": 4}),
    Corruption("elastic", "mild", {"alpha": 20.0, "sigma": 4.0}),
    Corruption("elastic", "strong", {"alpha": 34.0, "sigma": 4.0}),  # Simard et al.'s training setting
    Corruption("off_centre", "top-left", {"canvas_px": 280, "top_px": 0, "left_px": 0}),
    Corruption("off_centre", "bottom-right", {"canvas_px": 280, "top_px": 120, "left_px": 120}),
    Corruption("blur", "mild", {"sigma_px": 3.0}),  # 0.75 MNIST px
    Corruption("blur", "strong", {"sigma_px": 6.0}),  # 1.5 MNIST px
    # preprocess measures noise clipped at the black background on each side, so specks stay background
    Corruption("noise", "mild", {"std": 0.05}),
    Corruption("noise", "strong", {"std": 0.1}),
    # the app's default 18 px brush on a digit drawn ~200 px tall on its 280 px canvas is ~9 % of the
    # digit's height; here digits are ~80 px tall, so 7 px; 14 px is a brush twice as wide
    Corruption("canvas", "pen-7px", {"pen_width_px": 7, "rgba": False}),
    Corruption("canvas", "pen-14px", {"pen_width_px": 14, "rgba": False}),
    Corruption("canvas", "pen-7px-rgba", {"pen_width_px": 7, "rgba": True}),
)


# --- upsampling and the corruptions: (H, W) float32 in [0, 1] -> float32 in [0, 1] --------------------------


def upsample(digits: np.ndarray) -> np.ndarray:
    """(N, 28, 28) MNIST digits in [0, 1] -> (N, 160, 160): each upsampled to 112 px and centred with a margin."""
    canvases = np.zeros((len(digits), PADDED_SIZE, PADDED_SIZE), np.float32)
    for index, digit in enumerate(digits):
        field_image = Image.fromarray(np.asarray(digit, np.float32)).resize((RESOLUTION, RESOLUTION), UPSAMPLING)
        canvases[index, MARGIN:-MARGIN, MARGIN:-MARGIN] = np.clip(np.asarray(field_image), 0, 1)
    return canvases


def corrupt(canvas: np.ndarray, corruption: Corruption, rng: np.random.Generator) -> np.ndarray:
    """One (160, 160) canvas -> the corrupted image, float32 in [0, 1].

    The shape is (160, 160), except off_centre: (280, 280), and canvas with ``rgba``: (160, 160, 4).
    """
    image = _CORRUPT[corruption.family](np.asarray(canvas, np.float32), rng, **corruption.parameters)
    return np.clip(image, 0, 1).astype(np.float32)


def _clean(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return image


def _rotation(image: np.ndarray, rng: np.random.Generator, degrees: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    # Inverse map in centred (x right, y down) coordinates; positive angles turn the digit counter-clockwise.
    inverse = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return imageops.affine(image, inverse)


def _shear(image: np.ndarray, rng: np.random.Generator, shear: float) -> np.ndarray:
    return imageops.affine(
        image, np.array([[1.0, shear], [0.0, 1.0]])
    )  # x_source = x + shear * y undoes x' = x - shear * y


def _scale(image: np.ndarray, rng: np.random.Generator, relative_size: float) -> np.ndarray:
    return imageops.resize_about_centre(image, relative_size, relative_size)


def _aspect(image: np.ndarray, rng: np.random.Generator, width_factor: float) -> np.ndarray:
    return imageops.resize_about_centre(image, width_factor, 1.0)


def _thickness(image: np.ndarray, rng: np.random.Generator, operation: str, radius_px: int) -> np.ndarray:
    return (imageops.erode if operation == "erosion" else imageops.dilate)(image, imageops.disk(radius_px))


def _elastic(image: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    coarse = PADDED_SIZE // SCALE  # the field is drawn at MNIST scale so alpha and sigma keep Simard's meaning
    displacements = []
    for _ in range(2):
        field_mnist = alpha * imageops.gaussian_blur(rng.uniform(-1, 1, (coarse, coarse)), sigma)
        field_image = Image.fromarray(field_mnist.astype(np.float32)).resize(
            image.shape[::-1], Image.Resampling.BILINEAR
        )
        displacements.append(SCALE * np.asarray(field_image, np.float64))
    rows, cols = np.indices(image.shape, dtype=np.float64)
    return imageops.bilinear_sample(image, rows + displacements[0], cols + displacements[1])


def _off_centre(image: np.ndarray, rng: np.random.Generator, canvas_px: int, top_px: int, left_px: int) -> np.ndarray:
    large = np.zeros((canvas_px, canvas_px), np.float32)
    large[top_px : top_px + image.shape[0], left_px : left_px + image.shape[1]] = image
    return large


def _blur(image: np.ndarray, rng: np.random.Generator, sigma_px: float) -> np.ndarray:
    return imageops.gaussian_blur(image, sigma_px)


def _noise(image: np.ndarray, rng: np.random.Generator, std: float) -> np.ndarray:
    return image + rng.normal(0.0, std, image.shape)


def _canvas(image: np.ndarray, rng: np.random.Generator, pen_width_px: int, rgba: bool) -> np.ndarray:
    skeleton = imageops.thin(image > BINARY_THRESHOLD)
    stroke = imageops.dilate(skeleton.astype(np.float32), imageops.disk(pen_width_px / 2))
    if not rgba:
        return stroke
    white = np.ones_like(stroke)
    return np.stack([white, white, white, stroke], axis=-1)  # the stroke is in alpha; colour is white everywhere


_CORRUPT: dict[str, Callable[..., np.ndarray]] = {
    "clean": _clean,
    "rotation": _rotation,
    "shear": _shear,
    "scale": _scale,
    "aspect": _aspect,
    "thickness": _thickness,
    "elastic": _elastic,
    "off_centre": _off_centre,
    "blur": _blur,
    "noise": _noise,
    "canvas": _canvas,
}


def corruption_rng(seed: int, corruption: Corruption, image_index: int) -> np.random.Generator:
    """The generator of one image's corruption: the same for a seed whatever N and the table's order."""
    return np.random.default_rng([seed, zlib.crc32(corruption.key.encode()), image_index])
