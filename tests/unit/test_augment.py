"""Training-time augmentation: seeded, label-preserving, in range, and shaped like preprocessed drawings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from bnn.config import Augmentation
from bnn.data.augment import _thickness, augment_batch, training_dataset
from bnn.image import FIELD_CENTRE

DEFAULT = Augmentation()
NONE = Augmentation(probability=0.0, min_scale=1.0, hard_stroke_probability=0.0, blur_probability=0.0, ink_noise=0.0)
# Every distortion applied, each with a zero range: the starting point for switching on one at a time.
ZERO = dataclasses.replace(
    NONE,
    probability=1.0,
    rotation_degrees=0.0,
    shear=0.0,
    aspect=1.0,
    thickening=0.0,
    thinning=0.0,
    elastic_pixels=0.0,
)


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist.train.images[:256], mnist.train.labels[:256]


def _augment(images, seed=(1, 2), augmentation=DEFAULT):
    return augment_batch(tf.constant(images), tf.constant(seed, tf.int64), augmentation).numpy()


def centres_of_mass(images: np.ndarray) -> np.ndarray:
    index = np.arange(images.shape[1], dtype=np.float64)
    mass = images.sum(axis=(1, 2))
    return np.stack([images.sum(axis=2) @ index / mass, images.sum(axis=1) @ index / mass], axis=1)


def test_same_seed_same_images_other_seed_other_images(digits):
    images, _ = digits
    first, again, other = _augment(images), _augment(images), _augment(images, seed=(3, 4))
    assert np.array_equal(first, again)
    assert np.abs(first - other).mean() > 0.02


def test_images_stay_in_range_with_ink(digits):
    augmented = _augment(digits[0])
    assert augmented.shape == digits[0].shape and augmented.dtype == np.float32
    assert augmented.min() >= 0 and augmented.max() <= 1
    assert (augmented.sum(axis=(1, 2)) > 10).all()  # no digit distorted out of the field


def test_augmented_digits_have_mnist_geometry(digits):
    """Like preprocess_image's output: centre of mass on MNIST's (14, 14), longest side about 20 px."""
    augmented = _augment(digits[0])
    assert np.abs(centres_of_mass(augmented).mean(axis=0) - FIELD_CENTRE).max() < 0.25
    ink = augmented > 0.2
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    height = 28 - rows.argmax(1) - rows[:, ::-1].argmax(1)
    width = 28 - cols.argmax(1) - cols[:, ::-1].argmax(1)
    longest = np.maximum(height, width)
    assert 17 <= np.median(longest) <= 21 and longest.max() <= 24


def test_distortions_switched_off_leave_digits_nearly_as_they_are(digits):
    """Only the refit to 20 px and recentring remain, which MNIST digits already satisfy."""
    images = digits[0]
    augmented = _augment(images, augmentation=NONE)
    assert np.abs(augmented - images).mean() < 0.03


@pytest.mark.parametrize(
    "change",
    [{"rotation_degrees": 40.0}, {"shear": 0.4}, {"aspect": 1.5}, {"thickening": 1.0}, {"elastic_pixels": 1.0}],
    ids=lambda change: next(iter(change)),
)
def test_each_distortion_changes_the_digits(digits, change):
    baseline = _augment(digits[0], augmentation=ZERO)
    assert np.abs(_augment(digits[0], augmentation=dataclasses.replace(ZERO, **change)) - baseline).mean() > 0.02


def test_thickening_adds_ink_and_thinning_removes_it():
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 4:24, 12:15] = 1.0
    thick, thin = (_thickness(tf.constant(bar), tf.constant([amount])).numpy()[0] for amount in (1.0, -0.5))
    assert (thick > 0.5).sum(axis=1).max() == 5 and (thin > 0.5).sum(axis=1).max() == 1
    assert thin.sum() < bar.sum() < thick.sum()


def test_training_dataset_keeps_labels_and_is_reproducible(digits):
    images, labels = digits

    def epoch(seed):
        return list(training_dataset(images, labels, 64, seed, Augmentation()).as_numpy_iterator())

    first, again = epoch(5), epoch(5)
    assert sorted(np.concatenate([batch[1] for batch in first]).tolist()) == sorted(labels.tolist())
    for (x1, y1), (x2, y2) in zip(first, again, strict=True):
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    # Each image keeps its own label: the shuffle moves image and label together.
    plain = list(training_dataset(images, labels, 64, 5, None).as_numpy_iterator())
    lookup = {images[i].tobytes(): labels[i] for i in range(len(labels))}
    assert all(lookup[x.tobytes()] == y for batch in plain for x, y in zip(*batch, strict=True))


def test_epochs_see_different_distortions(digits):
    images, labels = digits
    dataset = training_dataset(images, labels, 256, 0, Augmentation())
    first, second = (next(iter(dataset))[0].numpy() for _ in range(2))
    assert not np.array_equal(first, second)
