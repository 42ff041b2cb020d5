"""Reading a whole number with the shipped variational MLP (T = 100): its readings, and the issue's targets on
numbers written with MNIST test digits (``bnn.corpora.numbers``; the recipes were chosen on validation digits)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bnn
from bnn import config
from bnn.corpora import numbers as number_corpus
from bnn.image import preprocess_image

T = 100


@pytest.fixture(scope="module")
def models():
    return bnn.load_model("bayesian", "mlp"), bnn.load_model("deterministic", "mlp")


def written(mnist, indices, gaps, seed=0) -> np.ndarray:
    digits = mnist.test.images[list(indices)]
    ink = number_corpus.number_ink(digits, np.array(gaps), number_corpus.CANVAS_SCALE, np.random.default_rng(seed))
    return number_corpus.canvas(ink)


def test_a_number_is_read_digit_by_digit_with_its_posterior(mnist, models):
    model, twin = models
    reading = bnn.read_number(written(mnist, [0, 1, 2, 3], [8, 12, 6]), model, T, seed=0, deterministic=twin)
    assert len(reading.digit_predictions) == 4 and reading.sampled.samples.shape == (T, 4, 10)
    assert reading.mean_reading == "7210" == reading.deterministic_reading  # MNIST test digits 0..3
    per_digit = [float(prediction.probability[0]) for prediction in reading.digit_predictions]
    assert reading.mean_probability == pytest.approx(np.prod(per_digit))
    assert sum(count for _, count in reading.sampled_readings) == T
    counts = [count for _, count in reading.sampled_readings]
    assert counts == sorted(counts, reverse=True) and reading.top_reading == reading.sampled_readings[0][0]
    votes = np.argmax(reading.sampled.samples, axis=-1)  # (T, 4): each sampled network's reading
    assert counts[0] == sum("".join(map(str, row)) == reading.top_reading for row in votes.tolist())
    assert reading.sentence().startswith(f"{counts[0]} of {T} sampled networks read {reading.top_reading}")
    assert "7210" in reading.headline() and "deterministic" in reading.headline()
    record = json.loads(json.dumps(reading.record()))
    assert record["reading"] == "7210" and len(record["digits"]) == 4 and record["not_sure"] is reading.not_sure


def test_the_same_seed_reads_the_same_samples(mnist, models):
    image = written(mnist, [4, 5], [10])
    first, second = (bnn.read_number(image, models[0], T, seed=7) for _ in range(2))
    np.testing.assert_array_equal(first.sampled.samples, second.sampled.samples)


def test_a_piece_that_is_not_a_digit_is_not_sure_and_the_others_are_read(mnist, models):
    image = written(mnist, [0, 1, 2], [30, 30])
    blob = np.zeros((image.shape[0], 150), np.uint8)
    yy, xx = np.mgrid[: blob.shape[0], : blob.shape[1]]
    blob[(np.abs(yy - blob.shape[0] / 2) < 70) & (np.abs(xx - 75) < 60) & ((yy + xx) % 24 < 12)] = 255  # a grid
    reading = bnn.read_number(np.concatenate([image, blob], axis=1), models[0], T, seed=0)
    assert len(reading.digits) == 4 and reading.mean_reading[:3] == "721"
    assert reading.not_sure_positions == (3,) and reading.not_sure and "position 4" in reading.explanation()
    assert "not sure" in reading.digit_caption(3) and "not sure" not in reading.digit_caption(0)


def test_a_number_written_on_a_narrower_canvas_is_the_same_number_smaller_drawn_with_that_canvas_pen(mnist):
    """``canvas_width``: the number the corpus writes (the same digits, the same text) shrunk to fit the app's Number
    canvas that wide and redrawn with that canvas's pen, narrower in proportion (``bnn.config.number_canvas``)."""
    from scipy import ndimage

    from bnn.image import ops as imageops

    images, labels = mnist.validation.images, mnist.validation.labels
    for layout in number_corpus.LAYOUTS:
        written = {
            width: number_corpus.number_sample(
                images, labels, layout, "canvas", np.random.default_rng(3), length=6, canvas_width=width
            )
            for width in (None, 840, 358)
        }
        assert {sample.text for sample in written.values()} == {written[None].text}, layout
        assert written[358].image.shape[1] <= 358, (layout, written[358].image.shape)
        for width in (840, 358):
            ink = written[width].image > 127
            stroke = 2 * np.median(ndimage.distance_transform_edt(ink)[imageops.thin(ink)])  # px across, typically
            pen = config.number_canvas(width)["stroke_width"]
            assert abs(stroke - pen) <= 1.5, (layout, width, stroke, pen)
        if layout == "separated":  # six digits as large as on the wide canvas would run off the phone's
            assert written[None].image.shape[1] > 358 and len(written[358].boundaries) == 5


# --- the targets, on MNIST test digits ----------------------------------------------------------------


def corpus_score(mnist, models, layout, medium, count):
    return number_corpus.measure(models[0], mnist.test.images, mnist.test.labels, layout, medium, count, seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("medium", number_corpus.MEDIA)
def test_separated_four_digit_numbers(mnist, models, medium):
    score = corpus_score(mnist, models, "separated", medium, 150)
    print(
        f"\nseparated 4-digit {medium}: {score.accuracy:.3f} read right; digits found {np.bincount(score.digits_found)}"
    )
    assert score.accuracy >= 0.96


@pytest.mark.slow
@pytest.mark.parametrize("medium", number_corpus.MEDIA)
def test_touching_pairs(mnist, models, medium):
    score = corpus_score(mnist, models, "touching", medium, 150)
    print(f"\ntouching pairs {medium}: {score.accuracy:.3f} read right; digits found {np.bincount(score.digits_found)}")
    assert score.accuracy >= 0.90


@pytest.mark.slow
@pytest.mark.parametrize("medium", number_corpus.MEDIA)
def test_two_stroke_digits_are_merged(mnist, models, medium):
    score = corpus_score(mnist, models, "two-stroke", medium, 200)
    merged = float(np.mean(score.digits_found == 1))
    print(f"\ntwo-stroke {medium}: {merged:.3f} merged into one digit, {score.accuracy:.3f} read right")
    assert merged >= 0.98


@pytest.mark.slow
def test_a_single_digit_reads_as_predict_on_the_preprocessed_digit(mnist, models):
    """Every one of the 10,000 test digits (about 80 s): 1,000 could not tell 99.8 % from 99.9 %."""
    same = []
    for image in mnist.test.images:
        pixels = np.round(image * 255).astype(np.uint8)
        alone = models[0].predict(preprocess_image(pixels)[None], T, seed=0).label[0]  # a batch of one, as read
        same.append(bnn.read_number(pixels, models[0], T, seed=0).mean_reading == str(alone))
    same = np.array(same)
    print(f"\nsingle digits: {same.mean():.4f} of {same.size} read as predict reads them preprocessed alone")
    assert same.mean() >= 0.999


@pytest.mark.slow
def test_the_most_frequent_reading_is_right_more_often_when_the_network_is_sure(mnist, models):
    score = corpus_score(mnist, models, "separated", "canvas", 150)
    surest, overall = score.accuracy_when_surest(0.8), float(score.top_right.mean())
    print(f"\nmost frequent reading right: {surest:.3f} on the surest 80 %, {overall:.3f} on all")
    assert surest > overall
