"""Built-in non-digits: generated in code, each one a valid non-blank input for the networks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bnn.corpora.nondigits import EXAMPLE_SIZE, EXAMPLES, example_image
from bnn.image import preprocess_image


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_is_a_white_on_black_image_that_preprocessing_accepts(name):
    image = example_image(name)
    assert image.mode == "L" and image.size == (EXAMPLE_SIZE, EXAMPLE_SIZE)
    pixels = np.asarray(image)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    assert border.max() == 0 and pixels.max() > 128  # ink on a dark page, like the canvas
    network_input = preprocess_image(image)  # raises BlankImageError for an image with no ink
    assert network_input.shape == (28, 28) and network_input.max() == pytest.approx(1.0)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples_are_the_same_on_every_call(name):
    np.testing.assert_array_equal(np.asarray(example_image(name)), np.asarray(example_image(name)))


def test_the_examples_cover_noise_a_letter_and_a_scribble():
    assert {"noise", "letter", "scribble"} <= set(EXAMPLES)
    for name, example in EXAMPLES.items():
        assert re.fullmatch(r"[a-z0-9-]+", name), "names go into widget keys"
        assert example.name == name and example.title and example.description.endswith(".")


def test_the_examples_differ_from_each_other():
    inputs = [preprocess_image(example_image(name)) for name in EXAMPLES]
    for first in range(len(inputs)):
        for second in range(first + 1, len(inputs)):
            assert np.abs(inputs[first] - inputs[second]).mean() > 0.05


def test_an_unknown_example_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="noise"):
        example_image("unicorn")
