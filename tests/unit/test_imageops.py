"""Image operations: what each does to simple shapes, with the background (0) beyond the edges."""

from __future__ import annotations

import numpy as np
import pytest

from bnn.image import ops as imageops


def bar() -> np.ndarray:
    """A 4 px wide vertical bar of ink on a (20, 20) field."""
    image = np.zeros((20, 20), np.float32)
    image[3:17, 8:12] = 1.0
    return image


def test_bilinear_sampling_reads_pixels_blends_between_them_and_fades_to_background_beyond_the_edges():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    rows, cols = np.indices(image.shape)
    np.testing.assert_array_equal(imageops.bilinear_sample(image, rows, cols), image)
    rows, cols = np.array([0.5, 0.0, 2.5, -3.0]), np.array([1.5, 2.0, 3.0, 50.0])
    read = imageops.bilinear_sample(image, rows, cols)  # between four pixels, then half a pixel out, then far out
    np.testing.assert_allclose(read, [(1 + 2 + 5 + 6) / 4, 2, 11 / 2, 0])


def test_an_affine_quarter_turn_and_the_identity():
    np.testing.assert_allclose(imageops.affine(bar(), np.eye(2)), bar(), atol=1e-12)
    turned = imageops.affine(bar(), np.array([[0.0, -1.0], [1.0, 0.0]]))
    np.testing.assert_allclose(turned, np.rot90(bar()), atol=1e-12)


@pytest.mark.parametrize("pixels", [1, 2, 3])
def test_square_dilation_and_erosion_add_and_remove_pixels_on_every_side(pixels):
    thick, thin = imageops.dilate(bar(), imageops.square(pixels)), imageops.erode(bar(), imageops.square(pixels))
    assert thick.sum() == (14 + 2 * pixels) * (4 + 2 * pixels)
    assert thin.sum() == max(14 - 2 * pixels, 0) * max(4 - 2 * pixels, 0)  # 2 px from each side: nothing left


def test_a_disk_holds_the_pixels_within_its_radius():
    assert imageops.disk(1).sum() == 5 and imageops.disk(1.5).sum() == 9 and imageops.disk(2).sum() == 13
    dot = np.zeros((11, 11), np.float32)
    dot[5, 5] = 1.0
    np.testing.assert_array_equal(imageops.dilate(dot, imageops.disk(3))[2:9, 2:9] > 0, imageops.disk(3))
    assert imageops.erode(np.ones((5, 5), np.float32), imageops.disk(1))[0].sum() == 0  # the edge meets background


def test_gaussian_blur_spreads_the_ink_and_keeps_its_mass_away_from_the_edges():
    field = np.pad(bar(), 10)  # the kernel, cut at 4 sigma, stays inside
    blurred = imageops.gaussian_blur(field, 1.5)
    assert blurred.dtype == np.float64 and blurred.sum() == pytest.approx(field.sum(), rel=1e-6)
    assert blurred.max() < 1 and np.count_nonzero(blurred > 1e-3) > np.count_nonzero(field)
    assert imageops.gaussian_blur(bar(), 1.5).sum() < bar().sum()  # near an edge, ink spreads into the background


def test_rotation_and_resizing_about_the_centre():
    np.testing.assert_array_equal(imageops.rotate(bar(), 90) > 0.5, np.rot90(bar()) > 0.5)
    half = imageops.resize_about_centre(np.ones((20, 20), np.float32), 0.5, 1.0)
    assert half.shape == (20, 20) and np.allclose(half[:, 5:15], 1) and not half[:, :5].any()
    assert imageops.centre_crop_or_pad(np.ones((4, 4), np.float32), 2, 6).tolist() == [[0, 1, 1, 1, 1, 0]] * 2


def test_thinning_leaves_a_one_pixel_skeleton_along_the_stroke():
    skeleton = imageops.thin(bar() > 0.5)
    assert skeleton.any() and not (skeleton & ~(bar() > 0.5)).any()
    assert skeleton.sum(axis=1).max() == 1  # one pixel across the bar, wherever it is
