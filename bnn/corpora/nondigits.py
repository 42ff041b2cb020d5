"""Built-in things that are not digits, generated in code (never copied from MNIST).

They show what the posterior looks like far from the training data: the Bayesian network's samples
disagree (high epistemic uncertainty) where a deterministic network may still answer with confidence.

    image = example_image("scribble")   # PIL grayscale image, white ink on black, EXAMPLE_SIZE square
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bnn.config import CANVAS_SIZE

EXAMPLE_SIZE = CANVAS_SIZE  # pixels per side, like a drawing on the app's canvas
EXAMPLE_SEED = 0  # the noise and the scribble are the same on every run
_INK, _PAPER = 255, 0  # white ink on black, as the canvas draws


@dataclass(frozen=True)
class Example:
    name: str  # short identifier, used in widget keys: letters, digits and hyphens only
    title: str  # what a person calls it
    description: str  # one sentence on why it is a useful test
    draw: Callable[[], Image.Image]


def _blank() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (EXAMPLE_SIZE, EXAMPLE_SIZE), _PAPER)
    return image, ImageDraw.Draw(image)


def _noise() -> Image.Image:
    """Uniform random pixels in the middle of a dark page (a dark border is how ink is told from background)."""
    rng = np.random.default_rng(EXAMPLE_SEED)
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4:24, 4:24] = rng.integers(0, 256, size=(20, 20), dtype=np.uint8)
    return Image.fromarray(pixels, mode="L").resize((EXAMPLE_SIZE, EXAMPLE_SIZE), Image.Resampling.NEAREST)


def _letter() -> Image.Image:
    """A capital A in Pillow's bundled font: a clean stroke shape that is not a digit."""
    image, draw = _blank()
    font = ImageFont.load_default(size=int(EXAMPLE_SIZE * 0.7))
    draw.text((EXAMPLE_SIZE / 2, EXAMPLE_SIZE / 2), "A", font=font, fill=_INK, anchor="mm")
    return image


def _scribble() -> Image.Image:
    """A seeded random walk of pen strokes, like someone scribbling on the canvas."""
    rng = np.random.default_rng(EXAMPLE_SEED)
    image, draw = _blank()
    points = rng.uniform(0.15, 0.85, size=(12, 2)) * EXAMPLE_SIZE
    draw.line([tuple(point) for point in points], fill=_INK, width=EXAMPLE_SIZE // 28, joint="curve")
    return image


def _star() -> Image.Image:
    """A five-pointed star outline: closed, symmetric, and unlike any digit."""
    image, draw = _blank()
    centre, outer, inner = EXAMPLE_SIZE / 2, EXAMPLE_SIZE * 0.42, EXAMPLE_SIZE * 0.17
    corners = [
        (
            centre + radius * math.sin(math.pi * step / 5),
            centre - radius * math.cos(math.pi * step / 5),
        )
        for step, radius in zip(range(11), [outer, inner] * 6, strict=False)
    ]
    draw.line(corners, fill=_INK, width=EXAMPLE_SIZE // 28, joint="curve")
    return image


EXAMPLES: dict[str, Example] = {
    example.name: example
    for example in (
        Example("noise", "Random noise", "Pixels drawn at random: there is nothing to recognise.", _noise),
        Example("letter", "The letter A", "A clear shape, but from an alphabet the network never saw.", _letter),
        Example("scribble", "A scribble", "Random pen strokes, like a careless drawing.", _scribble),
        Example("star", "A star", "A neat closed shape that no digit looks like.", _star),
    )
}


def example_image(name: str) -> Image.Image:
    """The built-in example ``name`` as a grayscale PIL image (EXAMPLE_SIZE square, white ink on black)."""
    try:
        example = EXAMPLES[name]
    except KeyError:
        raise ValueError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}") from None
    return example.draw()
