"""The photo corpus (bnn.corpora.photos) without the networks: deterministic, blank where it holds no digit, and a
thick digit cropped to its ink gives nearly the network input of its twin with a margin of paper. The shipped
networks' report on it: tests/shipped/test_photos.py."""

from __future__ import annotations

import numpy as np
import pytest

from bnn.corpora.photos import CONDITIONS, CROPS, crop_corpus, photo, photo_corpus
from bnn.evaluation.photos import read_uploads
from bnn.image import BlankImageError, preprocess_image

MAX_INPUT_DIFFERENCE = 0.025  # as tests/shipped/test_photos.py: the enlargement's and the blur's, not a lost stroke


THICK_CROPS = [name for name in CROPS if "thick" in name and "x4" in name or name.startswith(("anti", "felt"))]


@pytest.mark.parametrize("crop", THICK_CROPS)
def test_a_thick_digit_cropped_to_its_ink_gives_the_network_the_input_its_twin_with_a_margin_gives(mnist, crop):
    tight, margin = crop_corpus(mnist.test.images[300:400], seed=0, crops=(crop,))
    (inputs, read), (twin_inputs, twin_read) = read_uploads(tight[crop]), read_uploads(margin[crop])
    assert twin_read.all() and read.sum() >= 99  # one solid block at most
    assert np.abs(inputs - twin_inputs)[read].mean() < MAX_INPUT_DIFFERENCE


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_the_same_conditions_without_a_digit_are_blank(condition):
    for index in range(5):
        with pytest.raises(BlankImageError):
            preprocess_image(photo(np.zeros((28, 28), np.float32), condition, np.random.default_rng(index)))


def test_the_corpus_is_deterministic(mnist):
    digits = mnist.test.images[:1]
    assert photo_corpus(digits, seed=5) == photo_corpus(digits, seed=5)
    assert photo_corpus(digits, seed=5)["hard shadow edge"] != photo_corpus(digits, seed=6)["hard shadow edge"]
