"""The shift benchmark: each corruption does what its name says, and ``python -m bnn shift`` reports every network."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bnn import shift
from bnn.assets import shipped_architectures, shipped_kinds
from bnn.cli import main
from bnn.config import network_name

ROW_KEYS = {"corruption", "severity", "network", "accuracy", "nll", "brier", "ece", "mean_entropy"}
ROW_KEYS |= {"mean_mutual_information", "blank_images"}  # the keys the README documents for each row


@pytest.fixture(scope="module")
def canvases(mnist):
    """(4, 160, 160) upsampled MNIST test digits."""
    return shift.upsample(mnist.test.images[:4])


def corrupt_all(canvases: np.ndarray, corruption: shift.Corruption, seed: int = 0) -> np.ndarray:
    return np.stack(
        [shift.corrupt(c, corruption, shift.corruption_rng(seed, corruption, i)) for i, c in enumerate(canvases)]
    )


def find(family: str, severity) -> shift.Corruption:
    (corruption,) = [item for item in shift.CORRUPTIONS if item.family == family and item.severity == severity]
    return corruption


def ink_box(image: np.ndarray, level: float = 0.5) -> tuple[int, int]:
    """(height, width) of the pixels above ``level``."""
    rows, cols = np.flatnonzero((image > level).any(axis=1)), np.flatnonzero((image > level).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_upsampling_keeps_the_digit_in_the_middle_of_a_blank_canvas(mnist, canvases):
    assert canvases.shape == (4, shift.PADDED_SIZE, shift.PADDED_SIZE) and canvases.dtype == np.float32
    assert 0 <= canvases.min() and canvases.max() <= 1
    margin = shift.MARGIN
    assert not canvases[:, :margin].any() and not canvases[:, -margin:].any()
    # Box-averaging back to 28 px gives the MNIST digit again, up to the blur of resampling twice.
    field = canvases[0, margin:-margin, margin:-margin].reshape(28, shift.SCALE, 28, shift.SCALE).mean(axis=(1, 3))
    assert np.abs(field - mnist.test.images[0]).mean() < 0.03


def test_the_table_states_every_family_and_its_parameters():
    assert {item.family for item in shift.CORRUPTIONS} == set(shift.FAMILIES)
    assert len({item.key for item in shift.CORRUPTIONS}) == len(shift.CORRUPTIONS)
    angles = [item.severity for item in shift.CORRUPTIONS if item.family == "rotation"]
    assert angles == [*range(-90, 0, 15), *range(15, 91, 15)]


@pytest.mark.parametrize("corruption", shift.CORRUPTIONS, ids=lambda item: item.key)
def test_each_corruption_stays_in_range_is_seeded_and_changes_the_image(canvases, corruption):
    images = corrupt_all(canvases, corruption)
    expected = {"off_centre": (280, 280)}.get(corruption.family, (shift.PADDED_SIZE,) * 2)
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
    corruption = next(item for item in shift.CORRUPTIONS if item.family == family)
    assert not np.allclose(corrupt_all(canvases, corruption, seed=0), corrupt_all(canvases, corruption, seed=1))
    same_digit = corrupt_all(np.repeat(canvases[:1], 2, axis=0), corruption)
    assert not np.array_equal(same_digit[0], same_digit[1])  # each image draws its own randomness


@pytest.mark.parametrize("degrees, turns", [(90, 1), (-90, -1)])
def test_rotation_by_a_right_angle_is_numpys_rot90(degrees, turns):
    shape = np.zeros((shift.PADDED_SIZE, shift.PADDED_SIZE), np.float32)
    shape[30:100, 40:55] = 1.0  # an L: a tall bar and a foot to its right, nowhere symmetric
    shape[85:100, 55:95] = 0.6
    rotated = shift.corrupt(shape, shift.Corruption("rotation", degrees, {"degrees": degrees}), np.random.default_rng())
    np.testing.assert_allclose(rotated, np.rot90(shape, turns), atol=1e-5)


def test_shear_leans_the_top_to_the_right_for_positive_values():
    bar = np.zeros((shift.PADDED_SIZE, shift.PADDED_SIZE), np.float32)
    bar[40:120, 75:85] = 1.0
    slanted = shift.corrupt(bar, find("shear", 0.5), np.random.default_rng())
    columns = np.arange(shift.PADDED_SIZE)
    top, bottom = slanted[40:60].sum(axis=0) @ columns, slanted[100:120].sum(axis=0) @ columns
    assert top / slanted[40:60].sum() > bottom / slanted[100:120].sum() + 20


def test_scale_and_aspect_resize_the_ink_box(canvases):
    height, width = ink_box(canvases[0])
    for size in (0.5, 1.25):
        scaled_height, scaled_width = ink_box(shift.corrupt(canvases[0], find("scale", size), np.random.default_rng()))
        assert scaled_height == pytest.approx(size * height, abs=3)
        assert scaled_width == pytest.approx(size * width, abs=3)
    squeezed_height, squeezed_width = ink_box(shift.corrupt(canvases[0], find("aspect", 0.6), np.random.default_rng()))
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
    corner = shift.corrupt(canvases[0], find("off_centre", "bottom-right"), np.random.default_rng())
    np.testing.assert_array_equal(corner[120:, 120:], canvases[0])
    assert corner[:120].sum() == 0 and corner[:, :120].sum() == 0


def test_canvas_redraws_any_stroke_with_one_hard_edged_pen_width():
    thin_bar, thick_bar = np.zeros((2, shift.PADDED_SIZE, shift.PADDED_SIZE), np.float32)
    thin_bar[30:130, 76:84] = 1.0
    thick_bar[30:130, 70:90] = 1.0
    corruption = find("canvas", "pen-7px")
    widths = [
        ink_box(shift.corrupt(bar, corruption, np.random.default_rng())[60:100])[1] for bar in (thin_bar, thick_bar)
    ]
    assert widths[0] == widths[1] == corruption.parameters["pen_width_px"]
    drawn = shift.corrupt(thick_bar, corruption, np.random.default_rng())
    assert set(np.unique(drawn)) <= {0.0, 1.0}  # hard edges, as a canvas pen without anti-aliasing


def test_the_rgba_canvas_holds_the_stroke_in_alpha_over_white(canvases):
    plain = shift.corrupt(canvases[0], find("canvas", "pen-7px"), np.random.default_rng())
    rgba = shift.corrupt(canvases[0], find("canvas", "pen-7px-rgba"), np.random.default_rng())
    np.testing.assert_array_equal(rgba[..., 3], plain)
    assert np.all(rgba[..., :3] == 1)


def test_preprocessing_reads_every_corruption_as_a_digit(canvases):
    for corruption in shift.CORRUPTIONS:
        inputs, blank = shift.corrupted_inputs(canvases, corruption, seed=0)
        assert inputs.shape == (len(canvases), 28, 28) and not blank.any(), corruption.key
        assert np.all(inputs.max(axis=(1, 2)) > 0.9)


def test_a_blank_image_is_counted_wrong_with_a_uniform_prediction():
    from bnn.predict import Prediction

    class AlwaysZero:  # a network that answers 0 with certainty: right for label 0, unless the image is blank
        name, kind = "stub-bayesian", "bayesian"

        def predict(self, images, num_samples, seed):
            samples = np.zeros((num_samples, len(images), 10), np.float32)
            samples[..., 0] = 1
            return Prediction(samples)

    canvases = np.zeros((3, shift.PADDED_SIZE, shift.PADDED_SIZE), np.float32)
    canvases[1, 40:120, 70:90] = 1.0
    inputs, blank = shift.corrupted_inputs(canvases, shift.CORRUPTIONS[0], seed=0)
    assert blank.tolist() == [True, False, True] and not inputs[blank].any()

    metrics = shift.shift_metrics(AlwaysZero(), inputs, blank, np.zeros(3, np.int64), num_samples=4, seed=0)

    assert metrics["accuracy"] == pytest.approx(1 / 3) and metrics["blank_images"] == 2
    assert metrics["mean_entropy"] == pytest.approx(2 / 3 * np.log(10))  # the uniform guesses carry all of it
    assert metrics["nll"] == pytest.approx(2 / 3 * np.log(10), rel=1e-5)


def test_the_shift_command_reports_every_family_and_network(tmp_path, capsys):
    output, figure = tmp_path / "shift" / "report.json", tmp_path / "figures" / "rotation.html"
    arguments = ["--num-images", "20", "--num-samples", "5", "--seed", "3", "--figure", str(figure)]

    assert main(["shift", "--output", str(output), *arguments]) == 0
    assert "plotly" in figure.read_text()[:100_000].lower()

    report = json.loads(output.read_text())
    networks = [network_name(arch, kind) for arch in shipped_architectures() for kind in shipped_kinds(arch)]
    assert report["networks"] == networks and "mlp-bayesian" in networks
    assert (report["num_images"], report["num_samples"], report["seed"]) == (20, 5, 3)
    assert report["resolution"] == shift.RESOLUTION
    assert set(report["families"]) == set(shift.FAMILIES)
    assert report["families"]["rotation"]["severities"][0] == {"severity": -90, "parameters": {"degrees": -90}}
    assert len(report["rows"]) == len(shift.CORRUPTIONS) * len(networks)
    for row in report["rows"]:
        assert ROW_KEYS <= set(row)
        assert 0 <= row["accuracy"] <= 1 and row["nll"] >= 0 and row["mean_entropy"] >= 0
        if row["network"].endswith("deterministic"):
            assert row["mean_mutual_information"] == 0.0
    clean = [row for row in report["rows"] if row["corruption"] == "clean"]
    assert all(row["accuracy"] >= 0.9 for row in clean)
    out = capsys.readouterr().out
    assert f"rotation: 12 x 20 images x {len(networks)} networks done in" in out and f"wrote {output}" in out
    table = shift.format_shift_table(report)
    assert table in out
    assert table.count("\n") == 1 + len(shift.CORRUPTIONS)  # header, rule, one line per corruption
    assert "| rotation | -90 |" in table and "acc. mlp-bayesian" in table and "NLL mlp B / D" in table


def test_the_shift_command_refuses_an_impossible_subset(tmp_path, capsys):
    assert main(["shift", "--output", str(tmp_path / "r.json"), "--num-images", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "num_images" in err
