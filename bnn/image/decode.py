"""Untrusted files and arrays -> (H, W) float32 luminance in [0, 1]: formats, size limits, transparency, EXIF.

Only the allowed formats' plugins parse the bytes, sizes are checked from the header before any pixel is
decoded, and every failure of Pillow becomes an `InvalidImageError` with a message a user can act on.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from bnn.config import IMAGE_FORMATS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from bnn.image.errors import BlankImageError, InvalidImageError

ImageInput = Image.Image | np.ndarray | bytes | bytearray | memoryview | str | os.PathLike | BinaryIO

WORKING_SIZE = 512  # larger images are box-averaged down to this longest side first: fast, and ample for 20 px
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601 luma, the same weights Pillow's convert("L") uses
OPAQUE_ALPHA = 1 - 0.5 / 255  # alpha below this anywhere means the transparency is meaningful

_FORMAT_ALIASES = {"MPO": "JPEG"}  # phone cameras' multi-picture JPEGs: Pillow names them MPO
_HIGH_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # read as NumPy to keep their range
_MEGABYTE = 1024 * 1024


def to_grayscale(image: ImageInput) -> np.ndarray:
    """Any accepted input -> (H, W) float32 luminance in [0, 1], transparency flattened, longest side at most
    WORKING_SIZE."""
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
