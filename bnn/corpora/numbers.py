"""MNIST digits written as whole numbers: canvas strokes and photos of paper, for measuring `read_number`.

A number's digits are cropped to their ink, enlarged and set left to right with a gap between neighbours (negative:
they overlap and touch). Canvas numbers are white strokes on black, as the app's canvas sends them; photos are dark
ink on lit paper with blur, noise and JPEG, after ``bnn.corpora.photos``. A two-stroke digit is one digit's ink cut in two by
a thin line across it, as a 5 or a 4 written in two strokes. Nothing is written to disk.

    sample = number_sample(images, labels, "separated", "canvas", rng)   # -> NumberSample(image, text)
    score = measure(model, images, labels, "touching", "photo", count=200, seed=0)
    phone = measure(model, images, labels, "separated", "canvas", count=150, canvas_width=358)  # a phone's canvas
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from scipy import ndimage

from bnn.config import BRUSH_SLIDER, PREDICTION_SAMPLES, number_canvas
from bnn.corpora.photos import INK_RGB, JPEG_QUALITY, PAPER_RGB
from bnn.evaluation.corruptions import BINARY_THRESHOLD
from bnn.image import ops as imageops

if TYPE_CHECKING:
    from bnn.model.predict import DigitModel

CANVAS_SCALE = 7  # the 28 px field enlarged 7x: a 20 px digit is 140 px tall, as drawn on the app's 280 px canvas
PHOTO_SCALE = 4  # on paper the 20 px digit is 80 px tall, as in bnn.corpora.photos
GAPS = (2, 20)  # px between neighbours' ink in the written image, for separated digits
TOUCHING_OVERLAP = (0, 3)  # px that touching neighbours' ink overlaps
MARGIN = 24  # px of canvas or paper around the number
JITTER = 0.1  # each digit moves up or down by up to this share of its field
CUT_WIDTH = 0.4  # px at MNIST's scale: the width of the line that cuts a digit in two strokes
CUT_TILT_DEGREES = 30.0  # the cut runs within this many degrees of the horizontal (a 5's bar, a 4's stem)
PEN_WIDTH = BRUSH_SLIDER["value"]  # px: the app's pen on the wide canvas (narrower canvases: narrower in proportion)
LAYOUTS = ("separated", "touching", "two-stroke")
MEDIA = ("canvas", "photo")


@dataclass(frozen=True)
class NumberSample:
    image: np.ndarray | bytes  # canvas: (H, W) uint8 white on black; photo: JPEG bytes
    text: str  # the number written, e.g. "1976"
    boundaries: tuple[float, ...] = ()  # the image's columns halfway between neighbouring digits, left to right


def number_sample(
    images: np.ndarray,
    labels: np.ndarray,
    layout: str,
    medium: str,
    rng: np.random.Generator,
    length: int = 4,
    canvas_width: int | None = None,
) -> NumberSample:
    """One number of ``length`` random digits from ``images`` (N, 28, 28) in [0, 1]: ``layout`` "separated" (gaps
    of GAPS px), "touching" (a pair overlapping by TOUCHING_OVERLAP px; ``length`` is ignored) or "two-stroke" (one
    digit cut in two); ``medium`` "canvas" or "photo". ``canvas_width`` (canvas only): the same number written on
    the app's Number canvas that many px wide, with its pen (`written_on`); None: the enlarged digits as they are."""
    scale = CANVAS_SCALE if medium == "canvas" else PHOTO_SCALE
    boundaries: tuple[float, ...] = ()
    if layout in ("separated", "touching"):
        chosen = rng.choice(len(images), length if layout == "separated" else 2, replace=False)
        if layout == "separated":
            gaps = rng.integers(GAPS[0], GAPS[1] + 1, length - 1)
        else:
            gaps = -rng.integers(TOUCHING_OVERLAP[0], TOUCHING_OVERLAP[1] + 1, 1)
        pen = None
        if medium == "canvas" and canvas_width is not None:
            scale, factor, pen = written_on(images[chosen], gaps, canvas_width)
            gaps = gaps * factor
        ink = number_ink(images[chosen], gaps, scale, rng, pen)
        room = 2 * _pen_reach(pen)
        starts = _starts([round(_ink_columns(image).shape[1] * scale) + room for image in images[chosen]], gaps)
        boundaries = tuple(float(MARGIN + start - gap / 2) for start, gap in zip(starts[1:], gaps, strict=True))
    elif layout == "two-stroke":
        chosen = rng.choice(len(images), 1)
        pen = None
        if medium == "canvas" and canvas_width is not None:
            scale, _, pen = written_on(images[chosen], np.zeros(0), canvas_width)
        ink = two_strokes(_written(_enlarged(_ink_columns(images[chosen[0]]), scale), pen), scale, rng)
        ink = np.pad(ink, MARGIN)
    else:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    text = "".join(str(int(label)) for label in labels[chosen])
    return NumberSample(canvas(ink) if medium == "canvas" else paper_photo(ink, rng), text, boundaries)


def written_on(digits: np.ndarray, gaps: np.ndarray, canvas_width: int) -> tuple[float, float, int]:
    """How (D, 28, 28) digits set ``gaps`` px apart are written on the app's Number canvas ``canvas_width`` px wide
    (`bnn.config.number_canvas`): the enlargement (CANVAS_SCALE, or less so that the number and its pen fit inside
    the margins: never more), the factor the gaps shrink by with it, and the pen's width in px."""
    pen_width = number_canvas(canvas_width, PEN_WIDTH)["stroke_width"]
    columns = sum(_ink_columns(digit).shape[1] for digit in digits) * CANVAS_SCALE + float(np.sum(gaps))
    room = canvas_width - 2 * MARGIN - (2 * _pen_reach(pen_width) + 1) * len(digits)  # 1 px: each digit's rounding
    factor = min(1.0, room / columns)
    return CANVAS_SCALE * factor, factor, pen_width


def number_ink(
    digits: np.ndarray, gaps: np.ndarray, scale: float, rng: np.random.Generator, pen_width: int | None = None
) -> np.ndarray:
    """(D, 28, 28) digits -> (H, W) float32 white ink on black: each cropped to its ink columns, enlarged ``scale``
    times (its strokes redrawn with a pen ``pen_width`` px wide when given, see `_written`) and set ``gaps[i]`` px
    (negative: overlapping) after the previous one, moved up or down by JITTER."""
    parts = [_written(_enlarged(_ink_columns(digit), scale), pen_width) for digit in digits]
    height = parts[0].shape[0]
    jitter = round(JITTER * height)
    starts = _starts([part.shape[1] for part in parts], gaps)
    ink = np.zeros((height + 2 * jitter + 2 * MARGIN, int(starts[-1]) + parts[-1].shape[1] + 2 * MARGIN), np.float32)
    for part, start in zip(parts, starts, strict=True):
        top = MARGIN + jitter + int(rng.integers(-jitter, jitter + 1))
        region = ink[top : top + height, MARGIN + start : MARGIN + start + part.shape[1]]
        np.maximum(region, part, out=region)
    return ink


def _starts(widths: list[int], gaps: np.ndarray) -> np.ndarray:
    """Each digit's first column after the margin, given the digits' widths and the gaps between them."""
    return np.concatenate([[0], np.cumsum(widths[:-1]) + np.cumsum(gaps)]).astype(int)


def two_strokes(ink: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """(H, W) one digit's ink cut in two by a thin line within CUT_TILT_DEGREES of the horizontal, through the middle
    half of its rows; cuts are drawn again until the ink falls apart into more than one piece."""
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    yy, xx = np.mgrid[: ink.shape[0], : ink.shape[1]].astype(np.float32)
    for _ in range(20):
        angle = np.deg2rad(rng.uniform(-CUT_TILT_DEGREES, CUT_TILT_DEGREES))
        centre_y = rng.uniform(np.percentile(rows, 25), np.percentile(rows, 75))
        centre_x = ink.shape[1] / 2
        distance = np.abs(-(xx - centre_x) * np.sin(angle) + (yy - centre_y) * np.cos(angle))
        cut = np.where(distance < CUT_WIDTH * scale, 0, ink)
        if ndimage.label(cut > 0.2, structure=np.ones((3, 3), bool))[1] > 1:
            return cut
    return cut


def canvas(ink: np.ndarray) -> np.ndarray:
    """(H, W) white ink on black -> (H, W) uint8, as a drawing canvas gives it."""
    return np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8)


def paper_photo(ink: np.ndarray, rng: np.random.Generator, ink_colour: str = "black") -> bytes:
    """(H, W) ink -> JPEG bytes: dark ink on paper, light falling across the page, blur, sensor noise."""
    paper = np.array(PAPER_RGB, np.float32) / 255
    colour = np.array(INK_RGB[ink_colour], np.float32) / 255
    alpha = np.clip(ink, 0, 1)[..., None]
    scene = paper * (1 - alpha) + colour * alpha
    light = np.linspace(1.0, rng.uniform(0.6, 1.0), ink.shape[1], dtype=np.float32)[None, :, None]
    scene = ndimage.gaussian_filter(scene * light, sigma=(0.6, 0.6, 0)) + rng.normal(0, 0.01, scene.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(scene, 0, 1) * 255).astype(np.uint8)).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _ink_columns(digit: np.ndarray) -> np.ndarray:
    """(28, 28) -> (28, w): the columns holding ink."""
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    return digit[:, cols[0] : cols[-1] + 1]


def _enlarged(digit: np.ndarray, scale: float) -> np.ndarray:
    image = Image.fromarray(np.asarray(digit, np.float32))
    size = (round(digit.shape[1] * scale), round(digit.shape[0] * scale))
    return np.clip(np.asarray(image.resize(size, Image.Resampling.BICUBIC), np.float32), 0, 1)


def _written(ink: np.ndarray, pen_width: int | None) -> np.ndarray:
    """``ink`` as it is (None), or its strokes redrawn as a canvas paints them: the skeleton (Zhang & Suen) stamped
    with a round pen ``pen_width`` px wide, hard-edged as in the shift benchmark's canvas rows, padded to fit."""
    if pen_width is None:
        return ink
    skeleton = imageops.thin(np.pad(ink, _pen_reach(pen_width)) > BINARY_THRESHOLD)
    return imageops.dilate(skeleton.astype(np.float32), imageops.disk(pen_width / 2))


def _pen_reach(pen_width: int | None) -> int:
    """px a pen ``pen_width`` wide paints beyond a stroke's centre line (0: no pen)."""
    return 0 if pen_width is None else int(np.ceil(pen_width / 2))


@dataclass(frozen=True)
class Score:
    """How `read_number` did on a corpus of numbers."""

    count: int
    right: np.ndarray  # (count,) bool: the mean reading is the number written
    top_right: np.ndarray  # (count,) bool: the most frequent sampled reading is the number written
    digits_found: np.ndarray  # (count,) int: how many digits the segmentation found
    uncertainty: np.ndarray  # (count,) nats: each number's total uncertainty

    @property
    def accuracy(self) -> float:
        return float(self.right.mean())

    def accuracy_when_surest(self, share: float) -> float:
        """Accuracy of the most frequent sampled reading on the ``share`` of numbers with the lowest uncertainty."""
        kept = np.argsort(self.uncertainty, kind="stable")[: max(1, round(share * self.count))]
        return float(self.top_right[kept].mean())


def measure(
    model: DigitModel,
    images: np.ndarray,
    labels: np.ndarray,
    layout: str,
    medium: str,
    count: int,
    seed: int = 0,
    num_samples: int = PREDICTION_SAMPLES,
    length: int = 4,
    canvas_width: int | None = None,
) -> Score:
    """Read ``count`` generated numbers (seeded: the same seed gives the same numbers and samples; ``canvas_width``:
    canvas numbers written to fit a canvas that many px wide, see `number_sample`)."""
    from bnn.reading.number import read_number

    right, top_right, found, uncertainty = [], [], [], []
    for index in range(count):
        rng = np.random.default_rng([seed, LAYOUTS.index(layout), MEDIA.index(medium), index])
        sample = number_sample(images, labels, layout, medium, rng, length, canvas_width)
        reading = read_number(sample.image, model, num_samples=num_samples, seed=seed)
        expected = sample.text[:1] if layout == "two-stroke" else sample.text
        right.append(reading.mean_reading == expected)
        top_right.append(reading.top_reading == expected)
        found.append(len(reading.digits))
        uncertainty.append(reading.uncertainty)
    return Score(count, np.array(right), np.array(top_right), np.array(found), np.array(uncertainty))
