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
