"""Digit images for tests, drawn with Pillow (never copied from MNIST)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

# Font digits the shipped networks read correctly; typed 1, 6 and 9 look unlike handwriting to an MNIST model.
FONT_DIGITS = (0, 2, 3, 4, 5, 7)

# Pen strokes on a 100 x 100 page, as a person would draw them on the canvas.
STROKES = {
    0: [
        [
            (50 + 28 * c, 50 + 40 * s)
            for c, s in [(0, -1), (0.7, -0.7), (1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1)]
        ]
    ],
    1: [[(50, 12), (50, 88)]],
    7: [[(22, 15), (78, 15), (42, 88)]],
    4: [[(60, 12), (22, 62), (80, 62)], [(62, 35), (62, 90)]],
    2: [[(24, 30), (34, 16), (52, 11), (70, 20), (73, 36), (60, 55), (26, 86), (80, 86)]],
    6: [[(66, 12), (46, 28), (33, 50), (30, 70), (40, 86), (58, 88), (70, 74), (66, 56), (50, 50), (34, 60)]],
}


def number_strokes(number: str, aspect: float = 3.0, side: float = 0.2, left: float = 0.1) -> list:
    """The strokes of ``number`` (digits of ``STROKES``) written left to right on a canvas ``aspect`` times as
    wide as high, in 0..1 canvas coordinates: each digit in a square ``side`` of the width across, side by side
    from ``left``, centred vertically."""
    height = side * aspect  # the square's side as a share of the canvas height
    top = (1 - height) / 2
    return [
        [(left + (index + x / 100) * side, top + y / 100 * height) for x, y in stroke]
        for index, digit in enumerate(number)
        for stroke in STROKES[int(digit)]
    ]


def font_digit(digit: int, size: int = 280, ink: int = 0, paper: int = 255) -> Image.Image:
    """A centred ``digit`` in Pillow's bundled font on a ``size`` x ``size`` grayscale page, dark on light."""
    image = Image.new("L", (size, size), paper)
    font = ImageFont.load_default(size=int(size * 0.7))
    ImageDraw.Draw(image).text((size / 2, size / 2), str(digit), font=font, fill=ink, anchor="mm")
    return image


def drawn_digit(digit: int, size: int = 280, ink: int = 255, paper: int = 0) -> Image.Image:
    """A pen-stroke ``digit`` (one of ``STROKES``), white ink on black like the app's canvas."""
    image = Image.new("L", (size, size), paper)
    draw = ImageDraw.Draw(image)
    scale = size / 100
    for stroke in STROKES[digit]:
        points = [(x * scale, y * scale) for x, y in stroke]
        draw.line(points, fill=ink, width=int(10 * scale), joint="curve")
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
