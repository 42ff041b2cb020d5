"""Segmentation of a number's image into digits, without a network (``score`` left out) unless stated."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import bnn
from bnn.config import MAX_DIGITS
from bnn.corpora import numbers as number_corpus
from bnn.image import preprocess_image, segment


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


@pytest.mark.parametrize("height, digits", [(26, 1), (30, 2)])
def test_a_short_piece_beside_a_digit_is_part_of_it(height, digits):
    image = np.zeros((120, 140), np.uint8)
    image[20:80, 70:78] = 255  # a stroke 60 px tall
    image[80 - height : 80, 30:60] = 255  # beside it, 10 px apart: a hook 0.43 of its height, or a digit half as tall
    assert len(segment.segment(image)) == digits


def test_specks_between_digits_are_dropped(mnist):
    image = separated(mnist, [0, 1], [40])
    middle = image.shape[1] // 2
    image[image.shape[0] // 2 : image.shape[0] // 2 + 6, middle - 3 : middle + 3] = 255  # a 6 px dot in the gap
    found = segment.segment(image)
    assert len(found) == 2
    assert found.owner[image.shape[0] // 2 // 2, middle // 2] == 0  # the dot (at working resolution) is nobody's


@pytest.mark.parametrize("layout", ["separated", "touching"])
def test_a_generated_number_knows_where_its_digits_meet(mnist, layout):
    sample = number_corpus.number_sample(
        mnist.test.images, mnist.test.labels, layout, "canvas", np.random.default_rng(5), length=3
    )
    assert len(sample.boundaries) == len(sample.text) - 1 and list(sample.boundaries) == sorted(sample.boundaries)
    ink = sample.image > 0
    for boundary in sample.boundaries:
        left, right = ink[:, : int(boundary)], ink[:, int(boundary) + 1 :]
        assert left.any() and right.any()
        if layout == "separated":  # a blank column: the ink falls apart into the digits on either side
            assert not ink[:, int(boundary)].any()


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


def _uniform(images: np.ndarray) -> np.ndarray:
    return np.full((len(images), 10), 0.1)


def _ones(images: np.ndarray) -> np.ndarray:  # every candidate read as a 1 at 0.5, a 7 at 0.1, the rest 0.05
    probabilities = np.full((len(images), 10), 0.05)
    probabilities[:, 1], probabilities[:, 7] = 0.5, 0.1
    return probabilities


def test_whether_a_lone_wide_group_is_cut_is_the_decisions_call(mnist):
    wide = [index for index in range(100) if mnist.test.labels[index] in (0, 2, 3, 5, 6, 8)][:2]
    image = separated(mnist, wide, [-6])  # overlapping enough to be one piece of ink
    seen = []
    kept = segment.segment(image, _uniform, decide=lambda evidence: seen.append(evidence) or False)
    assert len(kept) == 1 and len(seen) == 1
    evidence = seen[0]
    assert evidence.whole == pytest.approx(0.1) and evidence.joint == pytest.approx(0.01)
    assert evidence.width > segment.MAYBE_WIDE_RATIO and 0 <= evidence.valley <= 1
    assert evidence.second == pytest.approx(0.1) and not evidence.part_reads_one
    assert segment.MIN_PART_HEIGHT <= evidence.shorter_part <= 1
    assert len(segment.segment(image, _uniform, decide=lambda evidence: True)) == 2
    seen.clear()
    segment.segment(image, _ones, decide=lambda evidence: seen.append(evidence) or False)
    assert seen[0].part_reads_one and seen[0].whole == pytest.approx(0.5) and seen[0].second == pytest.approx(0.1)


def test_whether_neighbours_that_may_be_one_digit_are_joined_is_the_merge_decisions_call():
    image = np.zeros((120, 140), np.uint8)
    image[20:80, 70:78] = 255  # a stroke 60 px tall ...
    image[50:80, 82:85] = 255  # ... and 4 px to its right a thin one half as tall: a stroke broken off, or a 1
    seen = []
    assert len(segment.segment(image, _uniform, join=lambda evidence: seen.append(evidence) or False)) == 2
    assert len(seen) == 1
    evidence = seen[0]
    assert evidence.together == pytest.approx(0.1) and evidence.joint == pytest.approx(0.01)
    assert evidence.gap == pytest.approx(4 / 60) and evidence.width == pytest.approx(15 / 60)
    assert evidence.narrower == pytest.approx(3 / 60) and evidence.shorter == pytest.approx(0.5)
    assert evidence.between == (78, 82)
    assert len(segment.segment(image, _uniform, join=lambda evidence: True)) == 1


@pytest.mark.parametrize(
    ("right", "asked"),
    [
        ((50, 80, 170, 173), False),  # 92 px to the right: wider together than 1.5 digits
        ((20, 80, 75, 83), False),  # as tall, together wider than one digit: two digits without asking
        ((35, 80, 75, 83), True),  # 0.75 as tall: maybe a digit's stroke broken off
        ((20, 80, 60, 68), True),  # as tall, together no wider than one digit: maybe a digit in two strokes
    ],
)
def test_which_neighbours_the_merge_decision_is_asked_about(right, asked):
    image = np.zeros((120, 240), np.uint8)
    top, bottom, left, end = right
    image[20:80, 20:28], image[top:bottom, left:end] = 255, 255  # a stroke 60 px tall and another to its right
    seen = []
    assert len(segment.segment(image, _uniform, join=lambda evidence: seen.append(evidence) or True)) == 2 - asked
    assert len(seen) == asked
