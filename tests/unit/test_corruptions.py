"""The shift benchmark's corruptions: each does what its name says, seeded per image."""

from __future__ import annotations

import numpy as np
import pytest

from bnn.evaluation import corruptions
from bnn.evaluation.corruptions import Corruption


@pytest.fixture(scope="module")
def canvases(mnist):
    """(4, 160, 160) upsampled MNIST test digits."""
    return corruptions.upsample(mnist.test.images[:4])


def corrupt_all(canvases: np.ndarray, corruption: Corruption, seed: int = 0) -> np.ndarray:
    return np.stack(
        [
            corruptions.corrupt(c, corruption, corruptions.corruption_rng(seed, corruption, i))
            for i, c in enumerate(canvases)
        ]
    )


def find(family: str, severity) -> Corruption:
    (corruption,) = [item for item in corruptions.CORRUPTIONS if item.family == family and item.severity == severity]
    return corruption


def ink_box(image: np.ndarray, level: float = 0.5) -> tuple[int, int]:
    """(height, width) of the pixels above ``level``."""
    rows, cols = np.flatnonzero((image > level).any(axis=1)), np.flatnonzero((image > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_upsampling_keeps_the_digit_in_the_middle_of_a_blank_canvas(mnist, canvases):
    assert canvases.shape == (4, corruptions.PADDED_SIZE, corruptions.PADDED_SIZE) and canvases.dtype == np.float32
    assert 0 <= canvases.min() and canvases.max() <= 1
    margin = corruptions.MARGIN
    assert not canvases[:, :margin].any() and not canvases[:, -margin:].any()
    # Box-averaging back to 28 px gives the MNIST digit again, up to the blur of resampling twice.
    field = (
        canvases[0, margin:-margin, margin:-margin]
        .reshape(28, corruptions.SCALE, 28, corruptions.SCALE)
        .mean(axis=(1, 3))
    )
    assert np.abs(field - mnist.test.images[0]).mean() < 0.03


def test_the_table_states_every_family_and_its_parameters():
    assert {item.family for item in corruptions.CORRUPTIONS} == set(corruptions.FAMILIES)
    assert len({item.key for item in corruptions.CORRUPTIONS}) == len(corruptions.CORRUPTIONS)
    angles = [item.severity for item in corruptions.CORRUPTIONS if item.family == "rotation"]
    assert angles == [*range(-90, 0, 15), *range(15, 91, 15)]


@pytest.mark.parametrize("corruption", corruptions.CORRUPTIONS, ids=lambda item: item.key)
def test_each_corruption_stays_in_range_is_seeded_and_changes_the_image(canvases, corruption):
    images = corrupt_all(canvases, corruption)
    expected = {"off_centre": (280, 280)}.get(corruption.family, (corruptions.PADDED_SIZE,) * 2)
    if corruption.parameters.get("rgba"):
        expected = (*expected, 4)
    assert images.shape == (len(canvases), *expected) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(images, corrupt_all(canvases, corruption))  # same seed, same images
    if corruption.family == "clean":
        np.testing.assert_array_equal(images, canvases)
    elif images.shape == canvases.shape:
        assert np.abs(images - canvases).mean(axis=(1, 2)).min() > 1e-3


@pytest.mark.parametrize("family", ["elastic", "noise"])
def test_random_corruptions_differ_between_seeds_and_images(canvases, family):
    corruption = next(item for item in corruptions.CORRUPTIONS if item.family == family)
    assert not np.allclose(corrupt_all(canvases, corruption, seed=0), corrupt_all(canvases, corruption, seed=1))
    same_digit = corrupt_all(np.repeat(canvases[:1], 2, axis=0), corruption)
    assert not np.array_equal(same_digit[0], same_digit[1])  # each image draws its own randomness


@pytest.mark.parametrize("degrees, turns", [(90, 1), (-90, -1)])
def test_rotation_by_a_right_angle_is_numpys_rot90(degrees, turns):
    shape = np.zeros((corruptions.PADDED_SIZE, corruptions.PADDED_SIZE), np.float32)
    shape[30:100, 40:55] = 1.0  # an L: a tall bar and a foot to its right, nowhere symmetric
    shape[85:100, 55:95] = 0.6
    rotated = corruptions.corrupt(shape, Corruption("rotation", degrees, {"degrees": degrees}), np.random.default_rng())
    np.testing.assert_allclose(rotated, np.rot90(shape, turns), atol=1e-5)


def test_shear_leans_the_top_to_the_right_for_positive_values():
    bar = np.zeros((corruptions.PADDED_SIZE, corruptions.PADDED_SIZE), np.float32)
    bar[40:120, 75:85] = 1.0
    slanted = corruptions.corrupt(bar, find("shear", 0.5), np.random.default_rng())
    columns = np.arange(corruptions.PADDED_SIZE)
    top, bottom = slanted[40:60].sum(axis=0) @ columns, slanted[100:120].sum(axis=0) @ columns
    assert top / slanted[40:60].sum() > bottom / slanted[100:120].sum() + 20


def test_scale_and_aspect_resize_the_ink_box(canvases):
    height, width = ink_box(canvases[0])
    for size in (0.5, 1.25):
        scaled_height, scaled_width = ink_box(
            corruptions.corrupt(canvases[0], find("scale", size), np.random.default_rng())
        )
        assert scaled_height == pytest.approx(size * height, abs=3)
        assert scaled_width == pytest.approx(size * width, abs=3)
    squeezed_height, squeezed_width = ink_box(
        corruptions.corrupt(canvases[0], find("aspect", 0.6), np.random.default_rng())
    )
    assert squeezed_height == pytest.approx(height, abs=2) and squeezed_width == pytest.approx(0.6 * width, abs=3)


def test_thickness_orders_the_ink(canvases):
    ink = {
        severity: corrupt_all(canvases, find("thickness", severity)).sum(axis=(1, 2))
        for severity in ("thinner", "thin", "thick", "thicker")
    }
    clean = canvases.sum(axis=(1, 2))
    assert np.all(ink["thinner"] < ink["thin"]) and np.all(ink["thin"] < clean)
    assert np.all(clean < ink["thick"]) and np.all(ink["thick"] < ink["thicker"])
    assert np.all(ink["thinner"] > 0.3 * clean)  # thin, yet still a digit


def test_blur_spreads_the_ink_and_keeps_its_mass(canvases):
    blurred = corrupt_all(canvases, find("blur", "strong"))
    np.testing.assert_allclose(blurred.sum(axis=(1, 2)), canvases.sum(axis=(1, 2)), rtol=0.02)
    assert np.all(blurred.max(axis=(1, 2)) < canvases.max(axis=(1, 2)))


def test_off_centre_moves_the_canvas_into_a_corner(canvases):
    corner = corruptions.corrupt(canvases[0], find("off_centre", "bottom-right"), np.random.default_rng())
    np.testing.assert_array_equal(corner[120:, 120:], canvases[0])
    assert corner[:120].sum() == 0 and corner[:, :120].sum() == 0


def test_canvas_redraws_any_stroke_with_one_hard_edged_pen_width():
    thin_bar, thick_bar = np.zeros((2, corruptions.PADDED_SIZE, corruptions.PADDED_SIZE), np.float32)
    thin_bar[30:130, 76:84] = 1.0
    thick_bar[30:130, 70:90] = 1.0
    corruption = find("canvas", "pen-7px")
    widths = [
        ink_box(corruptions.corrupt(bar, corruption, np.random.default_rng())[60:100])[1]
        for bar in (thin_bar, thick_bar)
    ]
    assert widths[0] == widths[1] == corruption.parameters["pen_width_px"]
    drawn = corruptions.corrupt(thick_bar, corruption, np.random.default_rng())
    assert set(np.unique(drawn)) <= {0.0, 1.0}  # hard edges, as a canvas pen without anti-aliasing


def test_the_rgba_canvas_holds_the_stroke_in_alpha_over_white(canvases):
    plain = corruptions.corrupt(canvases[0], find("canvas", "pen-7px"), np.random.default_rng())
    rgba = corruptions.corrupt(canvases[0], find("canvas", "pen-7px-rgba"), np.random.default_rng())
    np.testing.assert_array_equal(rgba[..., 3], plain)
    assert np.all(rgba[..., :3] == 1)
