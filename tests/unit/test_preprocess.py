"""Tests of bnn.image on digits drawn with Pillow and on hand-made hostile files (no MNIST needed).

Centre convention: pixel i of the 28x28 field has index coordinate i; MNIST's digits have their centre of mass at
(14.0, 14.0) in these coordinates (FIELD_CENTRE), not at the geometric centre 13.5.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageDraw, ImageOps

from bnn.config import IMAGE_SIZE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from bnn.image import (
    FIELD_CENTRE,
    BlankImageError,
    InvalidImageError,
    ink_image,
    preprocess_image,
    preprocess_steps,
)

PAPER, INK = 255, 0


def seven(size=(400, 300), box=(40, 30, 130, 170), ink=INK, paper=PAPER) -> Image.Image:
    """A thick '7' (mode L) drawn inside box = (left, top, right, bottom) of a size = (width, height) canvas."""
    image = Image.new("L", size, paper)
    left, top, right, bottom = box
    stroke = max(2, (right - left) // 7)
    ImageDraw.Draw(image).line(
        [(left, top), (right, top), (left + (right - left) // 3, bottom)], fill=ink, width=stroke, joint="curve"
    )
    return image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def reference() -> np.ndarray:
    return preprocess_image(seven())


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def ink_box(x: np.ndarray) -> tuple[int, int]:
    """(height, width) of the bounding box of the non-zero pixels."""
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    mass = x.sum()
    return (x.sum(axis=1) @ np.arange(x.shape[0])) / mass, (x.sum(axis=0) @ np.arange(x.shape[1])) / mass


def assert_mnist_like(x: np.ndarray) -> None:
    assert x.shape == (IMAGE_SIZE, IMAGE_SIZE) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims width x height 8-bit grey pixels; decoding it would fail or explode."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


# --- geometry: MNIST's 20 px box and centre of mass -----------------------------------------------------------


def test_small_off_centre_dark_digit_becomes_centred_white_on_black():
    steps = preprocess_steps(seven(size=(600, 500), box=(420, 330, 480, 420)))
    x = steps.final
    assert_mnist_like(x)
    assert steps.inverted
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    # Black background. A lopsided 7 centred on its mass may touch the last column, as 1.4 % of MNIST digits do.
    assert x[0].max() == x[:, 0].max() == 0 and np.mean(border == 0) >= 0.9
    assert x.max() == 1  # white ink
    assert max(ink_box(x)) in (19, 20)
    centre_y, centre_x = centre_of_mass(x)
    assert abs(centre_y - FIELD_CENTRE) <= 0.5 + 1e-6 and abs(centre_x - FIELD_CENTRE) <= 0.5 + 1e-6
    assert np.array_equal(preprocess_image(seven(size=(600, 500), box=(420, 330, 480, 420))), x)


def test_light_digit_on_dark_matches_dark_digit_on_light():
    dark_on_light = preprocess_steps(seven())
    light_on_dark = preprocess_steps(seven(ink=255, paper=0))
    assert dark_on_light.inverted and not light_on_dark.inverted
    assert mean_difference(dark_on_light.final, light_on_dark.final) < 0.01


def test_dark_ink_on_dim_grey_paper_is_found():
    # A dim photo: the paper is darker than mid-grey, yet the ink is darker still.
    steps = preprocess_steps(seven(ink=10, paper=90))
    assert steps.inverted
    assert mean_difference(steps.final, reference()) < 0.02


def test_shifted_and_scaled_digits_give_the_same_result():
    shifted = preprocess_image(seven(box=(230, 110, 320, 250)))
    scaled = preprocess_image(seven(size=(800, 600), box=(80, 60, 260, 340)))
    assert mean_difference(shifted, reference()) < 0.01
    assert mean_difference(scaled, reference()) < 0.03


def test_aspect_ratio_is_kept_for_a_thin_one():
    image = Image.new("L", (300, 300), PAPER)
    ImageDraw.Draw(image).rectangle((140, 50, 155, 250), fill=INK)  # 16 x 201 px
    steps = preprocess_steps(image)
    height, width = ink_box(steps.final)
    assert height == 20 and 1 <= width <= 3
    assert steps.resized.shape == (20, 2)


def test_steps_are_consistent():
    steps = preprocess_steps(seven())
    assert steps.grayscale.shape == (300, 400) and steps.grayscale.min() >= 0 and steps.grayscale.max() <= 1
    assert steps.normalised.shape == (300, 400) and steps.normalised[0, 0] == 0 and steps.normalised.max() == 1
    assert max(steps.resized.shape) == 20
    assert steps.cropped.shape[0] / steps.cropped.shape[1] == pytest.approx(
        steps.resized.shape[0] / steps.resized.shape[1], rel=0.1
    )
    for stage in (steps.grayscale, steps.normalised, steps.cropped, steps.resized, steps.final):
        assert stage.dtype == np.float32


def test_a_small_clear_dot_is_not_blank():
    image = Image.new("L", (400, 400), PAPER)
    ImageDraw.Draw(image).rectangle((100, 300, 105, 305), fill=INK)
    x = preprocess_image(image)
    assert ink_box(x) == (20, 20) and x[4:24, 4:24].min() > 0.9


def test_noisy_grey_paper_becomes_black_and_faint_pencil_white():
    rng = np.random.default_rng(0)
    paper = np.asarray(seven(ink=150, paper=190), np.float32) + rng.normal(0, 3, (300, 400))
    x = preprocess_image(np.clip(paper, 0, 255).astype(np.uint8))
    assert mean_difference(x, reference()) < 0.03


@pytest.mark.parametrize("paper", [0, 255], ids=["black", "white"])
def test_noise_clipped_at_a_black_or_white_background_is_not_ink(paper):
    """Sensor noise on pure black (or white) is clipped to one side; specks must not widen the crop."""
    rng = np.random.default_rng(1)
    clean = np.asarray(seven(ink=255 - paper, paper=paper), np.float32)
    noisy = np.clip(clean + rng.normal(0, 0.1 * 255, clean.shape), 0, 255).astype(np.uint8)
    steps = preprocess_steps(noisy)
    assert steps.cropped.shape == pytest.approx(preprocess_steps(clean.astype(np.uint8)).cropped.shape, abs=4)
    assert mean_difference(steps.final, reference()) < 0.05


# --- transparency: drawing canvases and stickers ---------------------------------------------------------------


def canvas(stroke_rgb: tuple[int, int, int], hidden_rgb=(0, 0, 0)) -> np.ndarray:
    """(300, 400, 4) uint8 RGBA: the 7 in stroke_rgb, elsewhere fully transparent pixels of hidden_rgb."""
    coverage = 255 - np.asarray(seven())  # anti-aliased stroke mask
    rgba = np.zeros((300, 400, 4), np.uint8)
    rgba[..., :3] = hidden_rgb
    rgba[coverage > 0, :3] = stroke_rgb
    rgba[..., 3] = coverage
    return rgba


@pytest.mark.parametrize(
    "stroke, hidden",
    [((255, 255, 255), (0, 0, 0)), ((0, 0, 0), (0, 0, 0)), ((0, 0, 0), (255, 255, 255)), ((20, 40, 200), (9, 250, 3))],
    ids=["white-on-transparent-black", "black-on-transparent-black", "black-on-transparent-white", "blue-on-junk"],
)
def test_canvas_strokes_on_transparency_give_the_digit(stroke, hidden):
    x = preprocess_image(canvas(stroke, hidden))
    assert mean_difference(x, reference()) < 0.01


def test_transparent_canvas_as_float_array_and_as_pil_image():
    rgba = canvas((255, 255, 255))
    assert mean_difference(preprocess_image(rgba / 255.0), reference()) < 0.01
    assert mean_difference(preprocess_image(Image.fromarray(rgba, "RGBA")), reference()) < 0.01


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((300, 400, 4), np.uint8),
        np.dstack([np.zeros((300, 400, 3), np.uint8), np.full((300, 400), 255, np.uint8)]),
    ],
    ids=["all-transparent", "all-black-opaque"],
)
def test_empty_canvases_are_blank(image):
    with pytest.raises(BlankImageError, match="blank"):
        preprocess_image(image)


# --- blank and uniform images --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((28, 28)),
        np.full((50, 40), 0.5),
        np.ones((28, 28), np.float32),
        np.full((100, 100, 3), 255, np.uint8),
        np.full((64, 64), 1234, np.uint16),
        np.full((10, 10), 7, np.int64),
        encode(Image.new("RGB", (200, 200), "white"), "PNG"),
        encode(Image.new("L", (500, 400), 200), "JPEG"),
    ],
    ids=["zeros", "half", "ones", "uint8-white", "uint16", "int64", "white-png", "grey-jpeg"],
)
def test_uniform_images_are_blank_with_a_readable_message(image):
    with pytest.raises(BlankImageError) as error:
        preprocess_image(image)
    assert "blank" in str(error.value) and "draw or upload a digit" in str(error.value)


def test_nearly_uniform_images_are_blank():
    gradient = np.linspace(0.5, 0.52, 400)[None, :].repeat(300, axis=0)
    with pytest.raises(BlankImageError):
        preprocess_image(gradient)
    noisy = np.random.default_rng(1).normal(0.8, 0.004, (300, 400))  # ~1 grey level of sensor noise
    with pytest.raises(BlankImageError):
        preprocess_image(noisy)


# --- array inputs of every dtype and range -------------------------------------------------------------------


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a,
        lambda a: a.astype(np.uint16) * 257,
        lambda a: a / 255.0,
        lambda a: a.astype(np.float32),  # 0..255 floats
        lambda a: a / 127.5 - 1,  # -1..1
        lambda a: a.astype(np.int64),
        lambda a: a[:, :, None],
        lambda a: np.repeat(a[:, :, None], 3, axis=2),
        lambda a: a > 127,
    ],
    ids=["uint8", "uint16", "float01", "float255", "float-1-1", "int64", "HW1", "HW3", "bool"],
)
def test_arrays_of_any_dtype_and_range(convert):
    array = np.asarray(seven())
    assert mean_difference(preprocess_image(convert(array)), reference()) < 0.02


# --- hostile and unusual files -------------------------------------------------------------------------------


def exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the viewer must rotate 90 degrees clockwise
    return encode(seven().transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif)


def rgba_png_with_junk_under_transparency() -> bytes:
    rgba = canvas((0, 0, 0))
    transparent = rgba[..., 3] == 0
    rgba[transparent, :3] = np.random.default_rng(2).integers(0, 256, (int(transparent.sum()), 3), dtype=np.uint8)
    return encode(Image.fromarray(rgba, "RGBA"), "PNG")


def palette_png(transparent: bool) -> bytes:
    indices = (np.asarray(seven()) < 128).astype(np.uint8)  # 0 = paper, 1 = ink
    image = Image.frombytes("P", (400, 300), indices.tobytes())
    image.putpalette([255, 255, 255, 0, 0, 0])
    return encode(image, "PNG", **({"transparency": 0} if transparent else {}))


def la_png_black_everywhere() -> bytes:
    # The grey channel is 0 under the ink and under the transparent background: only alpha shows the digit.
    alpha = 255 - np.asarray(seven())
    return encode(Image.fromarray(np.dstack([np.zeros_like(alpha), alpha]), "LA"), "PNG")


def sixteen_bit_png() -> bytes:
    levels = np.asarray(seven()).astype(np.uint32) * (50_000 - 3_000) // 255 + 3_000
    image = Image.fromarray(levels.astype(np.uint16))
    assert image.mode == "I;16"
    return encode(image, "PNG")


def animated(fmt: str) -> bytes:
    first, blank = seven().convert("RGB"), Image.new("RGB", (400, 300), "white")
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = encode(first, fmt, save_all=True, append_images=[blank], duration=100, loop=0, **options)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    return data


def multi_picture_jpeg() -> bytes:
    # Some phone cameras write MPO: a JPEG followed by more pictures; Pillow reports format "MPO".
    first = seven().convert("RGB")
    data = encode(first, "MPO", quality=95, save_all=True, append_images=[Image.new("RGB", (400, 300), "white")])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    return data


def oversized_file() -> bytes:
    return encode(seven(), "PNG") + b"\0" * MAX_IMAGE_BYTES


def valid_png() -> bytes:
    return encode(seven(), "PNG")


def valid_jpeg() -> bytes:
    return encode(seven(), "JPEG", quality=95)


def corrupted_png() -> bytes:
    data = bytearray(valid_png())
    start = data.index(b"IDAT") + 20
    data[start : start + 20] = bytes(byte ^ 0xFF for byte in data[start : start + 20])
    return bytes(data)


def thin_strip(width: int, height: int) -> np.ndarray:
    strip = np.full((height, width), 255, np.uint8)
    strip[height // 3 : max(height // 2, height // 3 + 1), width // 3 : max(width // 2, width // 3 + 1)] = 0
    return strip


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><text x="5" y="20">7</text></svg>'

# name -> (input builder, expected outcome, text the message must contain / tolerance against the reference)
HOSTILE = {
    "empty-bytes": (lambda: b"", InvalidImageError, "empty"),
    "random-garbage": (lambda: np.random.default_rng(3).bytes(2000), InvalidImageError, "PNG"),
    "text-renamed-png": (lambda: b"hello", InvalidImageError, "not a PNG"),
    "svg": (lambda: SVG, InvalidImageError, "SVG"),
    "truncated-png": (lambda: valid_png()[: len(valid_png()) // 2], InvalidImageError, "truncated"),
    "truncated-jpeg": (lambda: valid_jpeg()[: len(valid_jpeg()) // 2], InvalidImageError, "truncated"),
    "corrupted-png-chunk": (corrupted_png, InvalidImageError, "damaged"),
    "one-pixel": (lambda: encode(Image.new("L", (1, 1), 0), "PNG"), BlankImageError, "blank"),
    "header-100000x100000": (
        lambda: png_header_only(100_000, 100_000),
        InvalidImageError,
        f"{MAX_IMAGE_PIXELS:,} pixels",
    ),
    "header-8000x6000": (lambda: png_header_only(8000, 6000), InvalidImageError, "8000 x 6000 pixels"),
    "larger-than-limit": (oversized_file, InvalidImageError, "MB"),
    "tiff": (lambda: encode(seven(), "TIFF"), InvalidImageError, "TIFF"),
    "bmp": (lambda: encode(seven(), "BMP"), "digit", 0.01),
    "16-bit-png": (sixteen_bit_png, "digit", 0.01),
    "cmyk-jpeg": (lambda: encode(seven().convert("CMYK"), "JPEG", quality=95), "digit", 0.03),
    "palette-png": (lambda: palette_png(transparent=False), "digit", 0.03),
    "palette-png-transparent": (lambda: palette_png(transparent=True), "digit", 0.03),
    "la-png": (la_png_black_everywhere, "digit", 0.01),
    "rgba-png-dark-ink": (rgba_png_with_junk_under_transparency, "digit", 0.01),
    "animated-gif": (lambda: animated("GIF"), "digit", 0.01),
    "animated-webp": (lambda: animated("WEBP"), "digit", 0.01),
    "jpeg": (valid_jpeg, "digit", 0.03),
    "mpo-jpeg": (multi_picture_jpeg, "digit", 0.03),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_and_unusual_files(name):
    build, expected, detail = HOSTILE[name]
    data = build()
    if expected == "digit":
        x = preprocess_image(data)
        assert_mnist_like(x)
        assert mean_difference(x, reference()) < detail
    else:
        with pytest.raises(expected) as error:
            preprocess_image(data)
        assert detail in str(error.value)


def test_image_format_is_checked_from_content_not_name(tmp_path):
    renamed = tmp_path / "digit.png"
    renamed.write_bytes(encode(seven(), "TIFF"))
    with pytest.raises(InvalidImageError, match="PNG, JPEG, BMP, GIF or WEBP"):
        preprocess_image(renamed)


@pytest.mark.parametrize("width, height", [(300, 1), (1, 300)])
def test_very_thin_images(width, height):
    x = preprocess_image(thin_strip(width, height))
    assert_mnist_like(x)
    assert sorted(ink_box(x)) == [1, 20]


def test_exif_orientation_is_applied():
    x = preprocess_image(exif_rotated_jpeg())
    upright = reference()
    sideways = preprocess_image(seven().transpose(Image.Transpose.ROTATE_90))
    assert mean_difference(x, upright) < 0.03 < mean_difference(x, sideways)


def test_file_objects_and_paths(tmp_path):
    data = valid_png()
    upload = io.BytesIO(data)
    assert mean_difference(preprocess_image(upload), reference()) < 0.01
    assert mean_difference(preprocess_image(upload), reference()) < 0.01  # read again, as on a Streamlit rerun
    assert mean_difference(preprocess_image(bytearray(data)), reference()) < 0.01
    assert mean_difference(preprocess_image(memoryview(data)), reference()) < 0.01
    path = tmp_path / "seven.png"
    path.write_bytes(data)
    assert mean_difference(preprocess_image(path), reference()) < 0.01
    assert mean_difference(preprocess_image(str(path)), reference()) < 0.01


def test_oversized_file_objects_and_paths_are_refused_before_reading(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(oversized_file())
    with pytest.raises(InvalidImageError, match="MB"):
        preprocess_image(path)
    with pytest.raises(InvalidImageError, match="MB"):
        preprocess_image(io.BytesIO(oversized_file()))


@pytest.mark.parametrize(
    "image",
    [None, 7, 3.5, [[0, 1], [1, 0]], "/no/such/file.png", "nul\0path", io.StringIO("hello"), np.array(["a", "b"])],
    ids=["none", "int", "float", "list", "missing-path", "nul-in-path", "text-file", "string-array"],
)
def test_unsupported_inputs_are_invalid(image):
    with pytest.raises(InvalidImageError) as error:
        preprocess_image(image)
    assert str(error.value)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((0, 10)), "empty"),
        (np.zeros((7000, 6000), np.uint8), "pixels"),
        (np.full((5, 5), np.nan), "NaN"),
        (np.zeros((4, 4, 5)), "shape"),
        (np.zeros((2, 3, 4, 3)), "shape"),
        (np.zeros((4, 4), np.complex64), "dtype"),
    ],
    ids=["zero-size", "too-many-pixels", "nan", "five-channels", "4d", "complex"],
)
def test_invalid_arrays(array, message):
    with pytest.raises(InvalidImageError, match=message):
        preprocess_image(array)


def test_pillow_global_state_is_left_alone():
    limit, filters = Image.MAX_IMAGE_PIXELS, list(warnings.filters)
    with pytest.raises(InvalidImageError):
        preprocess_image(png_header_only(100_000, 100_000))
    preprocess_image(valid_png())
    assert Image.MAX_IMAGE_PIXELS == limit and warnings.filters == filters


# --- property: any array either works or fails with one of our two errors -------------------------------------

DTYPES = [np.bool_, np.uint8, np.uint16, np.int32, np.float32, np.float64]


@st.composite
def arbitrary_arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12))
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8)
    else:
        elements = None  # hypothesis covers the dtype's full range
    return draw(hnp.arrays(dtype, shape, elements=elements))


def extreme_dot() -> np.ndarray:
    """A 2x2 dot of the largest float64 on a background of the most negative: high - low overflows."""
    array = np.full((6, 6), -np.finfo(np.float64).max)
    array[2:4, 2:4] = np.finfo(np.float64).max
    return array


def test_extreme_values_are_scaled_without_overflow():
    assert ink_box(preprocess_image(extreme_dot())) == (20, 20)


# What a refusal says: what was wrong, then what to do ("pass ...", "draw ..."), as one sentence.
ACTIONABLE = re.compile(r"(The image|Image arrays) [^\n]+: (pass|draw) [^\n:]+\.")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arbitrary_arrays())
@example(extreme_dot())
@example(np.array([[0.0, np.nan], [1.0, 0.5]]))
@example(np.zeros((0, 5), np.uint8))
@example(np.zeros((3, 4, 5, 6), np.uint8))
@example(np.zeros((8, 8, 4), np.uint8))  # RGBA, fully transparent
def test_any_array_gives_a_valid_image_or_one_of_our_errors(array):
    try:
        x = preprocess_image(array)
    except (InvalidImageError, BlankImageError) as error:
        assert ACTIONABLE.fullmatch(str(error)), str(error)
    else:
        assert_mnist_like(x)


# --- speed ---------------------------------------------------------------------------------------------------


def photo(size: int = 2000) -> np.ndarray:
    """(size, size, 3) uint8: a dark 7 on light grey, unevenly lit, noisy paper, like a phone photo."""
    mask = np.asarray(seven(size=(size, size), box=(600, 500, 1100, 1300))) < 128
    light = np.linspace(170, 200, size, dtype=np.float32)[None, :, None]
    paper = light + np.array([5, 0, -8], np.float32) + np.random.default_rng(4).integers(0, 12, (size, size, 1))
    image = np.broadcast_to(paper, (size, size, 3)).copy()
    image[mask] = (35, 35, 45)
    return image.astype(np.uint8)


def test_a_2000_pixel_photo_is_centred():
    """Every way of handing over a phone-sized photo gives the same centred digit (its time: python -m bench)."""
    image = photo()
    inputs = {"array": image, "pil": Image.fromarray(image), "jpeg": encode(Image.fromarray(image), "JPEG", quality=90)}
    for name, value in inputs.items():
        x = preprocess_image(value)
        assert max(ink_box(x)) in (19, 20)
        assert np.allclose(centre_of_mass(x), FIELD_CENTRE, atol=1)
        assert mean_difference(x, reference()) < 0.04, name


# --- photos of real paper: ink is what differs from the paper around it ----------------------------------------


def lit(image: Image.Image, light: np.ndarray) -> np.ndarray:
    """The image (mode L) as a photo under ``light``: (H, W) shares of full light, multiplied in."""
    return np.round(np.asarray(image, np.float32) * light).astype(np.uint8)


@pytest.mark.parametrize("ink, paper", [(INK, PAPER), (PAPER, INK)], ids=["dark-on-light", "light-on-dark"])
def test_ink_touching_the_border_is_ink(ink, paper):
    image = seven(ink=ink, paper=paper)
    ink_only = image if ink > paper else ImageOps.invert(image)
    cropped = image.crop(ink_only.getbbox())  # the 7's own bounding box: its ink touches every side
    steps = preprocess_steps(cropped)
    assert steps.inverted == (ink == INK)
    assert mean_difference(steps.final, reference()) < 0.03


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_a_small_piece_at_the_border_far_from_the_digit_is_dropped_one_a_little_inside_is_kept(side):
    def ink_of_blob(inset: int) -> float:
        page = np.array(seven(box=(150, 80, 240, 220)))
        edge = {"left": np.s_[135:147, inset : inset + 12], "right": np.s_[135:147, 400 - inset - 12 : 400 - inset]}
        edge |= {"top": np.s_[inset : inset + 12, 30:42], "bottom": np.s_[300 - inset - 12 : 300 - inset, 30:42]}
        page[edge[side]] = INK  # a blob of a hundredth of the 7's ink, far from it: the tip of a shadow, or a stroke
        return float(ink_image(page)[edge[side]].mean())

    assert ink_of_blob(inset=0) == 0 and ink_of_blob(inset=4) > 0.5


def test_an_opaque_canvas_reads_as_its_luminance():
    drawing = np.zeros((280, 280, 4), np.uint8)
    drawing[..., :3] = np.asarray(seven(size=(280, 280), box=(80, 60, 200, 230), ink=PAPER, paper=INK))[..., None]
    drawing[..., 3] = 255  # a canvas with a background colour: alpha changes nothing
    luminance = drawing[..., 0]
    for image in (drawing, Image.fromarray(drawing).resize((1100, 1100)), Image.fromarray(drawing).convert("LA")):
        grey = np.asarray(image.convert("L")) if isinstance(image, Image.Image) else luminance
        np.testing.assert_array_equal(preprocess_image(image), preprocess_image(grey))
    drawing[0, 0, 3] = 254  # one pixel not quite opaque: composited, and still the same digit
    assert mean_difference(preprocess_image(drawing), preprocess_image(luminance)) < 0.01


@pytest.mark.parametrize("axis", [0, 1])
def test_light_falling_to_40_percent_across_the_page_is_paper(axis):
    fall = np.linspace(1.0, 0.4, (300, 400)[axis])
    light = fall[:, None] * np.ones((1, 400)) if axis == 0 else np.ones((300, 1)) * fall[None, :]
    steps = preprocess_steps(lit(seven(box=(150, 80, 240, 220)), light))
    assert steps.inverted and mean_difference(steps.final, reference()) < 0.03
    with pytest.raises(BlankImageError):
        preprocess_image(lit(Image.new("L", (400, 300), PAPER), light))  # the same light on an empty page


def test_a_hard_shadow_across_the_digit_is_paper():
    light = np.ones((300, 400))
    light[:, 185:] = 0.5  # the shadow's edge runs through the 7
    steps = preprocess_steps(lit(seven(box=(150, 80, 240, 220)), light))
    assert steps.background[150, 100] > 1.6 * steps.background[150, 300]  # the paper model follows the step
    assert mean_difference(steps.final, reference()) < 0.03


def test_ruled_lines_are_taken_out_and_the_stroke_across_them_stays():
    page = np.asarray(seven(box=(150, 80, 240, 220)), np.float32)
    page[10::25, :] = np.minimum(page[10::25, :], 160)  # a grey line every 25 px, drawn under the ink
    steps = preprocess_steps(page.astype(np.uint8))
    assert steps.ruling[10::25, :20].all() and not steps.ruling[90:100, 150:240].any()
    assert mean_difference(steps.final, reference()) < 0.03
    ruled = np.full((300, 400), PAPER, np.uint8)
    ruled[10::25, :] = 160
    with pytest.raises(BlankImageError):
        preprocess_image(ruled)  # ruled paper with nothing written on it


def test_a_grid_of_dots_alone_is_blank_and_beside_a_digit_is_dropped():
    dots = np.full((300, 400), PAPER, np.uint8)
    dots[10::20, 10::20] = INK
    with pytest.raises(BlankImageError):
        preprocess_image(dots)
    written = np.minimum(dots, np.asarray(seven(box=(150, 80, 240, 220))))
    assert mean_difference(preprocess_image(written), reference()) < 0.03


def thick_eight(ink: int, paper: int, anti_aliased: bool) -> np.ndarray:
    """A thick '8' cropped to its ink (the ink covers most of the border), 64 x 64: binary as older digit sets store
    digits (two rings stretched into a 16 x 16 box, enlarged 4x by nearest neighbour), or drawn anti-aliased."""
    image = Image.new("L", (256, 256), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((32, 0, 224, 160), outline=255, width=48)
    draw.ellipse((0, 96, 255, 255), outline=255, width=48)
    if anti_aliased:
        coverage = np.asarray(image.reduce(4), np.float32) / 255
    else:
        small = image.resize((16, 16), Image.Resampling.BILINEAR).point(lambda value: 255 * (value > 127))
        coverage = np.asarray(small.resize((64, 64), Image.Resampling.NEAREST), np.float32) / 255
    return np.round(paper + (ink - paper) * coverage).astype(np.uint8)


@pytest.mark.parametrize("anti_aliased", [False, True], ids=["binary", "anti-aliased"])
@pytest.mark.parametrize("ink, paper", [(INK, PAPER), (PAPER, INK)], ids=["dark-on-light", "light-on-dark"])
def test_a_thick_eight_cropped_to_its_ink_keeps_its_loops_and_reads_as_with_a_margin(ink, paper, anti_aliased):
    tight = thick_eight(ink, paper, anti_aliased)
    steps = preprocess_steps(tight)
    assert steps.inverted == (ink == INK)
    with_margin = np.pad(tight, 8, constant_values=paper)
    assert mean_difference(steps.final, preprocess_image(with_margin)) < 0.01
    loops = preprocess_image(with_margin)[[9, 18], 14]  # the middle of each loop, with paper around the 8
    assert loops.max() < 0.05 and steps.final[[9, 18], 14].max() < 0.05  # ... and cropped to it: not filled


@pytest.mark.parametrize("ink, paper", [(INK, PAPER), (PAPER, INK)], ids=["dark-on-light", "light-on-dark"])
def test_a_binary_stroke_reaching_one_edge_of_a_canvas_is_ink(ink, paper):
    image = np.full((120, 120), paper, np.uint8)
    image[20:100, 50:60] = ink  # a 1 ...
    image[95:120, 30:80] = ink  # ... whose foot runs off the bottom edge: the border is mostly paper
    steps = preprocess_steps(image)
    assert steps.inverted == (ink == INK) and steps.final.sum() > 20
