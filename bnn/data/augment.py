"""Training-time distortions that make MNIST digits look like people's drawings and photos after preprocessing.

Every batch goes through one vectorised ``tf.data`` map (``augment_batch``):

1. stroke thickness: a blend towards a 3x3 grey dilation (thicker) or erosion (thinner);
2. one random affine map per image: rotation, slant (shear) and aspect ratio, composed with an elastic
   displacement field (Simard, Steinkraus & Platt 2003: uniform noise smoothed by a Gaussian);
3. then the geometry is normalised the way ``bnn.image`` does it at serving time: the ink's bounding box
   is fitted to 20 px on its longest side and the centre of mass stays within half a pixel of MNIST's (14, 14),
   as whole-pixel centring leaves it, so the network never sees a size or position the app cannot produce;
4. what a canvas or a phone adds: hard uniform-width strokes, blur, and uneven ink.

All randomness is stateless and comes from the seed of each batch, so a seed fixes every augmented image.
Images stay (B, 28, 28) float32 in [0, 1]; labels are never touched.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from bnn.config import IMAGE_SIZE, Augmentation
from bnn.image import CROP_THRESHOLD, DIGIT_SIZE, FIELD_CENTRE


def training_dataset(
    images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int, augmentation: Augmentation | None
) -> tf.data.Dataset:
    """Shuffled batches of (images (B, 28, 28), labels (B,)), augmented unless ``augmentation`` is None.

    The shuffle order and every distortion differ from epoch to epoch and are fixed by ``seed``.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images.astype(np.float32), labels))
    dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if augmentation is not None:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda batch, batch_seed: (augment_batch(batch[0], batch_seed, augmentation), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def augment_batch(images: tf.Tensor, seed: tf.Tensor, augmentation: Augmentation) -> tf.Tensor:
    """(B, 28, 28) float32 in [0, 1] -> the same digits distorted; ``seed`` is a shape-[2] integer tensor."""
    images = tf.convert_to_tensor(images, tf.float32)
    seeds = [tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int64), i) for i in range(16)]
    batch = tf.shape(images)[0]

    def uniform(index: int, low: float, high: float, shape=None) -> tf.Tensor:
        return tf.random.stateless_uniform(shape if shape is not None else [batch], seeds[index], low, high)

    def chance(index: int, probability: float) -> tf.Tensor:
        return tf.cast(uniform(index, 0.0, 1.0) < probability, tf.float32)

    # Each distortion is applied to a random half of the images, so combinations stay plausible.
    half = augmentation.probability
    images = _thickness(images, uniform(0, -augmentation.thinning, augmentation.thickening) * chance(1, half))
    angle = uniform(2, -1.0, 1.0) * math.radians(augmentation.rotation_degrees) * chance(3, half)
    shear = uniform(4, -augmentation.shear, augmentation.shear) * chance(5, half)
    log_aspect = uniform(6, -1.0, 1.0) * math.log(augmentation.aspect) * chance(7, half)
    scale = uniform(8, augmentation.min_scale, 1.0)
    elastic = _elastic_field(seeds[10], batch, augmentation) * chance(11, half)[:, None, None, None]
    images = _warp(images, angle, shear, log_aspect, scale, elastic)
    images = _canvas_strokes(images, chance(12, augmentation.hard_stroke_probability))
    images = _blur(images, uniform(13, 0.0, 1.0) * chance(14, augmentation.blur_probability))
    ink_gain = 1.0 + uniform(15, -augmentation.ink_noise, augmentation.ink_noise, [batch, IMAGE_SIZE, IMAGE_SIZE])
    return tf.clip_by_value(images * ink_gain, 0.0, 1.0)


def _thickness(images: tf.Tensor, amount: tf.Tensor) -> tf.Tensor:
    """Blend each image towards its 3x3 dilation (amount > 0) or erosion (amount < 0), |amount| <= 1."""
    field = images[..., None]
    dilated = tf.nn.max_pool2d(field, 3, 1, "SAME")[..., 0]
    eroded = -tf.nn.max_pool2d(-field, 3, 1, "SAME")[..., 0]
    amount = amount[:, None, None]
    return images + tf.maximum(amount, 0) * (dilated - images) + tf.minimum(amount, 0) * (images - eroded)


def _elastic_field(seed: tf.Tensor, batch: tf.Tensor, augmentation: Augmentation) -> tf.Tensor:
    """(B, 28, 28, 2) smooth random displacements in output pixels.

    Simard et al. smooth per-pixel noise with a Gaussian; drawing the noise on a coarse grid and interpolating
    it bicubically gives the same kind of smooth field for a fraction of the cost.
    """
    grid = augmentation.elastic_grid
    noise = tf.random.stateless_normal([batch, grid, grid, 2], seed, stddev=augmentation.elastic_pixels)
    return tf.image.resize(noise, [IMAGE_SIZE, IMAGE_SIZE], method="bicubic")


def _warp(
    images: tf.Tensor,
    angle: tf.Tensor,
    shear: tf.Tensor,
    log_aspect: tf.Tensor,
    scale: tf.Tensor,
    elastic: tf.Tensor,
) -> tf.Tensor:
    """Apply the affine distortion, then refit the ink to DIGIT_SIZE and recentre it, in one bilinear resampling.

    Output pixel q samples the input at c_in + M^-1 (q - c_out - elastic(q)), where M = k * A, A the random
    affine map, k the factor that brings the distorted ink's bounding box to DIGIT_SIZE px, c_in the
    input's centre of mass and c_out the same point moved to within half a pixel of FIELD_CENTRE: MNIST (and so
    preprocess) centres by whole pixels, and keeping MNIST's own placement avoids resampling undistorted digits.
    """
    cos, sin = tf.cos(angle), tf.sin(angle)
    aspect = tf.exp(log_aspect)
    # A = rotation @ shear @ diag(1, aspect) acting on (y, x) column vectors.
    rotation = tf.stack([tf.stack([cos, sin], -1), tf.stack([-sin, cos], -1)], -2)
    zeros, ones = tf.zeros_like(shear), tf.ones_like(shear)
    slant = tf.stack([tf.stack([ones, zeros], -1), tf.stack([shear, ones], -1)], -2)  # x += shear * y
    stretch = tf.stack([tf.stack([ones, zeros], -1), tf.stack([zeros, aspect], -1)], -2)
    affine = rotation @ slant @ stretch  # (B, 2, 2)

    grid = tf.cast(tf.stack(tf.meshgrid(tf.range(IMAGE_SIZE), tf.range(IMAGE_SIZE), indexing="ij"), -1), tf.float32)
    mass = tf.reduce_sum(images, axis=[1, 2])[:, None] + 1e-6
    centre_in = tf.einsum("bhw,hwc->bc", images, grid) / mass  # (B, 2) as (y, x)

    # Bounding box of the ink after A over the corners of every ink pixel, as preprocess crops whole pixels:
    # a linear map's extreme over (centre + corner) is its extreme over centres plus its extreme over corners.
    relative = grid[None] - centre_in[:, None, None, :]  # (B, 28, 28, 2)
    moved = tf.einsum("bij,bhwj->bhwi", affine, relative)
    ink = (images > CROP_THRESHOLD)[..., None]
    big = tf.constant(1e4, tf.float32)
    spread = tf.reduce_max(tf.where(ink, moved, -big), axis=[1, 2]) - tf.reduce_min(
        tf.where(ink, moved, big), axis=[1, 2]
    )
    extent = tf.reduce_max(spread + tf.reduce_sum(tf.abs(affine), axis=2), axis=1)  # longest side, input pixels
    fit = DIGIT_SIZE / tf.maximum(extent, 1.0) * scale  # (B,)

    centre_out = FIELD_CENTRE + tf.clip_by_value(centre_in - FIELD_CENTRE, -0.5, 0.5)
    target = grid[None] - centre_out[:, None, None, :] - elastic  # (B, 28, 28, 2)
    inverse = tf.linalg.inv(affine * fit[:, None, None])
    source = tf.einsum("bij,bhwj->bhwi", inverse, target) + centre_in[:, None, None, :]
    return _bilinear(images, source)


def _bilinear(images: tf.Tensor, coordinates: tf.Tensor) -> tf.Tensor:
    """Sample (B, 28, 28) images at (B, H, W, 2) fractional (y, x) coordinates; zero outside the field."""
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1]])  # a ring of zeros: samples outside read black
    size = IMAGE_SIZE + 2
    coordinates = tf.clip_by_value(coordinates + 1.0, 0.0, size - 1.001)
    base = tf.floor(coordinates)
    frac = coordinates - base
    base = tf.cast(base, tf.int32)
    flat = tf.reshape(padded, [tf.shape(images)[0], size * size])

    def at(dy: int, dx: int) -> tf.Tensor:
        index = (base[..., 0] + dy) * size + base[..., 1] + dx
        return tf.gather(flat, index, batch_dims=1)

    fy, fx = frac[..., 0], frac[..., 1]
    top = at(0, 0) * (1 - fx) + at(0, 1) * fx
    bottom = at(1, 0) * (1 - fx) + at(1, 1) * fx
    return top * (1 - fy) + bottom * fy


def _canvas_strokes(images: tf.Tensor, apply: tf.Tensor) -> tf.Tensor:
    """Where ``apply`` is 1: hard-edged strokes of uniform intensity, as a drawing canvas paints them."""
    hard = tf.clip_by_value((images - 0.5) * 4.0 + 0.5, 0.0, 1.0)
    apply = apply[:, None, None]
    return apply * hard + (1 - apply) * images


def _blur(images: tf.Tensor, amount: tf.Tensor) -> tf.Tensor:
    """Blend each image towards its Gaussian blur (sigma 1 px) by ``amount`` in [0, 1], then restore full-white
    stroke cores, as preprocessing's contrast stretch does for an out-of-focus photo."""
    taps = np.exp(-0.5 * np.arange(-2, 3) ** 2)
    kernel = np.outer(taps, taps) / np.outer(taps, taps).sum()
    blurred = tf.nn.conv2d(images[..., None], tf.constant(kernel[:, :, None, None], tf.float32), 1, "SAME")[..., 0]
    peak = tf.reduce_max(blurred, axis=[1, 2], keepdims=True)
    blurred = tf.clip_by_value(blurred / tf.maximum(peak, 1e-3), 0.0, 1.0)
    amount = amount[:, None, None]
    return images + amount * (blurred - images)
