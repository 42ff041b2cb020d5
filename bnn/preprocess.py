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

from bnn.config import IMAGE_FORMATS, IMAGE_SIZE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

ImageInput = Image.Image | np.ndarray | bytes | bytearray | memoryview | str | os.PathLike | BinaryIO
NetworkInput = np.ndarray  # (28, 28) float32 in [0, 1], white ink on black: what preprocess_image returns

DIGIT_SIZE = 20  # MNIST fits each digit's longest side to 20 px inside the 28 px field
# Where MNIST's digits have their centre of mass, in pixel-index coordinates: (13.99, 14.00) measured over the
# training set, not the field's geometric centre 13.5; centring on 13.5 moved every input half a pixel off.
FIELD_CENTRE = IMAGE_SIZE / 2
WORKING_SIZE = 1024  # larger images are box-averaged down to this longest side first: fast, and ample for 20 px
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601 luma, the same weights Pillow's convert("L") uses
OPAQUE_ALPHA = 1 - 0.5 / 255  # alpha below this anywhere means the transparency is meaningful
MIN_CONTRAST = 0.06  # ink must differ from the background by 6% of full scale (~15 of 255 grey levels): above
#                      JPEG and sensor noise on blank paper, below the contrast of faint pencil in a dim photo
NOISE_SIGMAS = 4.0  # ... and by this many robust standard deviations of the background's noise
NOISE_SIDE_SHARE = 0.25  # share of the border pixels one side of the background needs to count as noise
MIN_INK_PIXELS = 4  # fewer ink pixels than a 2x2 dot is a speck of noise, not a digit: blank
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
    normalised, inverted = _normalise(grayscale)
    cropped = _crop_to_ink(normalised)
    resized = _resize_longest_side(cropped, DIGIT_SIZE)
    final = _centre_of_mass_field(resized)
    return PreprocessSteps(grayscale, inverted, normalised, cropped, resized, final)


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
            image.draft("L", (WORKING_SIZE, WORKING_SIZE))  # JPEG only: decode at 1/2..1/8 scale, much faster
        image.load()
        image = _upright(image)
        if image.mode in _HIGH_BIT_MODES:
            values = np.asarray(image)  # 16-bit, 32-bit and float images keep their range for _to_unit_range
        else:
            image = image.convert("LA" if _has_transparency(image) else "L")
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


# --- 2. polarity, contrast and blank detection ------------------------------------------------------------


def _normalise(grayscale: np.ndarray) -> tuple[np.ndarray, bool]:
    """(H, W) luminance -> ((H, W) white ink on black with background 0 and ink 1, whether it was inverted).

    The background level is the median of the outer ring of pixels, its noise their median absolute
    deviation. Ink is whatever departs clearly from the background; it is dark ink (so the image is
    inverted) when the pixels darker than the background outweigh those lighter than it.
    """
    ring = np.concatenate([grayscale[0], grayscale[-1], grayscale[1:-1, 0], grayscale[1:-1, -1]])
    background = float(np.median(ring))
    noise = _noise_level(ring, background)
    threshold = max(MIN_CONTRAST, NOISE_SIGMAS * noise)
    deviation = grayscale - np.float32(background)
    darker = float(np.maximum(-deviation - threshold, 0).sum())
    lighter = float(np.maximum(deviation - threshold, 0).sum())
    inverted = darker > lighter
    contrast = -deviation if inverted else deviation  # how much more ink-like than the background, >= -1
    ink = contrast[contrast > threshold]
    if ink.size < MIN_INK_PIXELS:
        raise BlankImageError(_BLANK_MESSAGE)
    ink_level = float(np.percentile(ink, INK_PERCENTILE))
    margin = min(max(BACKGROUND_MARGIN * ink_level, NOISE_SIGMAS * noise), 0.5 * ink_level)
    normalised = np.clip((contrast - margin) / (ink_level - margin), 0, 1).astype(np.float32)
    return normalised, inverted


def _noise_level(ring: np.ndarray, background: float) -> float:
    """Standard deviation of the background's noise, from the border pixels: 1.4826 x a median absolute deviation.

    Noise on a black or white background is clipped at the end of the range, which squashes one side of it
    and fools the plain median; so each side of the background is measured on its own (a half-normal side
    has the same 0.674 sigma median) and the larger is kept. A side holding few pixels, such as a stroke
    touching the border of a clean image, is not noise and is not measured.
    """
    deviation = ring - background
    sides = (deviation[deviation > 0], -deviation[deviation < 0])
    spreads = [float(np.median(side)) for side in sides if side.size >= NOISE_SIDE_SHARE * ring.size]
    return 1.4826 * max(spreads, default=float(np.median(np.abs(deviation))))


# --- 3. MNIST geometry: crop, fit in 20 px, centre the mass in 28 px ---------------------------------------


def _crop_to_ink(normalised: np.ndarray) -> np.ndarray:
    """(H, W) -> (h, w) bounding box of the pixels above CROP_THRESHOLD."""
    ink = normalised > CROP_THRESHOLD
    if np.count_nonzero(ink) < MIN_INK_PIXELS:
        raise BlankImageError(_BLANK_MESSAGE)
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
