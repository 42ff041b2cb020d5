"""MNIST digits as people upload them: cropped to the ink, written on paper, lit unevenly, on ruled sheets.

A generated corpus for checking `preprocess_image` on realistic uploads (no network is trained on it). Each
28 px digit is enlarged and inked onto a sheet of paper; the sheet is ruled, lit, photographed (blur, noise,
a slight tilt) and saved as JPEG, one condition at a time. The same conditions with no digit must be blank.
`CROPS` store digits cropped to their ink, as older scanned digit sets (black and white, stretched into a small
box, often thick) and close-cropped photos do, each with a twin that has a margin of paper: a crop should read
as its twin.

    image = photo(digit, "shadow-edge", rng)        # encoded JPEG or PNG bytes, as an upload gives them
    corpus = photo_corpus(images, labels, seed=0)   # {condition: [bytes, ...]} for every condition
    tight, margin = crop_corpus(images, seed=0)     # {crop: [bytes, ...]}: cropped to the ink, and with a margin

Every random choice draws from the generator it is given; `photo_corpus` seeds one per (seed, condition, image).
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage
from skimage.transform import ProjectiveTransform, warp

PAGE = 224  # px per side of the photographed sheet
DIGIT_FIELD = 112  # px: the 28 px MNIST field enlarged 4x, so the 20 px digit is 80 px tall on the sheet
PAPER_RGB = (243, 241, 233)  # white paper, slightly warm
INK_RGB = {"black": (28, 28, 38), "blue-ballpoint": (30, 55, 150), "pencil": (118, 118, 124)}
LINE_RGB = {"blue": (140, 172, 218), "grey": (168, 168, 168)}
LINE_SPACING = PAGE // 10  # ruled paper: a line every tenth of the page, as a school notebook's
LINE_WIDTH = 2  # px
DOT_RADIUS = 1.5  # px: dotted-grid paper
DARKEST_LIGHT = 0.4  # uneven light falls from 100 % to this share of full light across the page
SHADOW_LIGHT = 0.5  # a hard shadow leaves this share of the light
VIGNETTE_CORNER_LIGHT = 0.45  # light in the corners of a vignetted photo
TILT = 0.05  # perspective: each corner of the sheet moves by up to this share of the page
JPEG_QUALITY = 88  # a phone's default is about 85-95
BINARY_LEVEL = 100 / 255  # older digit sets were scanned to black and white at about this grey level
CROP_MARGIN = 2  # px of paper around a crop's reference twin, at the crop's stored size
CAMERA_BLUR = 0.6  # px: the Gaussian blur of the camera's lens and demosaicing
VISIBLE_INK = 0.2  # a crop to the ink keeps the pixels this much inked: where a person sees ink end
FELT_PEN_RADIUS = 5  # px at the sheet's scale: a felt pen's stroke is this much wider on each side than MNIST's


def photo(digit: np.ndarray, condition: str, rng: np.random.Generator) -> bytes:
    """One (28, 28) digit in [0, 1] (zeros for none) photographed under ``condition`` -> encoded image bytes."""
    return CONDITIONS[condition](np.asarray(digit, np.float32), rng)


def photo_corpus(images: np.ndarray, seed: int = 0, conditions: tuple[str, ...] | None = None) -> dict[str, list]:
    """(N, 28, 28) digits -> {condition: N encoded images}; deterministic for a given seed."""
    corpus = {}
    for condition in conditions or tuple(CONDITIONS):
        salt = zlib.crc32(condition.encode())
        rngs = (np.random.default_rng([seed, salt, index]) for index in range(len(images)))
        corpus[condition] = [photo(digit, condition, rng) for digit, rng in zip(images, rngs, strict=False)]
    return corpus


# --- digits cropped to their ink, as digit collections and cropped photos store them ---------------------------


def _tight(digit: np.ndarray, enlargement: int, resample: Image.Resampling, dark_on_light: bool, fmt: str) -> bytes:
    rows, cols = np.flatnonzero(digit.max(axis=1) > 0), np.flatnonzero(digit.max(axis=0) > 0)
    if rows.size == 0:  # no digit: a tight crop of nothing is a small uniform picture
        crop = np.zeros((20, 16), np.float32)
    else:
        crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    image = Image.fromarray(np.round(crop * 255).astype(np.uint8))
    image = image.resize((image.width * enlargement, image.height * enlargement), resample)
    if dark_on_light:
        image = Image.fromarray(255 - np.asarray(image))
    return _encode(np.asarray(image), fmt)


# --- a sheet of paper, inked, lit and photographed -------------------------------------------------------------


def _sheet(lines: str | None = None, grid: str | None = None, dots: bool = False, colour: str = "blue") -> np.ndarray:
    """(PAGE, PAGE, 3) float32 paper in [0, 1], ruled (horizontal lines), squared or dotted in ``colour``."""
    return _blank_sheet(lines, grid, dots, colour).copy()


@functools.cache
def _blank_sheet(lines: str | None, grid: str | None, dots: bool, colour: str) -> np.ndarray:
    paper = np.broadcast_to(np.array(PAPER_RGB, np.float32) / 255, (PAGE, PAGE, 3)).copy()
    coverage = np.zeros((PAGE, PAGE), np.float32)
    positions = np.arange(LINE_SPACING // 2, PAGE, LINE_SPACING)
    if lines or grid:
        for position in positions:
            coverage[position : position + LINE_WIDTH, :] = 1
            if grid:
                coverage[:, position : position + LINE_WIDTH] = 1
    if dots:
        yy, xx = np.mgrid[:PAGE, :PAGE]
        for y in positions:
            for x in positions:
                coverage = np.maximum(coverage, ((yy - y) ** 2 + (xx - x) ** 2 <= DOT_RADIUS**2).astype(np.float32))
    line = np.array(LINE_RGB[colour], np.float32) / 255
    return paper * (1 - coverage[..., None]) + line * coverage[..., None]


def _ink(sheet: np.ndarray, digit: np.ndarray, rng: np.random.Generator, ink: str = "black") -> np.ndarray:
    """Write the digit (enlarged bicubically to DIGIT_FIELD px) at a random place near the sheet's centre."""
    field = Image.fromarray(digit).resize((DIGIT_FIELD, DIGIT_FIELD), Image.Resampling.BICUBIC)
    alpha = np.clip(np.asarray(field, np.float32), 0, 1)[..., None]
    top, left = rng.integers(PAGE // 2 - DIGIT_FIELD // 2 - 30, PAGE // 2 - DIGIT_FIELD // 2 + 31, size=2)
    region = sheet[top : top + DIGIT_FIELD, left : left + DIGIT_FIELD]
    colour = np.array(INK_RGB[ink], np.float32) / 255
    region[...] = region * (1 - alpha) + colour * alpha  # ink absorbs: it darkens the paper under it
    return sheet


def _ramp(direction: str) -> np.ndarray:
    """(PAGE, PAGE, 1) light falling linearly from 1 to DARKEST_LIGHT towards ``direction``."""
    fall = np.linspace(1.0, DARKEST_LIGHT, PAGE, dtype=np.float32)
    light = {"left": fall[::-1][None, :], "right": fall[None, :], "top": fall[::-1][:, None], "bottom": fall[:, None]}
    return np.broadcast_to(light[direction], (PAGE, PAGE))[..., None]


def _vignette() -> np.ndarray:
    yy, xx = np.mgrid[:PAGE, :PAGE].astype(np.float32) / (PAGE - 1) - 0.5
    return (1 - (1 - VIGNETTE_CORNER_LIGHT) * (xx**2 + yy**2) / 0.5)[..., None]


def _shadow_edge(rng: np.random.Generator) -> np.ndarray:
    """A hard straight shadow edge through the middle third of the page, at a random angle."""
    angle = rng.uniform(0, np.pi)
    offset = rng.uniform(-PAGE / 6, PAGE / 6)
    yy, xx = np.mgrid[:PAGE, :PAGE].astype(np.float32) - PAGE / 2
    side = xx * np.cos(angle) + yy * np.sin(angle) > offset
    return np.where(side, SHADOW_LIGHT, 1.0).astype(np.float32)[..., None]


def _texture(rng: np.random.Generator) -> np.ndarray:
    """Paper grain: fine noise plus blotches, about +-4 % of the light."""
    fine = rng.normal(0, 0.02, (PAGE, PAGE))
    coarse = np.asarray(
        Image.fromarray(rng.normal(0, 0.03, (14, 14)).astype(np.float32)).resize((PAGE, PAGE), Image.Resampling.BICUBIC)
    )
    return (1 + fine + coarse).astype(np.float32)[..., None]


def _tilt(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slight perspective tilt: the sheet's corners move by up to TILT of the page; the outside is paper-dark."""
    corners = np.array([[0, 0], [PAGE, 0], [PAGE, PAGE], [0, PAGE]], np.float64)
    moved = corners + rng.uniform(-TILT, TILT, corners.shape) * PAGE
    transform = ProjectiveTransform.from_estimate(moved, corners)
    return warp(image, transform, mode="edge", preserve_range=True).astype(np.float32)


def _photograph(scene: np.ndarray, rng: np.random.Generator, noise: float = 0.01) -> bytes:
    """Camera: a little blur and sensor noise, 8 bits, JPEG."""
    blurred = ndimage.gaussian_filter(scene, sigma=(CAMERA_BLUR, CAMERA_BLUR, 0))
    noisy = blurred + rng.normal(0, noise, blurred.shape)
    return _encode(np.round(np.clip(noisy, 0, 1) * 255).astype(np.uint8), "JPEG")


def _page(
    digit: np.ndarray,
    rng: np.random.Generator,
    light: Callable[[np.random.Generator], np.ndarray] | None = None,
    ink: str = "black",
    tilt: bool = False,
    **paper,
) -> bytes:
    scene = _ink(_sheet(**paper), digit, rng, ink)
    if light is not None:
        scene = scene * light(rng)
    if tilt:
        scene = _tilt(scene, rng)
    return _photograph(scene, rng)


def _encode(pixels: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if fmt == "JPEG" else {}
    Image.fromarray(pixels).save(buffer, fmt, **options)
    return buffer.getvalue()


_NEAREST, _BILINEAR = Image.Resampling.NEAREST, Image.Resampling.BILINEAR

# name -> how a digit is turned into an upload. "plain" is the reference: dark ink on evenly lit paper.
CONDITIONS: dict[str, Callable[[np.ndarray, np.random.Generator], bytes]] = {
    "plain": lambda d, rng: _page(d, rng),
    "tight, light on dark, nearest x8": lambda d, rng: _tight(d, 8, _NEAREST, False, "PNG"),
    "tight, light on dark, bilinear x5": lambda d, rng: _tight(d, 5, _BILINEAR, False, "PNG"),
    "tight, dark on light, nearest x6": lambda d, rng: _tight(d, 6, _NEAREST, True, "PNG"),
    "tight, dark on light, bilinear x7, JPEG": lambda d, rng: _tight(d, 7, _BILINEAR, True, "JPEG"),
    "light falling to 40 % leftwards": lambda d, rng: _page(d, rng, lambda _: _ramp("left")),
    "light falling to 40 % rightwards": lambda d, rng: _page(d, rng, lambda _: _ramp("right")),
    "light falling to 40 % upwards": lambda d, rng: _page(d, rng, lambda _: _ramp("top")),
    "light falling to 40 % downwards": lambda d, rng: _page(d, rng, lambda _: _ramp("bottom")),
    "vignetting": lambda d, rng: _page(d, rng, lambda _: _vignette()),
    "hard shadow edge": lambda d, rng: _page(d, rng, _shadow_edge),
    "ruled, blue": lambda d, rng: _page(d, rng, lines="ruled", colour="blue"),
    "ruled, grey": lambda d, rng: _page(d, rng, lines="ruled", colour="grey"),
    "squared, blue": lambda d, rng: _page(d, rng, grid="squared", colour="blue"),
    "squared, grey": lambda d, rng: _page(d, rng, grid="squared", colour="grey"),
    "dotted grid, grey": lambda d, rng: _page(d, rng, dots=True, colour="grey"),
    "blue ballpoint": lambda d, rng: _page(d, rng, ink="blue-ballpoint"),
    "grey pencil": lambda d, rng: _page(d, rng, ink="pencil"),
    "paper texture": lambda d, rng: _page(d, rng, _texture),
    "ruled, tilted": lambda d, rng: _page(d, rng, tilt=True, lines="ruled", colour="blue"),
}


# --- crops: binary digits stored cropped to the ink (older digit sets), a felt-pen photo cropped close ---------


def binary_crop(
    digit: np.ndarray, size: int, thickening: int, dark_on_light: bool, enlargement: int, margin: int = 0
) -> bytes:
    """A PNG of one (28, 28) digit as older scanned digit sets store it: black and white, cropped to the ink and
    stretched to ``size`` x ``size`` px (bilinear, then thresholded), thickened by ``thickening`` px (a thicker
    pen) within that box, ``margin`` px of paper added, enlarged ``enlargement`` times by nearest neighbour."""
    ink = np.asarray(digit) > BINARY_LEVEL
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        crop = Image.fromarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32))
        ink = np.asarray(crop.resize((size, size), Image.Resampling.BILINEAR)) > 0.5
        if thickening:
            ink = ndimage.binary_dilation(ink, iterations=thickening)
    else:  # no digit: a crop of nothing is a small sheet of paper
        ink = np.zeros((size, size), bool)
    ink = np.pad(ink, margin)
    pixels = np.where(ink != dark_on_light, 255, 0).astype(np.uint8)
    image = Image.fromarray(pixels).resize((ink.shape[1] * enlargement, ink.shape[0] * enlargement), _NEAREST)
    return _encode(np.asarray(image), "PNG")


def anti_aliased_crop(digit: np.ndarray, thickening: int, dark_on_light: bool, margin: int = 0) -> bytes:
    """A PNG of one (28, 28) digit in its own grey levels, thickened by ``thickening`` px (a thicker pen), cropped
    to its ink with ``margin`` px of paper and enlarged 5 times bilinearly: a thick digit drawn and cropped in a
    paint program."""
    thick = ndimage.grey_dilation(np.asarray(digit, np.float32), size=2 * thickening + 1)
    rows, cols = np.flatnonzero(thick.max(axis=1) > 0), np.flatnonzero(thick.max(axis=0) > 0)
    crop = thick[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] if rows.size else np.zeros((20, 16), np.float32)
    image = Image.fromarray(np.round(np.pad(crop, margin) * 255).astype(np.uint8))
    pixels = np.asarray(image.resize((image.width * 5, image.height * 5), _BILINEAR))
    return _encode(255 - pixels if dark_on_light else pixels, "PNG")


def felt_pen_crop(digit: np.ndarray, rng: np.random.Generator, margin: int = 0) -> bytes:
    """A JPEG of one (28, 28) digit written with a felt pen on evenly lit paper, photographed and cropped to
    the ink's bounding box with ``margin`` px of paper around it (at the sheet's scale, where the digit is
    80 px tall)."""
    field = Image.fromarray(np.asarray(digit, np.float32)).resize((DIGIT_FIELD, DIGIT_FIELD), Image.Resampling.BICUBIC)
    thick = ndimage.grey_dilation(np.clip(np.asarray(field), 0, 1), footprint=_disk(FELT_PEN_RADIUS))
    sheet = _sheet()
    top, left = rng.integers(PAGE // 2 - DIGIT_FIELD // 2 - 30, PAGE // 2 - DIGIT_FIELD // 2 + 31, size=2)
    alpha = np.zeros((PAGE, PAGE, 1), np.float32)
    alpha[top : top + DIGIT_FIELD, left : left + DIGIT_FIELD, 0] = thick
    scene = sheet * (1 - alpha) + np.array(INK_RGB["black"], np.float32) / 255 * alpha
    ink = ndimage.gaussian_filter(alpha[..., 0], CAMERA_BLUR) > VISIBLE_INK  # the ink as photographed, blurred
    if ink.any():
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        box = (rows[0] - margin, rows[-1] + 1 + margin, cols[0] - margin, cols[-1] + 1 + margin)
    else:  # no digit: where it would have been
        box = (top + 16, top + DIGIT_FIELD - 16, left + 16, left + DIGIT_FIELD - 16)
    photographed = Image.open(io.BytesIO(_photograph(scene, rng)))
    return _encode(np.asarray(photographed)[box[0] : box[1], box[2] : box[3]], "JPEG")


def _disk(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return xx**2 + yy**2 <= radius**2


def crop_corpus(
    images: np.ndarray, seed: int = 0, crops: tuple[str, ...] | None = None
) -> tuple[dict[str, list], dict[str, list]]:
    """(N, 28, 28) digits -> ({crop: N images cropped to the ink}, {crop: the same N with CROP_MARGIN px of paper
    around them}) for ``crops`` (default: all); the two share every random choice, so a crop differs from its twin
    only by the margin."""
    tight, margin = {}, {}
    for name in crops or tuple(CROPS):
        make = CROPS[name]
        salt = zlib.crc32(name.encode())
        for corpus, width in ((tight, 0), (margin, CROP_MARGIN)):
            rngs = (np.random.default_rng([seed, salt, index]) for index in range(len(images)))
            corpus[name] = [make(digit, rng, width) for digit, rng in zip(images, rngs, strict=False)]
    return tight, margin


def phone_photo(width: int = 4000, height: int = 3000, seed: int = 0) -> bytes:
    """A phone's JPEG of a pen-drawn 7 (Pillow strokes, no MNIST inside) on blue-ruled paper, the light falling
    to DARKEST_LIGHT across it and a hard shadow over one corner: the hard photo of the preprocessing benchmark
    and of docs/photo-examples.png."""
    rng = np.random.default_rng(seed)
    scale = min(width, height) / PAGE
    ink = Image.new("L", (width, height), 0)
    points = [(0.40, 0.33), (0.60, 0.33), (0.47, 0.67)]
    stroke = [(width * x + rng.normal(0, 2), height * y + rng.normal(0, 2)) for x, y in points]
    ImageDraw.Draw(ink).line(stroke, fill=255, width=round(6 * scale), joint="curve")
    alpha = np.asarray(ink, np.float32)[..., None] / 255
    lines = np.zeros((height, 1, 1), np.float32)
    spacing, thickness = round(LINE_SPACING * scale), max(1, round(LINE_WIDTH * scale))
    for top in range(spacing // 2, height, spacing):
        lines[top : top + thickness] = 1
    paper = np.array(PAPER_RGB, np.float32) / 255
    line = np.array(LINE_RGB["blue"], np.float32) / 255
    sheet = paper * (1 - lines) + line * lines
    scene = sheet * (1 - alpha) + np.array(INK_RGB["blue-ballpoint"], np.float32) / 255 * alpha
    light = np.linspace(1.0, DARKEST_LIGHT, width, dtype=np.float32)[None, :, None]
    yy, xx = np.ogrid[:height, :width]
    shadow = np.where(xx + yy < 0.45 * (width + height), 1.0, SHADOW_LIGHT).astype(np.float32)[..., None]
    pixels = np.clip(scene * light * shadow + rng.normal(0, 0.01, (height, width, 1)), 0, 1)
    return _encode(np.round(pixels * 255).astype(np.uint8), "JPEG")


_THICKENING = {"normal": 0, "thick 1 px": 1, "thick 2 px": 2}
_POLARITY = {"light on dark": False, "dark on light": True}

# name -> (digit, rng, margin in px) -> an upload cropped to the ink; with a margin it is the crop's reference twin
CROPS: dict[str, Callable[[np.ndarray, np.random.Generator, int], bytes]] = {
    f"binary {size} px, {width}, {polarity}, nearest x{enlargement}": functools.partial(
        lambda d, rng, margin, **kw: binary_crop(d, margin=margin, **kw),
        size=size,
        thickening=_THICKENING[width],
        dark_on_light=_POLARITY[polarity],
        enlargement=enlargement,
    )
    for size in (16, 20)
    for width in _THICKENING
    for polarity in _POLARITY
    for enlargement in (2, 4, 8)
}
for polarity, dark_on_light in _POLARITY.items():
    CROPS[f"anti-aliased, thick 1 px, {polarity}, bilinear x5"] = functools.partial(
        lambda d, rng, margin, dark_on_light: anti_aliased_crop(d, 1, dark_on_light, margin),
        dark_on_light=dark_on_light,
    )
CROPS["felt pen, photographed"] = felt_pen_crop
