"""Segmentation of a number's image into digits, without a network (``score`` left out) unless stated."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import bnn
from bnn import number_corpus, segment
from bnn.config import MAX_DIGITS
from bnn.preprocess import preprocess_image


def separated(mnist, indices, gaps, scale=number_corpus.CANVAS_SCALE, seed=0) -> np.ndarray:
    digits = mnist.test.images[list(indices)]
    return number_corpus.canvas(number_corpus.number_ink(digits, np.array(gaps), scale, np.random.default_rng(seed)))


def test_separated_digits_come_out_left_to_right_in_mnist_geometry(mnist):
    image = separated(mnist, [0, 1, 2, 3], [2, 10, 20])
    found = segment.segment(image)
    assert len(found) == 4 and found.digits.shape == (4, 28, 28) and found.digits.dtype == np.float32
    lefts = [box[1] for box in found.boxes]
    assert lefts == sorted(lefts) and len(set(lefts)) == 4
    for digit, (top, left, bottom, right) in zip(found.digits, found.boxes, strict=True):
        assert 0 <= top < bottom <= found.ink.shape[0] and 0 <= left < right <= found.ink.shape[1]
        rows, cols = np.flatnonzero(digit.max(axis=1) > 0.2), np.flatnonzero(digit.max(axis=0) > 0.2)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)  # fitted to MNIST's 20 px
    assert set(np.unique(found.owner)) == {0, 1, 2, 3, 4}
    assert np.all(found.owner[found.ink == 0] == 0)


def test_a_digit_in_two_strokes_is_one_digit(mnist):
    rng = np.random.default_rng(3)
    ink = number_corpus._enlarged(mnist.test.images[0], number_corpus.CANVAS_SCALE)  # a 7
    cut = number_corpus.two_strokes(ink, number_corpus.CANVAS_SCALE, rng)
    assert ndimage.label(cut > 0.2, structure=np.ones((3, 3)))[1] > 1  # the cut made two pieces
    assert len(segment.segment(number_corpus.canvas(np.pad(cut, 20)))) == 1


def test_specks_between_digits_are_dropped(mnist):
    image = separated(mnist, [0, 1], [40])
    middle = image.shape[1] // 2
    image[image.shape[0] // 2 : image.shape[0] // 2 + 6, middle - 3 : middle + 3] = 255  # a 6 px dot in the gap
    found = segment.segment(image)
    assert len(found) == 2
    assert found.owner[image.shape[0] // 2 // 2, middle // 2] == 0  # the dot (at working resolution) is nobody's


def test_touching_digits_are_cut_into_two(mnist):
    wide = [index for index in range(100) if mnist.test.labels[index] in (0, 2, 3, 5, 6, 8)][:2]
    image = separated(mnist, wide, [-2])
    assert len(segment.segment(image)) == 2


def test_a_single_digit_is_exactly_what_preprocess_gives(mnist):
    for image in mnist.test.images[:50]:
        raw = np.round(image * 255).astype(np.uint8)
        found = segment.segment(raw)
        assert len(found) == 1
        np.testing.assert_array_equal(found.digits[0], preprocess_image(raw))


def test_more_than_the_maximum_digits_is_refused_with_a_message(mnist):
    image = separated(mnist, range(MAX_DIGITS + 1), [12] * MAX_DIGITS, scale=2)
    with pytest.raises(bnn.TooManyDigitsError, match=f"more than the {MAX_DIGITS}"):
        segment.segment(image)
    assert len(segment.segment(image, max_digits=MAX_DIGITS + 1)) == MAX_DIGITS + 1


def test_nothing_to_read_is_blank():
    with pytest.raises(bnn.BlankImageError):
        segment.segment(np.zeros((100, 300), np.uint8))
