"""What if? The variants of one input and the batched answers of both networks."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.networks import record_predictions

from bnn import figures
from bnn import image as preprocess
from bnn.model.predict import Prediction
from bnn.reading import whatif as explore


def stroke() -> np.ndarray:
    """A vertical bar of ink, 4 px wide, centred in the field: an easy "1"."""
    image = np.zeros((28, 28), np.float32)
    image[4:24, 12:16] = 1.0
    return image


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / image.sum()), float((cols * image).sum() / image.sum())


def test_every_sweep_holds_the_input_itself():
    image = stroke()
    for sweep in explore.variants(image):
        assert sweep.images.shape == (len(sweep.values), 28, 28) and sweep.images.dtype == np.float32
        unchanged = [value for value in sweep.values if value in (0, None)]
        assert len(unchanged) == 1, sweep.name
        assert np.array_equal(sweep.images[sweep.values.index(unchanged[0])], image), sweep.name


def test_rotation_turns_a_vertical_stroke_horizontal_about_the_centre():
    turned = explore.rotate(stroke(), 90)
    assert turned[12:16, 4:24].mean() > 0.9 and turned[4:24, 12:16].sum() < turned.sum()
    assert np.allclose(centre_of_mass(turned), centre_of_mass(stroke()), atol=0.6)


def test_shift_moves_the_ink_sideways_by_whole_pixels():
    moved = explore.shift(stroke(), -6)
    assert np.array_equal(moved[:, 6:10], stroke()[:, 12:16]) and moved[:, 10:].sum() == 0


def lopsided() -> np.ndarray:
    """Ink in every pixel, each a different level: no symmetry, so a wrong turn or a crop shows at once."""
    return np.random.default_rng(0).permutation(np.linspace(0.01, 1.0, 28 * 28, dtype=np.float32)).reshape(28, 28)


def moved_by_hand(image: np.ndarray, pixels: int) -> np.ndarray:
    """``image`` moved ``pixels`` to the right, pixel by pixel: column c shows what was in column c - pixels."""
    moved = np.zeros_like(image)
    for column in range(28):
        if 0 <= column - pixels < 28:
            moved[:, column] = image[:, column - pixels]
    return moved


def test_every_shift_of_the_sweep_moves_every_pixel_by_its_value_both_ways():
    image = lopsided()
    shifts = next(sweep for sweep in explore.variants(image) if sweep.name == "shift")
    assert any(value > 0 for value in shifts.values) and any(value < 0 for value in shifts.values)
    for value, shifted in zip(shifts.values, shifts.images, strict=True):
        np.testing.assert_array_equal(shifted, moved_by_hand(image, value), err_msg=f"shift {value:+d}")


def test_a_positive_rotation_turns_counter_clockwise_pixel_by_pixel():
    """A quarter turn of the 28 x 28 field about its centre moves every pixel exactly: +90 degrees is NumPy's
    counter-clockwise rot90, -90 the other way; the sweep's own images are those turns."""
    image = lopsided()
    rotations = next(sweep for sweep in explore.variants(image) if sweep.name == "rotation")
    turned = dict(zip(rotations.values, rotations.images, strict=True))
    np.testing.assert_array_equal(explore.rotate(image, 90), np.rot90(image, 1))
    np.testing.assert_array_equal(turned[90], np.rot90(image, 1))
    np.testing.assert_array_equal(turned[-90], np.rot90(image, -1))


def test_a_small_positive_rotation_carries_ink_right_of_the_centre_upwards():
    """Counter-clockwise on the screen, rows counted downwards: a bar from the centre to the right edge, turned by
    +45 degrees, points up and to the right; by -45 degrees, down and to the right."""
    bar = np.zeros((28, 28), np.float32)
    bar[13:15, 16:26] = 1.0
    for degrees, rows in ((45, slice(0, 13)), (-45, slice(15, 28))):
        turned = explore.rotate(bar, degrees)
        assert turned[rows, 15:].sum() > 0.9 * turned.sum(), degrees
        assert turned[rows, 15:].sum() > 0.9 * bar.sum(), degrees


def test_thickness_adds_or_removes_a_pixel_on_every_side():
    ink = stroke().sum()
    assert explore.change_thickness(stroke(), 1).sum() == (20 + 2) * (4 + 2)
    assert explore.change_thickness(stroke(), -1).sum() == (20 - 2) * (4 - 2)
    assert explore.change_thickness(stroke(), 0).sum() == ink


def test_the_bar_hides_the_ink_in_its_rows_only():
    covered = explore.cover(stroke(), 14)
    assert covered[12:16].sum() == 0 and np.array_equal(covered[:12], stroke()[:12])
    assert np.array_equal(explore.cover(stroke(), None), stroke())


def test_a_wrong_shape_gets_a_clear_message():
    with pytest.raises(ValueError, match=r"expected one \(28, 28\) input"):
        explore.variants(np.zeros((1, 28, 28)))


class RandomModel:
    """Stands in for a DigitModel of ``kind``: answers at random with its own number of samples."""

    def __init__(self, kind: str, num_samples: int):
        self.kind, self.num_samples = kind, num_samples

    def predict(self, images, num_samples=1, seed=None):
        rng = np.random.default_rng(0)
        samples = rng.dirichlet(np.ones(10), size=(self.num_samples, len(images))).astype(np.float32)
        return Prediction(samples)


def test_all_variants_go_through_one_predict_call_per_network_and_come_back_in_order(monkeypatch):
    calls = record_predictions(monkeypatch, lambda model, images: (model.kind, len(images)), model_class=RandomModel)
    bayesian, deterministic = RandomModel("bayesian", num_samples=20), RandomModel("deterministic", num_samples=1)
    exploration = explore.explore(bayesian, deterministic, stroke(), num_samples=20, seed=0)
    total = sum(len(answers.sweep.values) for answers in exploration.sweeps)
    assert sorted(calls) == [("bayesian", total), ("deterministic", total)]
    assert [answers.sweep.name for answers in exploration.sweeps] == ["rotation", "shift", "thickness", "bar"]
    assert exploration.num_samples == 20
    for answers in exploration.sweeps:
        steps = len(answers.sweep.values)
        assert answers.mutual_information.shape == answers.deterministic_probability.shape == (steps,)
        assert (answers.mutual_information >= 0).all() and np.allclose(
            answers.predictive_entropy >= answers.mutual_information, True
        )
    figure = figures.exploration_figure(exploration, "Bayesian")
    assert len(figure.data) == 4 * len(exploration.sweeps)
    assert {trace.name for trace in figure.data} >= {
        "Bayesian mutual information (nats)",
        "deterministic max probability",
    }


PIXEL_WEIGHTS = np.random.default_rng(1).uniform(0, 1, 28 * 28)


class InkModel:
    """Stands in for a DigitModel whose answer depends on its input: each image's digit, confidence and the spread
    of its T samples follow from its ink, and the deterministic kind answers with another digit than the sampled
    one, so an answer given to the wrong variant, or by the wrong network, shows."""

    def __init__(self, kind: str, num_samples: int):
        self.kind, self.num_samples = kind, num_samples

    def predict(self, images, num_samples=1, seed=None):
        images = np.asarray(images, np.float64)
        ink = images.reshape(len(images), -1) @ PIXEL_WEIGHTS  # a different number for every variant
        digit = np.floor(ink).astype(int) % 10
        if self.kind == "deterministic":
            digit = (digit + 3) % 10
        confidence = 0.4 + 0.5 * (ink % 1.0)
        spread = np.linspace(-1.0, 1.0, self.num_samples)[:, None] * (0.3 * (ink % 0.37))[None]  # (T, N)
        top = np.clip(confidence[None] + spread, 0.15, 0.95)
        samples = np.repeat(((1 - top) / 9)[..., None], 10, axis=-1)
        samples[:, np.arange(len(images)), digit] = top
        return Prediction(samples.astype(np.float32))


def test_every_variant_gets_its_own_answer_from_each_network():
    """Each step's answers are the networks' answers to that step's image: the sampled network's digit, probability
    and uncertainties, the deterministic network's digit and probability, nothing taken from the other network."""
    sampled, deterministic = InkModel("bayesian", num_samples=20), InkModel("deterministic", num_samples=1)
    exploration = explore.explore(sampled, deterministic, stroke(), num_samples=20, seed=0)
    for answers in exploration.sweeps:
        alone = sampled.predict(answers.sweep.images, 20)
        twin = deterministic.predict(answers.sweep.images)
        assert len(set(alone.label.tolist())) > 1, answers.sweep.name  # the answers differ from step to step
        np.testing.assert_array_equal(answers.digit, alone.label, err_msg=answers.sweep.name)
        np.testing.assert_array_equal(answers.probability, alone.probability, err_msg=answers.sweep.name)
        np.testing.assert_array_equal(answers.predictive_entropy, alone.predictive_entropy, err_msg=answers.sweep.name)
        np.testing.assert_array_equal(answers.mutual_information, alone.mutual_information, err_msg=answers.sweep.name)
        np.testing.assert_array_equal(answers.deterministic_digit, twin.label, err_msg=answers.sweep.name)
        np.testing.assert_array_equal(answers.deterministic_probability, twin.probability, err_msg=answers.sweep.name)
        assert (answers.mutual_information > 0).any() and (answers.digit != answers.deterministic_digit).all()
        assert (answers.probability != answers.deterministic_probability).any(), answers.sweep.name


def test_a_variant_with_no_ink_left_reads_blank_not_a_digit():
    """Thinned by 2 px on every side, a 4 px stroke is gone: the page says blank there, as the Draw tab does of
    an empty canvas, and the chart leaves a gap; every other step keeps its digit."""
    models = RandomModel("bayesian", num_samples=20), RandomModel("deterministic", num_samples=1)
    exploration = explore.explore(*models, stroke(), 20)
    thickness = next(answers for answers in exploration.sweeps if answers.sweep.name == "thickness")
    shown = dict(zip(thickness.sweep.values, thickness.digits_shown(), strict=True))
    assert shown[-2] == explore.BLANK == "blank"
    assert [value for value, read in shown.items() if read == "blank"] == [-2]
    assert shown[0] == str(thickness.digit[thickness.sweep.values.index(0)])
    for answers in exploration.sweeps:
        if answers.sweep.name != "thickness":
            assert not answers.sweep.blank.any() and explore.BLANK not in answers.digits_shown(), answers.sweep.name
    figure = figures.exploration_figure(exploration, "Bayesian")
    thinned = thickness.sweep.values.index(-2)
    for trace in figure.data[4 * 2 : 4 * 3]:  # the thickness row's four lines
        assert np.isnan(trace.y[thinned]) and not np.isnan(np.delete(trace.y, thinned)).any()


def test_blank_is_the_rule_preprocessing_refuses_a_drawing_by():
    speck = np.zeros((28, 28), np.float32)
    speck[10:12, 10:11] = 1.0  # two pixels of ink: too few
    faint = np.where(stroke() > 0, preprocess.CROP_THRESHOLD * 0.9, 0).astype(np.float32)  # below the crop level
    for image in (np.zeros((28, 28), np.float32), speck, faint):
        assert preprocess.is_blank_ink(image)
        with pytest.raises(preprocess.BlankImageError):
            preprocess.preprocess_image(image)
    assert not preprocess.is_blank_ink(stroke())


def test_the_shipped_networks_grow_less_sure_as_a_digit_is_turned_upside_down(mnist):
    import bnn

    bayesian, deterministic = bnn.load_model("bayesian"), bnn.load_model("deterministic")
    digits = [index for index in range(200) if mnist.test.labels[index] in (2, 3, 4, 5, 7)][:20]
    upright, turned = [], []
    for index in digits:
        rotation = explore.explore(bayesian, deterministic, mnist.test.images[index], 50, seed=0).sweeps[0]
        upright.append(rotation.mutual_information[rotation.sweep.values.index(0)])
        turned.append(rotation.mutual_information[[0, -1]].mean())
    assert np.mean(turned) > 5 * np.mean(upright)


def test_each_sweep_is_named_titled_and_labelled_for_the_page():
    sweeps = {sweep.name: sweep for sweep in explore.variants(stroke())}
    assert [(sweep.name, sweep.title, sweep.unit) for sweep in sweeps.values()] == [
        ("rotation", "Rotated", "degrees"),
        ("shift", "Shifted sideways", "pixels"),
        ("thickness", "Thinner or thicker strokes", "pixels per side"),
        ("bar", "Partly covered by a bar", "centre row of the bar"),
    ]
    assert sweeps["rotation"].labels()[5:8] == ["-15°", "0°", "+15°"]
    assert sweeps["shift"].labels()[3:6] == ["-2 px", "as drawn", "+2 px"]
    assert sweeps["thickness"].labels() == ["-2 px", "-1 px", "as drawn", "+1 px", "+2 px", "+3 px"]
    assert sweeps["bar"].labels() == ["no bar", "row 6", "row 10", "row 14", "row 18", "row 22"]


def test_the_bar_is_bar_height_rows_centred_on_its_row():
    image = lopsided()
    covered = explore.cover(image, 14)
    assert np.flatnonzero(covered.sum(axis=1) == 0).tolist() == [12, 13, 14, 15]  # BAR_HEIGHT = 4 rows
    np.testing.assert_array_equal(
        np.delete(covered, [12, 13, 14, 15], axis=0), np.delete(image, [12, 13, 14, 15], axis=0)
    )


def test_any_turn_but_zero_moves_the_ink():
    image = lopsided()
    np.testing.assert_array_equal(explore.rotate(image, 0), image)
    assert not np.array_equal(explore.rotate(image, 1), image)


def test_variants_are_float32_network_inputs_in_0_to_1_whatever_they_are_given():
    loud = stroke().astype(np.float64) * 1.5 - 0.25  # outside [0, 1], in float64
    for sweep in explore.variants(loud):
        assert sweep.images.dtype == np.float32, sweep.name
        assert sweep.images.min() >= 0.0 and sweep.images.max() <= 1.0, sweep.name
        assert sweep.images.max() == 1.0, sweep.name  # clipped, not rescaled


def test_explore_asks_for_the_samples_and_seed_it_is_given_and_seed_0_by_default():
    calls = []

    class Recording(InkModel):
        def predict(self, images, num_samples=1, seed=None):
            calls.append((self.kind, num_samples, seed))
            return super().predict(images, num_samples, seed)

    sampled, deterministic = Recording("bayesian", num_samples=7), Recording("deterministic", num_samples=1)
    assert explore.explore(sampled, deterministic, stroke(), num_samples=7, seed=5).num_samples == 7
    assert explore.explore(sampled, deterministic, stroke(), num_samples=7).num_samples == 7
    assert calls == [("bayesian", 7, 5), ("deterministic", 1, None), ("bayesian", 7, 0), ("deterministic", 1, None)]
