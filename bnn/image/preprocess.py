"""Any image of a digit -> the 28x28 input MNIST networks expect: white ink on black, centred.

Follows the recipe of the original MNIST (LeCun et al., 1998): fit the digit in a 20x20 box keeping its
aspect ratio, then place it in a 28x28 field so that its centre of mass is at the field's centre. Before
that come the steps a phone photo or a drawing canvas needs: decoding with guards against hostile files,
transparency, polarity (dark ink on paper is flipped), contrast stretching and blank detection.

    x = preprocess_image(upload.getvalue())     # (28, 28) float32 in [0, 1]
    steps = preprocess_steps(canvas_rgba)       # every intermediate stage, for display
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.transform import hough_line, hough_line_peaks

from bnn.config import IMAGE_FORMATS, IMAGE_SIZE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

ImageInput = Image.Image | np.ndarray | bytes | bytearray | memoryview | str | os.PathLike | BinaryIO
NetworkInput = np.ndarray  # (28, 28) float32 in [0, 1], white ink on black: what preprocess_image returns

DIGIT_SIZE = 20  # MNIST fits each digit's longest side to 20 px inside the 28 px field
# Where MNIST's digits have their centre of mass, in pixel-index coordinates: (13.99, 14.00) measured over the
# training set, not the field's geometric centre 13.5; centring on 13.5 moved every input half a pixel off.
FIELD_CENTRE = IMAGE_SIZE / 2
WORKING_SIZE = 512  # larger images are box-averaged down to this longest side first: fast, and ample for 20 px
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601 luma, the same weights Pillow's convert("L") uses
OPAQUE_ALPHA = 1 - 0.5 / 255  # alpha below this anywhere means the transparency is meaningful
MIN_CONTRAST = 0.15  # ink must differ from the paper around it by 15% of the paper's level (~37 of 255 grey
#                      levels on white paper): above JPEG and sensor noise, below faint pencil in a dim photo
NOISE_SIGMAS = 4.0  # ... and by this many standard deviations of the pixel noise above the paper's level
PAPER_PERCENTILES = (20.0, 40.0)  # of every pixel's contrast, both on the paper: its level and its noise
MIN_PAPER_LEVEL = 0.05  # contrast is relative to the paper's brightness; below this the paper is black
BACKGROUND_WINDOW = 0.5  # the paper estimate's window, as a share of the longer side: wider than any stroke
LIGHT_INK_EVIDENCE = 2.0  # light ink needs this many times the darker pixels' mass in lighter ones
EDGE_RUN_SHARE = 0.6  # ... and running along this share of a side: replaced by the light before padding
EDGE_STROKE_SHARE = 0.12  # of the longer side: a dark run at the edge thinner than this across it is a stroke
MAX_STROKE_SHARE = 0.3  # of the longer side: no pen stroke holds a solid square this wide
SURFACE_FIT_PASSES = 3
UNIFORM_BORDER_SHARE = 0.75  # a border this much at one exact level is a digital image's: no light to model
BILEVEL_SHARE = 0.98  # an image this much at two exact levels is black and white (a binary scan): no light either
FLAT_BORDER_SHARE = 0.25  # ... or this much at one exact level and the rest mostly ink: a digital crop of thick ink
IN_BETWEEN_SHARE = 0.4  # ... with at most this much of the image neither paper nor ink (anti-aliased edges)
MINORITY_BORDER_SHARE = 0.15  # a second level on less of the border than this, not on every side, is ink reaching it
MIN_INK_PIXELS = 4  # fewer ink pixels than a 2x2 dot is a speck of noise, not a digit: blank
INK_PEAK_RATIO = 1.6  # the darkest ink must pass the ink threshold by this factor: a pen's, not the grain's
SPECK_SHARE = 0.02  # pieces of ink smaller than this share of the largest piece are dots or grain, not strokes
FAR_SHARE = 0.15  # of the longer side: a small piece at the border this far from the largest is no stroke
PATTERN_PIECES = 8  # this many pieces of ink ...
PATTERN_RATIO = 4.0  # ... none more than this many times the median piece: a pattern of dots, not a digit ...
PATTERN_MAX_EXTENT = 0.05  # ... when none spans this share of the shorter side (a number's digits are larger)
LINE_MIN_SPAN = 0.6  # a ruled line is ink along at least this share of the image's width (or height) ...
LINE_MAX_THICKNESS = 0.03  # ... at most this share of the shorter side thick (a digit's bar is thicker) ...
LINE_MAX_TILT_DEGREES = 6.0  # ... and within this many degrees of the horizontal (or vertical): a tilted photo
LINE_ANGLES = 25  # angles the Hough transform tries across that tilt (half a degree apart)
LINE_MIN_IMAGE = 32  # px: smaller images are not searched for ruling
LINE_PROFILE_SHARE = 0.5  # offsets next to a line's peak with at least this share of its count belong to it
LINE_INK_RATIO = 1.5  # a pixel on a line with this many times the line's contrast is a stroke crossing it
INK_PERCENTILE = 80.0  # of the ink pixels' contrast: the stroke level mapped to 1 (higher values saturate)
BACKGROUND_MARGIN = 0.02  # contrasts below 2% of the ink level become 0; measured noise raises it (NOISE_SIGMAS).
#                           Small, so MNIST's faint anti-aliased edges survive a round trip nearly unchanged.
CROP_THRESHOLD = 0.2  # normalised level above which a pixel counts for the ink's bounding box

_FORMAT_ALIASES = {"MPO": "JPEG"}  # phone cameras' multi-picture JPEGs: Pillow names them MPO
_HIGH_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # read as NumPy to keep their range
_MEGABYTE = 1024 * 1024
_BLANK_MESSAGE = "The image is blank: draw or upload a digit."


class InvalidImageError(ValueError):
    """The input is not a readable image of an allowed format, size and type; the message says what to do."""


class BlankImageError(ValueError):
    """The image was read but holds no ink: a blank canvas or a uniform picture."""


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
    grayscale = _grayscale(image)
    normalised, inverted, background, ruling = _separate_ink(grayscale)
    cropped = _crop_to_ink(normalised)
    resized = _resize_longest_side(cropped, DIGIT_SIZE)
    final = _centre_of_mass_field(resized)
    return PreprocessSteps(grayscale, inverted, background, ruling, normalised, cropped, resized, final)


def ink_image(image: ImageInput) -> np.ndarray:
    """Any image -> (H, W) float32 white ink on black at working resolution, paper, light and ruling removed:
    the ``normalised`` stage of `preprocess_steps`, for images holding more than one digit (``bnn.image.segment``)."""
    return _separate_ink(_grayscale(image))[0]


def is_blank_ink(ink: np.ndarray) -> bool:
    """Whether white ink on black in [0, 1] (the ``normalised`` stage, or a (28, 28) input) holds too little ink to
    read, by the rule `preprocess_image` refuses a blank image by when it crops: fewer than MIN_INK_PIXELS pixels
    above CROP_THRESHOLD."""
    return np.count_nonzero(np.asarray(ink) > CROP_THRESHOLD) < MIN_INK_PIXELS


def digit_field(ink: np.ndarray) -> NetworkInput:
    """(H, W) white ink on black holding one digit -> (28, 28): MNIST's geometry, as `preprocess_steps` applies it
    (crop to the ink, longest side to 20 px, centre of mass at the field's centre)."""
    return _centre_of_mass_field(_resize_longest_side(_crop_to_ink(ink), DIGIT_SIZE))


# --- 1. decoding: any input -> pixel values ---------------------------------------------------------------


def _grayscale(image: ImageInput) -> np.ndarray:
    """Any accepted input -> (H, W) float32 luminance in [0, 1], transparency flattened, longest side <= 1024."""
    if isinstance(image, Image.Image):
        return _from_pillow(image, fresh=False)
    if isinstance(image, np.ndarray):
        array = _checked_array(image)
        if array.dtype == np.uint8 and (array.ndim == 2 or array.shape[2] in (3, 4)):
            return _from_pillow(Image.fromarray(array), fresh=False)  # Pillow's C code shrinks 8-bit images fastest
        return _from_array(array)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _from_pillow(_open(bytes(image)), fresh=True)
    if isinstance(image, (str, os.PathLike)):
        return _from_pillow(_open(_read_path(image)), fresh=True)
    if hasattr(image, "read"):
        return _from_pillow(_open(_read_file(image)), fresh=True)
    raise InvalidImageError(
        f"Cannot read an image from a {type(image).__name__}: pass a PIL image, a NumPy array, "
        "the bytes of an image file, a binary file object or a file path."
    )


def _read_path(path: str | os.PathLike) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > MAX_IMAGE_BYTES:
            raise _too_large(size)
        with open(path, "rb") as file:
            return file.read(MAX_IMAGE_BYTES + 1)
    except (OSError, ValueError) as error:  # ValueError: a NUL character in the path
        reason = getattr(error, "strerror", None) or error
        raise InvalidImageError(f"Cannot read the file {os.fspath(path)!r:.200} ({reason}): check the path.") from error


def _read_file(file) -> bytes:
    try:
        if getattr(file, "seekable", None) and file.seekable():
            file.seek(0)  # Streamlit reruns hand over the same UploadedFile, already read to its end
        data = file.read(MAX_IMAGE_BYTES + 1)  # one byte more than allowed tells us it is too large
    except (OSError, ValueError) as error:
        raise InvalidImageError(f"Cannot read the uploaded file ({error}): upload it again.") from error
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidImageError(
            f"The file object returned {type(data).__name__}, not bytes: open the file in binary mode ('rb')."
        )
    return bytes(data)


def _too_large(size: int) -> InvalidImageError:
    return InvalidImageError(
        f"The file is {size / _MEGABYTE:.1f} MB, more than the {MAX_IMAGE_BYTES / _MEGABYTE:.0f} MB limit: "
        "upload a smaller image, e.g. a cropped photo or a JPEG."
    )


def _too_many_pixels(width: int | None = None, height: int | None = None) -> InvalidImageError:
    size = f"is {width} x {height} pixels" if width is not None else "has too many pixels"
    return InvalidImageError(
        f"The image {size}, more than the limit of {MAX_IMAGE_PIXELS:,} pixels "
        f"({MAX_IMAGE_PIXELS / 1e6:.0f} megapixels): resize it and try again."
    )


def _open(data: bytes) -> Image.Image:
    """Encoded file bytes -> an opened (not yet decoded) Pillow image of an allowed format and size."""
    if not data:
        raise InvalidImageError(f"The file is empty: upload a {_formats_text()} image of a digit.")
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large(len(data))
    with _decoding():
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)  # only these plugins parse the bytes
    if _FORMAT_ALIASES.get(image.format, image.format) not in IMAGE_FORMATS:
        raise _not_allowed()
    return image


def _formats_text() -> str:
    return ", ".join(IMAGE_FORMATS[:-1]) + " or " + IMAGE_FORMATS[-1]


def _not_allowed() -> InvalidImageError:
    return InvalidImageError(
        f"This file is not a {_formats_text()} image (it may be text, SVG, TIFF, HEIC or a damaged file): "
        "save or export the digit as PNG or JPEG and try again."
    )


@contextmanager
def _decoding() -> Iterator[None]:
    """Turn every failure of Pillow on a hostile or damaged file into an InvalidImageError."""
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; a warning here is always a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except InvalidImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels() from error
        except UnidentifiedImageError as error:
            raise _not_allowed() from error
        except Exception as error:  # Pillow's plugins raise OSError, SyntaxError, struct.error, EOFError, ...
            raise InvalidImageError(
                f"The image could not be decoded ({error}): the file may be truncated or damaged; "
                "save or export it again as PNG or JPEG and retry."
            ) from error


def _from_pillow(image: Image.Image, fresh: bool) -> np.ndarray:
    """A Pillow image (first frame of a fresh file, or as given) -> (H, W) float32 luminance."""
    with _decoding():
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:  # from the header, before any pixel is decoded
            raise _too_many_pixels(width, height)
        if fresh:
            # JPEG only: decode at 1/2..1/8 scale, much faster; at least 3/4 of the working size is ample
            image.draft("L", (WORKING_SIZE * 3 // 4, WORKING_SIZE * 3 // 4))
        image.load()
        image = _upright(image)
        if image.mode in _HIGH_BIT_MODES:
            values = np.asarray(image)  # 16-bit, 32-bit and float images keep their range for _to_unit_range
        else:
            image = image.convert("LA" if _has_transparency(image) and not _opaque(image) else "L")
            factor = math.ceil(max(image.size) / WORKING_SIZE)
            if factor > 1:  # Pillow's reduce averages boxes (alpha-premultiplied for LA) in C
                image = image.reduce((min(factor, image.width), min(factor, image.height)))
            values = np.asarray(image)
    return _from_array(values)


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation a phone camera recorded; keep the image as stored if the EXIF is damaged."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001  (a damaged EXIF block should not cost the user a readable picture)
        return image


def _opaque(image: Image.Image) -> bool:
    """Whether an image with an alpha band has every pixel fully opaque (a canvas with a background colour): its
    transparency then changes nothing, and its luminance alone is read (converting and scaling half the values)."""
    return image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] >= OPAQUE_ALPHA * 255


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        return True
    return image.mode == "P" and image.palette is not None and image.palette.mode.endswith("A")


def _checked_array(array: np.ndarray) -> np.ndarray:
    """Refuse arrays that are not one image of allowed size; (H, W, 1) -> (H, W). No pixel is touched."""
    numeric = np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    if not (numeric or array.dtype == np.bool_):
        raise InvalidImageError(
            f"Image arrays must hold numbers, got dtype {array.dtype}: convert it to uint8 or float."
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise InvalidImageError(
            f"Image arrays must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}: "
            "pass one grayscale, RGB or RGBA image."
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise InvalidImageError(f"The image array is empty (shape {array.shape}): pass an image with pixels.")
    if height * width > MAX_IMAGE_PIXELS:
        raise _too_many_pixels(width, height)
    return array


def _from_array(array: np.ndarray) -> np.ndarray:
    """Checked (H, W), (H, W, 2), (H, W, 3) or (H, W, 4) array -> (H, W) float32 luminance in [0, 1]."""
    values = _to_unit_range(array)
    if values.ndim == 2:
        values = values[:, :, None]
    channels = values.shape[2]
    colour = values[:, :, :3] if channels >= 3 else values[:, :, :1]
    luminance = colour @ np.array(LUMA_WEIGHTS, np.float32) if channels >= 3 else colour[:, :, 0]
    alpha = values[:, :, -1] if channels in (2, 4) else None
    if alpha is None or alpha.min() >= OPAQUE_ALPHA:
        return np.clip(_shrink(luminance), 0, 1)
    # Premultiply before averaging, so the colour of invisible pixels cannot leak into visible ones.
    return _flatten_transparency(_shrink(luminance * alpha), _shrink(alpha))


def _to_unit_range(array: np.ndarray) -> np.ndarray:
    """Pixel values of any numeric dtype -> float32 in [0, 1].

    uint8 / 8-bit ranges are divided by 255, uint16 / 16-bit integer ranges by 65535, floats already in
    [0, 1] are kept; anything else (negative values, floats beyond 255, huge integers) is min/max scaled.
    """
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype.kind == "u" and array.dtype.itemsize == 1:
        return array.astype(np.float32) / 255
    if array.dtype.kind == "u" and array.dtype.itemsize == 2:
        return array.astype(np.float32) / 65535
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise InvalidImageError("The image array contains NaN or infinite values: pass finite pixel values.")
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1 and array.dtype.kind == "f":
        return values.astype(np.float32)
    if low >= 0 and high <= 255:  # e.g. np.array(image, dtype=float), or int64 from a Python list
        return (values / 255).astype(np.float32)
    if low >= 0 and high <= 65535 and array.dtype.kind in "iu":
        return (values / 65535).astype(np.float32)
    scale = max(abs(low), abs(high))  # divide first so that high - low cannot overflow to inf
    values, low, high = values / scale, low / scale, high / scale
    if high <= low:
        return np.zeros(values.shape, np.float32)
    return np.clip((values - low) / (high - low), 0, 1).astype(np.float32)


def _shrink(values: np.ndarray) -> np.ndarray:
    """(H, W) -> box-averaged so the longest side is at most WORKING_SIZE (arrays Pillow has not reduced)."""
    factor = math.ceil(max(values.shape) / WORKING_SIZE)
    if factor == 1:
        return values.astype(np.float32, copy=False)
    factor_y, factor_x = min(factor, values.shape[0]), min(factor, values.shape[1])
    height, width = values.shape[0] // factor_y, values.shape[1] // factor_x
    blocks = values[: height * factor_y, : width * factor_x].reshape(height, factor_y, width, factor_x)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _flatten_transparency(premultiplied: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite over white when the visible ink is dark, over black when it is light; (H, W) in [0, 1].

    A drawing canvas gives strokes on fully transparent pixels whose colour means nothing, so the ink is
    wherever alpha is high, and its colour is the alpha-weighted mean luminance of the visible pixels.
    """
    coverage = float(alpha.sum())
    if coverage <= 0:
        raise BlankImageError("The image is blank (fully transparent): draw or upload a digit.")
    ink_luminance = float(premultiplied.sum()) / coverage
    background = 1.0 if ink_luminance < 0.5 else 0.0
    return np.clip(premultiplied + background * (1 - alpha), 0, 1).astype(np.float32)


# --- 2. paper, light, ruling: ink as what differs from the paper around it --------------------------------


def _separate_ink(grayscale: np.ndarray) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:
    """(H, W) luminance -> (normalised white ink on black, inverted, paper estimate, ruling removed).

    1. Polarity: the border, fitted by a smooth surface (light may fall across it), is paper; the ink is dark
       unless the pixels lighter than that surface clearly outweigh the darker ones.
    2. Flat field: the paper under uneven light is a morphological closing (opening, for light ink) over a
       window wider than any pen stroke: it removes the strokes and keeps the light's ramps and shadow edges.
       Contrast is how far each pixel departs from the paper around it, relative to the paper's brightness.
    3. Ruling: long thin straight lines of ruled or squared paper are taken out; strokes crossing them stay.
    4. Specks far smaller than the digit (a dotted grid, grain) are dropped; no ink left means blank, and so
       does ink that nowhere rises well above the threshold (blotches of the paper).
    """
    contrast, inverted, background, digital = _contrast(grayscale)
    # a digital image's paper is one exact level: noiseless, even where its ink covers most of the border
    paper_level, noise = (0.0, 0.0) if digital else _paper_noise(contrast)
    threshold = max(MIN_CONTRAST, paper_level + NOISE_SIGMAS * noise)
    ink = contrast > threshold
    ruling = _ruling(ink, contrast) if not digital or _straight_lines(ink) else np.zeros_like(ink)
    ink &= ~ruling
    ink = _without_specks(ink)
    if np.count_nonzero(ink) < MIN_INK_PIXELS or contrast[ink].max() < INK_PEAK_RATIO * threshold:
        raise BlankImageError(_BLANK_MESSAGE)  # nothing, or only grain and blotches just above the noise
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    box = np.s_[max(rows[0] - 2, 0) : rows[-1] + 3, max(cols[0] - 2, 0) : cols[-1] + 3]
    far = np.ones_like(ink)  # more than 2 px from any ink; dilated within the ink's box only (fast)
    far[box] = ~ndimage.binary_dilation(ink[box], iterations=2)
    contrast = np.where(far | ruling, 0, contrast)  # nothing of a removed line or speck stays, not even its rim
    ink_level = float(np.percentile(contrast[ink], INK_PERCENTILE))
    margin = min(max(BACKGROUND_MARGIN * ink_level, paper_level + NOISE_SIGMAS * noise), 0.5 * ink_level)
    normalised = np.clip((contrast - margin) / (ink_level - margin), 0, 1).astype(np.float32)
    return normalised, inverted, background, ruling


def _contrast(grayscale: np.ndarray) -> tuple[np.ndarray, bool, np.ndarray, bool]:
    """(H, W) luminance -> ((H, W) how much more ink-like than the paper around it, inverted, paper estimate,
    digital). A digital image (its border one exact level: a canvas, a clean scan) has flat paper: it skips
    the paper model, and looks for ruled lines only if two rows or columns are mostly ink (`_straight_lines`):
    a canvas drawing takes a few milliseconds."""
    coefficients, tolerance, uniform = _border_light(grayscale)
    if uniform:  # a digital image (a canvas, a scan to pure white): the paper is its border's one level
        surface = dark_paper = light_paper = np.full(grayscale.shape, coefficients[0], np.float32)
    else:
        surface = _surface(coefficients, grayscale.shape)
        depth = round(EDGE_STROKE_SHARE * max(grayscale.shape))
        edges = _edges_without_strokes(grayscale, surface, tolerance, depth)
        dark_paper, light_paper = _paper(grayscale, edges, dark_ink=True), _paper(grayscale, edges, dark_ink=False)
    # dark ink: the share of the paper's light it absorbs, the same in light and in shadow
    dark = (dark_paper - grayscale) / np.maximum(dark_paper, MIN_PAPER_LEVEL)
    # light ink on dark paper (a canvas, a screen, chalk): how much lighter than the paper around it
    light = grayscale - light_paper
    if _ink_is_dark(grayscale - surface, dark, light, noiseless=uniform):
        return dark, True, dark_paper, uniform
    return light, False, light_paper, uniform


def _border_light(grayscale: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """The coefficients of a quadratic surface of the light fitted to the image's border (see `_surface`), how
    far from it a border pixel may be and still count as paper, and whether UNIFORM_BORDER_SHARE of the border
    is one exact level (a digital image: then the surface is that level and nothing is fitted).

    The border is (mostly) paper even when a tight crop lets strokes touch it: starting from its median, each
    fit leaves out the border pixels far from the last one, so those strokes do not bend the surface. A
    quadratic follows light that falls across the page or towards its corners, which one level cannot.
    """
    height, width = grayscale.shape
    rows, cols = np.arange(height), np.arange(width)
    ring_rows = np.concatenate([np.zeros(width), np.full(width, height - 1), rows[1:-1], rows[1:-1]]).astype(int)
    ring_cols = np.concatenate([cols, cols, np.zeros(max(height - 2, 0)), np.full(max(height - 2, 0), width - 1)])
    ring = grayscale[ring_rows, ring_cols.astype(int)]
    coefficients = np.array([np.median(ring), 0, 0, 0, 0, 0])
    at_median = np.count_nonzero(ring == coefficients[0])
    halfway = _two_levels(grayscale, ring) if at_median < ring.size else None
    if halfway is not None:  # black and white: the paper is one of its two levels, whatever covers the border
        return np.array([_digital_paper(grayscale, halfway), 0, 0, 0, 0, 0]), MIN_CONTRAST / 2, True
    if at_median >= UNIFORM_BORDER_SHARE * ring.size:
        return coefficients, MIN_CONTRAST / 2, True  # most of the border is one exact level: no light to fit
    threshold = _flat_crop_threshold(grayscale, ring)
    if threshold is not None:  # a digital crop of thick ink: flat paper, the ink covering much of the border
        return np.array([_digital_paper(grayscale, threshold), 0, 0, 0, 0, 0]), MIN_CONTRAST / 2, True
    design = _quadratic_terms(_unit(ring_rows, height), _unit(ring_cols, width))
    for _ in range(SURFACE_FIT_PASSES):
        residual = ring - design @ coefficients
        spread = 1.4826 * float(np.median(np.abs(residual)))
        tolerance = max(3 * spread, MIN_CONTRAST / 2)
        keep = np.abs(residual) <= tolerance
        # least squares by its 6 x 6 normal equations: a border holds thousands of pixels, the fit six numbers
        normal = design[keep].T @ design[keep]
        coefficients = np.linalg.lstsq(normal, design[keep].T @ ring[keep], rcond=None)[0]
    return coefficients, tolerance, False


def _two_levels(grayscale: np.ndarray, ring: np.ndarray) -> float | None:
    """For a black-and-white image (BILEVEL_SHARE of it at the border's two commonest exact levels, at least
    MIN_CONTRAST apart, and nothing beyond them): the grey level halfway between them; else None."""
    values, counts = np.unique(ring, return_counts=True)
    if values.size < 2:
        return None
    low, high = np.sort(values[np.argsort(counts)[-2:]])
    if high - low < MIN_CONTRAST:
        return None
    if grayscale.min() < low or grayscale.max() > high:
        return None  # ink darker (or lighter) than both: the two are paper in two lights, as beside a shadow
    if np.count_nonzero((grayscale == low) | (grayscale == high)) < BILEVEL_SHARE * grayscale.size:
        return None
    return float(low + high) / 2


def _flat_crop_threshold(grayscale: np.ndarray, ring: np.ndarray) -> float | None:
    """For a digital image cropped to thick ink, the grey level between its paper and its ink (Otsu's threshold);
    else None. Its border is flat (most neighbours along it equal) with FLAT_BORDER_SHARE or more of it at one
    exact level, the paper; the ink is as dark (or as light) as the image gets; at most IN_BETWEEN_SHARE of the
    image lies in between (anti-aliased edges), where light falling across a page would lie; and no pixel is
    clearly beyond the paper on its other side, where the ink beside a shadow's paper would lie."""
    if np.count_nonzero(np.diff(ring)) >= ring.size / 2:
        return None  # noise along the border: a photo
    values, counts = np.unique(ring, return_counts=True)
    if counts.max() < FLAT_BORDER_SHARE * ring.size:
        return None
    paper = values[np.argmax(counts)]
    other = ring[np.abs(ring - paper) >= MIN_CONTRAST]
    if other.size == 0:
        return None
    lighter_ink = np.median(other) > paper
    ink, beyond = (grayscale.max(), grayscale.min()) if lighter_ink else (grayscale.min(), grayscale.max())
    if abs(float(beyond - paper)) >= MIN_CONTRAST:
        return None  # pixels on the paper's other side too: paper in two lights (a shadow's edge) and ink
    in_between = (np.abs(grayscale - paper) >= MIN_CONTRAST) & (np.abs(grayscale - ink) >= MIN_CONTRAST)
    if np.count_nonzero(in_between) > IN_BETWEEN_SHARE * grayscale.size:
        return None  # light falling across the page: its paper passes through every grey between
    return float(threshold_otsu(grayscale))


def _digital_paper(grayscale: np.ndarray, threshold: float) -> float:
    """The paper's level of a digital image whose ink reaches its border, given the grey ``threshold`` between
    its paper and its ink: the commonest exact level on the border on the paper's side of it.

    Older digit sets store binary digits cropped to the ink, often thick: ink then covers much of the border,
    even most of it, and the border's majority is no guide. Where one side covers little of the border and
    misses a side of it, it is ink reaching the edge. Otherwise the shapes decide: a digit's ink is one stroke,
    or a main stroke and a small piece, while the paper of a crop falls apart into corners and the insides of
    loops; so the side more of whose pixels lie outside its largest 8-connected piece is the paper. Where both
    are whole, the paper is the side found more on the border than inside.
    """
    light = grayscale > threshold
    light_on_border = float(_border_pixels(light).mean())
    minority = light if light_on_border < 0.5 else ~light
    sides = (minority[0], minority[-1], minority[:, 0], minority[:, -1])
    if min(light_on_border, 1 - light_on_border) < MINORITY_BORDER_SHARE and not all(side.any() for side in sides):
        paper_is_light = light_on_border >= 0.5
    else:
        light_scattered, dark_scattered = _scattered_share(light), _scattered_share(~light)
        if light_scattered != dark_scattered:
            paper_is_light = light_scattered > dark_scattered
        else:
            paper_is_light = light_on_border > float(light.mean())
    ring = _border_pixels(grayscale)
    ring = ring[ring > threshold] if paper_is_light else ring[ring <= threshold]
    if ring.size == 0:  # the paper never reaches the border: its level inside
        ring = grayscale[light] if paper_is_light else grayscale[~light]
    values, counts = np.unique(ring, return_counts=True)
    return float(values[np.argmax(counts)])


def _border_pixels(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def _scattered_share(mask: np.ndarray) -> float:
    """The share of ``mask``'s pixels outside its largest 8-connected piece (0 for one piece, or none)."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count <= 1:
        return 0.0
    sizes = np.bincount(labels.ravel())[1:]
    return 1 - float(sizes.max()) / float(sizes.sum())


def _quadratic_terms(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.stack(np.broadcast_arrays(np.ones_like(x * y), x, y, x * x, y * y, x * y), axis=-1)


def _surface(coefficients: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) the fitted light over an image of ``shape``, clipped to [0, 1]."""
    height, width = shape
    y = _unit(np.arange(height), height)[:, None]
    x = _unit(np.arange(width), width)[None, :]
    c = coefficients
    light = c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * y * y + c[5] * x * y
    return np.clip(light, 0, 1).astype(np.float32)


def _unit(index: np.ndarray, size: int) -> np.ndarray:
    """Pixel indices -> [-1, 1] across the image (well conditioned for the surface fit)."""
    return (2 * index / max(size - 1, 1) - 1).astype(np.float64)


def _ink_is_dark(deviation: np.ndarray, dark: np.ndarray, light: np.ndarray, noiseless: bool = False) -> bool:
    """Whether the ink is darker than the paper, from each pixel's ``deviation`` from the border's light.

    Dark ink on light paper unless the pixels lighter than the surface clearly outweigh the darker ones: on a
    page with no ink both are noise, and the dark-ink model handles a blank sheet's shadows and vignetting.
    Each side counts only what its own paper model calls ink: a lit patch of paper broader than the paper
    window (a shadow's other side) is lighter than the surface but is no light ink, and one narrower than the
    window is still far broader than a pen's stroke. A ``noiseless`` (digital) image needs no noise measured.
    """
    noise = 0.0 if noiseless else _noise_level(deviation)
    threshold = max(MIN_CONTRAST, NOISE_SIGMAS * noise)
    darker = float((np.maximum(dark - threshold, 0) * (deviation < -threshold)).sum())
    lighter_ink = (light > threshold) & (deviation > threshold)
    lighter = float((np.maximum(light - threshold, 0) * lighter_ink).sum())
    if lighter < LIGHT_INK_EVIDENCE * max(darker, MIN_CONTRAST):
        return True
    if darker < MIN_INK_PIXELS * MIN_CONTRAST:
        return False  # nothing darker than the paper at all: light ink (a canvas, MNIST itself)
    if noise == 0:
        return False  # no noise at all: a digital image (a crop of a thick digit), with no shadow to be lit beside
    # Both sides hold ink; pen strokes are thin: "light ink" with a solid block 0.3 of the image wide is
    # lit paper beside a shadow, and the darker pixels are the ink.
    block = max(2, round(MAX_STROKE_SHARE * max(deviation.shape)))
    return bool(ndimage.minimum_filter(lighter_ink, size=block, mode="constant").any())


def _edges_without_strokes(grayscale: np.ndarray, surface: np.ndarray, tolerance: float, depth: int) -> np.ndarray:
    """The image with strokes that run along its edge replaced by the border's light, to be copied outwards.

    A border pixel far from the fitted light is ink (or shadow). Where the pixel ``depth`` inwards is
    paper again, the dark run is thin across the edge; along most of a side it is a stroke lying along it, as
    a tight crop's bar of a 7. Copied outwards it would become a band wider than the window that no closing
    removes, so the light is copied instead. A shadow reaches far inwards (only its tip is thin) and is copied
    as it is, so the paper model keeps its edge; so is a stroke that merely touches the side.
    """
    edges = grayscale.copy()
    height, width = grayscale.shape
    depth_y, depth_x = min(max(depth, 1), height - 1), min(max(depth, 1), width - 1)
    off = np.abs(grayscale - surface) > tolerance
    sides = [(np.s_[edge, :], np.s_[inner, :]) for edge, inner in ((0, depth_y), (height - 1, height - 1 - depth_y))]
    sides += [(np.s_[:, edge], np.s_[:, inner]) for edge, inner in ((0, depth_x), (width - 1, width - 1 - depth_x))]
    for edge, inner in sides:
        thin = off[edge] & ~off[inner]
        if thin.mean() >= EDGE_RUN_SHARE:  # a stroke along most of the side, not the thin tip of a shadow
            edges[edge][thin] = surface[edge][thin]
    return edges


def _paper(grayscale: np.ndarray, edges: np.ndarray, dark_ink: bool) -> np.ndarray:
    """(H, W) estimate of the paper's brightness at every pixel, strokes removed.

    A closing (dilation, then erosion) lifts dark strokes narrower than the window to the paper around them
    and leaves ramps and steps of the light unchanged; for light ink, an opening does the same. The image is
    padded by half a window with copies of ``edges`` (its edge pixels, strokes along the edge removed): scipy
    would otherwise pad the dilated image, lifting the paper along a dark edge. The measured level is a
    little above the paper's mean (the window's brightest noise), which the ink threshold allows for by
    starting from the paper's own contrast level.
    """
    window = max(3, round(BACKGROUND_WINDOW * max(grayscale.shape)))
    pad = window // 2 + 1
    padded = np.pad(edges, pad, mode="edge")
    padded[pad:-pad, pad:-pad] = grayscale
    morphology = ndimage.grey_closing if dark_ink else ndimage.grey_opening
    return morphology(padded, size=(window, window))[pad:-pad, pad:-pad]


def _paper_noise(contrast: np.ndarray) -> tuple[float, float]:
    """(level, standard deviation) of the paper's contrast, from the low quantiles of the border's pixels.

    The border is paper even where a tight crop lets strokes touch it (they cover a seventh of it on average),
    so its 20th and 40th percentiles lie on the paper: their gap is 0.589 standard deviations of a normal
    distribution. Measured this way the noise includes the paper's grain and blotches, which a
    pixel-to-pixel measure misses.
    """
    ring = np.concatenate([contrast[0], contrast[-1], contrast[1:-1, 0], contrast[1:-1, -1]])
    low, high = np.percentile(ring, PAPER_PERCENTILES)
    return float(high), float(high - low) / 0.589


def _noise_level(values: np.ndarray) -> float:
    """Standard deviation of pixel noise, from the differences of horizontally neighbouring pixels.

    Most neighbours are both paper or both ink, so the median absolute difference measures the noise and not
    the strokes (their edges are few); 1.4826 / sqrt(2) turns it into one pixel's standard deviation.
    """
    if values.shape[1] < 2:
        return 0.0
    differences = np.abs(np.diff(values, axis=1))
    return 1.4826 / math.sqrt(2) * float(np.median(differences))


def _ruling(ink: np.ndarray, contrast: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of ruled, squared or lined paper's lines, not those of strokes crossing them.

    A line is found by a Hough transform (scikit-image) near the horizontal or the vertical: it must be covered
    by ink over LINE_MIN_SPAN of the image, be at most LINE_MAX_THICKNESS of it thick, and have at least one
    parallel neighbour (paper is ruled with several; a digit's own bar is a single line). On a line, a pixel
    stays ink if ink continues on both sides of the line, or if it is clearly darker than the line.
    """
    height, width = ink.shape
    ruling = np.zeros_like(ink)
    if min(height, width) < LINE_MIN_IMAGE:
        return ruling
    tilt = np.deg2rad(np.linspace(-LINE_MAX_TILT_DEGREES, LINE_MAX_TILT_DEGREES, LINE_ANGLES))
    found = []  # (pixels of the lines, their greatest thickness, the bridge across them) per direction
    for angles, length, across in ((np.pi / 2 + tilt, width, (1, 0)), (tilt, height, (0, 1))):
        angles = np.where(angles >= np.pi / 2, angles - np.pi, angles)  # scikit-image wants [-pi/2, pi/2)
        accumulator, thetas, distances = hough_line(ink, theta=angles)
        if accumulator.max() <= LINE_MIN_SPAN * length:  # no line long enough: the peak search would find none
            continue
        _, found_angles, found_distances = hough_line_peaks(
            accumulator, thetas, distances, threshold=LINE_MIN_SPAN * length, min_distance=3, min_angle=LINE_ANGLES
        )
        lines = [_line_pixels(ink, angle, distance) for angle, distance in zip(found_angles, found_distances)]
        lines = [line for line in lines if line is not None]
        if len(lines) >= 2:
            gap = 2 * max(thickness for _, thickness in lines) + 3
            found.append(
                (
                    np.logical_or.reduce([pixels for pixels, _ in lines]),
                    np.ones((gap, 1) if across[0] else (1, gap), bool),
                )
            )
    if not found:
        return ruling
    rest = ink & ~np.logical_or.reduce([pixels for pixels, _ in found])
    for pixels, bridge in found:
        crossing = ndimage.binary_closing(rest, structure=bridge) & pixels  # ink goes on at both sides of the line
        darker = contrast > LINE_INK_RATIO * float(np.median(contrast[pixels]))
        ruling |= pixels & ~crossing & ~darker
    return ruling


def _straight_lines(ink: np.ndarray) -> bool:
    """Whether two separate rows (or columns) are ink over LINE_MIN_SPAN of the image: ruling drawn digitally."""
    height, width = ink.shape
    for share in (np.count_nonzero(ink, axis=1) / width, np.count_nonzero(ink, axis=0) / height):  # ink.mean, faster
        rows = share >= LINE_MIN_SPAN
        if np.count_nonzero(rows[1:] & ~rows[:-1]) + rows[0] >= 2:  # starts of runs of such rows
            return True
    return False


def _line_pixels(ink: np.ndarray, angle: float, distance: float) -> tuple[np.ndarray, int] | None:
    """The ink pixels of the line x cos(angle) + y sin(angle) = distance and its thickness, if it is thin."""
    height, width = ink.shape
    reach = max(3, round(LINE_MAX_THICKNESS * min(height, width)))
    # Only the band of rows (columns, for a vertical line) the line can cross is looked at: it is fast.
    horizontal = abs(np.sin(angle)) > abs(np.cos(angle))
    along, across = (width, height) if horizontal else (height, width)
    slope, normal = (np.cos(angle), np.sin(angle)) if horizontal else (np.sin(angle), np.cos(angle))
    ends = [(distance - slope * end) / normal for end in (0, along - 1)]
    first = max(0, math.floor(min(ends)) - reach - 2)
    last = min(across, math.ceil(max(ends)) + reach + 3)
    if horizontal:
        band, (rows, cols) = (slice(first, last), slice(None)), np.mgrid[first:last, :width]
    else:
        band, (rows, cols) = (slice(None), slice(first, last)), np.mgrid[:height, first:last]
    offset = cols * np.cos(angle) + rows * np.sin(angle) - distance
    near = np.abs(offset) <= reach + 1
    bins = np.round(offset[near & ink[band]]).astype(int) + reach + 1
    if bins.size == 0:
        return None
    profile = np.bincount(bins, minlength=2 * reach + 3)
    peak = int(np.argmax(profile))
    on_line = profile >= LINE_PROFILE_SHARE * profile[peak]  # the run of offsets around the peak: the line
    low, high = peak, peak
    while low > 0 and on_line[low - 1]:
        low -= 1
    while high < on_line.size - 1 and on_line[high + 1]:
        high += 1
    low, high = low - reach - 1, high - reach - 1
    if high - low + 1 > reach or min(abs(low), abs(high)) > 1 and low * high > 0:
        return None  # thicker than a ruled line (a stroke, a band of shadow), or not where the transform found it
    low, high = low - 1, high + 1  # and its anti-aliased rim
    pixels = np.zeros_like(ink)
    pixels[band] = ink[band] & (offset >= low - 0.5) & (offset <= high + 0.5)
    return pixels, int(high - low + 1)


def _without_specks(ink: np.ndarray) -> np.ndarray:
    """Drop pieces of ink smaller than SPECK_SHARE of the largest (grid dots, grain, dust) and small pieces at
    the border far from it (the tip of a shadow in a corner), unless the ink reaches all four sides (an image
    cropped to the ink: every piece is the digit's); none stays when no piece stands out among many (a dotted
    grid or grain on an empty page is a pattern, not a digit)."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink
    # Labelled within the ink's bounding box only (every piece lies in it), often a small part of the image.
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    labels, count = ndimage.label(ink[box], structure=np.ones((3, 3), bool))
    if count <= 1:
        return ink
    sizes = np.bincount(labels.ravel())[1:]
    if count >= PATTERN_PIECES and sizes.max() < PATTERN_RATIO * np.median(sizes):
        boxes = ndimage.find_objects(labels)
        extent = max(max(rows.stop - rows.start, cols.stop - cols.start) for rows, cols in boxes)
        if extent < PATTERN_MAX_EXTENT * min(ink.shape):
            return np.zeros_like(ink)
    keep = sizes >= SPECK_SHARE * sizes.max()
    height, width = ink.shape
    if (rows[0], rows[-1], cols[0], cols[-1]) != (0, height - 1, 0, width - 1):
        keep &= ~_shadow_tips(labels, sizes, keep, (rows[0], rows[-1], cols[0], cols[-1]), ink.shape)
    kept = np.zeros_like(ink)
    kept[box] = np.concatenate([[False], keep])[labels]
    return kept


def _shadow_tips(labels: np.ndarray, sizes: np.ndarray, keep: np.ndarray, box: tuple, shape: tuple) -> np.ndarray:
    """(count,) bool: the pieces (``labels`` within the ink's ``box``, first and last row and column) that are
    small, touch the image's border and lie far from the largest piece: the tip of a shadow in a corner."""
    first_row, last_row, first_col, last_col = box
    height, width = shape
    edges = [labels[0]] if first_row == 0 else []  # the box's sides that are the image's
    edges += [labels[-1]] if last_row == height - 1 else []
    edges += [labels[:, 0]] if first_col == 0 else []
    edges += [labels[:, -1]] if last_col == width - 1 else []
    border = np.unique(np.concatenate(edges)) if edges else np.zeros(0, labels.dtype)
    count = sizes.size
    suspects = keep & np.isin(np.arange(1, count + 1), border) & (sizes < sizes.max() / 2)
    if not suspects.any():
        return suspects
    distance = ndimage.distance_transform_edt(labels != np.argmax(sizes) + 1)  # the largest lies in the box too
    far = ndimage.minimum(distance, labels, index=np.arange(1, count + 1)) > FAR_SHARE * max(shape)
    return suspects & far


# --- 3. MNIST geometry: crop, fit in 20 px, centre the mass in 28 px ---------------------------------------


def _crop_to_ink(normalised: np.ndarray) -> np.ndarray:
    """(H, W) -> (h, w) bounding box of the pixels above CROP_THRESHOLD."""
    if is_blank_ink(normalised):
        raise BlankImageError(_BLANK_MESSAGE)
    ink = normalised > CROP_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return normalised[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _resize_longest_side(cropped: np.ndarray, size: int) -> np.ndarray:
    """(h, w) -> (h', w') with max(h', w') == size, aspect ratio kept, each side at least 1 px."""
    height, width = cropped.shape
    scale = size / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Lanczos on a float image: anti-aliased like NIST's normalisation; its small ringing is clipped away.
    resized = Image.fromarray(np.ascontiguousarray(cropped, np.float32)).resize(new_size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, np.float32), 0, 1)


def _centre_of_mass_field(resized: np.ndarray) -> np.ndarray:
    """(h, w) digit -> (28, 28), shifted by whole pixels so its centre of mass is nearest FIELD_CENTRE.

    The shift is clamped so that no ink leaves the field (it only binds for lopsided, full-height digits).
    """
    height, width = resized.shape
    mass = float(resized.sum())
    if not mass > 0:
        raise BlankImageError(_BLANK_MESSAGE)
    centre_y = float(resized.sum(axis=1) @ np.arange(height)) / mass
    centre_x = float(resized.sum(axis=0) @ np.arange(width)) / mass
    top = int(np.clip(round(FIELD_CENTRE - centre_y), 0, IMAGE_SIZE - height))
    left = int(np.clip(round(FIELD_CENTRE - centre_x), 0, IMAGE_SIZE - width))
    field = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    field[top : top + height, left : left + width] = resized
    return field
