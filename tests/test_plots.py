"""Plotly figures built from a Prediction: the numbers drawn are the Prediction's numbers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from bnn import plots
from bnn.predict import Prediction
from bnn.verdict import Thresholds


def random_prediction(num_samples: int = 50, num_images: int = 2, seed: int = 0) -> Prediction:
    """T sampled class distributions per image, as a Bayesian network would give (Dirichlet draws)."""
    rng = np.random.default_rng(seed)
    concentration = rng.uniform(0.2, 3.0, size=(num_images, 10))
    return Prediction(np.stack([rng.dirichlet(row, size=num_samples) for row in concentration], axis=1))


BAYESIAN = random_prediction()
DETERMINISTIC = Prediction(random_prediction(num_samples=1, seed=1).samples)


@pytest.mark.parametrize("index", [0, 1])
def test_votes_figure_counts_each_sample_once(index):
    figure = plots.votes_figure(BAYESIAN, index)
    (bars,) = figure.data
    np.testing.assert_array_equal(bars.y, BAYESIAN.votes[index])
    assert list(bars.x) == list(range(10)) and sum(bars.y) == BAYESIAN.num_samples
    assert f"T = {BAYESIAN.num_samples} " in figure.layout.title.text


def test_sampled_probabilities_boxes_are_the_quartiles_of_the_samples():
    figure = plots.sampled_probabilities_figure(BAYESIAN, index=1)
    (box,) = figure.data
    probabilities = BAYESIAN.samples[:, 1, :]
    np.testing.assert_allclose(box.median, np.median(probabilities, axis=0), rtol=1e-5)
    np.testing.assert_allclose(box.q1, np.percentile(probabilities, 25, axis=0), rtol=1e-5)
    np.testing.assert_allclose(box.upperfence, probabilities.max(axis=0), rtol=1e-5)
    np.testing.assert_allclose(box.mean, BAYESIAN.mean_probs[1], rtol=1e-5)


def test_sampled_probabilities_figure_does_not_grow_with_t():
    small = plots.sampled_probabilities_figure(random_prediction(num_samples=10)).to_json()
    large = plots.sampled_probabilities_figure(random_prediction(num_samples=1000)).to_json()
    assert len(large) < 1.5 * len(small)  # the browser gets ten boxes, not T x 10 points


def test_uncertainty_split_stacks_aleatoric_and_epistemic_into_the_total():
    thresholds = Thresholds(predictive_entropy=0.5, epistemic=0.3)
    figure = plots.uncertainty_figure(BAYESIAN, thresholds, index=0)
    assert figure.layout.barmode == "stack"
    bars = {trace.name.split()[0]: trace for trace in figure.data if isinstance(trace, go.Bar)}
    assert set(bars) == {"aleatoric", "epistemic"}
    total = sum(trace.x[list(trace.y).index("total")] for trace in bars.values())
    assert total == pytest.approx(float(BAYESIAN.predictive_entropy[0]), abs=1e-5)
    assert bars["aleatoric"].x[0] == pytest.approx(float(BAYESIAN.aleatoric[0]), abs=1e-6)
    assert bars["epistemic"].x[0] == pytest.approx(float(BAYESIAN.epistemic[0]), abs=1e-6)
    (marks,) = [trace for trace in figure.data if isinstance(trace, go.Scatter)]
    assert dict(zip(marks.y, marks.x, strict=True)) == {"total": 0.5, "epistemic": 0.3}


def test_uncertainty_split_without_thresholds_has_no_markers():
    figure = plots.uncertainty_figure(BAYESIAN)
    assert not [trace for trace in figure.data if isinstance(trace, go.Scatter)]
    partial = plots.uncertainty_figure(BAYESIAN, Thresholds(predictive_entropy=0.4))
    (marks,) = [trace for trace in partial.data if isinstance(trace, go.Scatter)]
    assert list(marks.y) == ["total"]


def test_softmax_comparison_puts_the_deterministic_bars_beside_the_bayesian_mean():
    figure = plots.softmax_comparison_figure(BAYESIAN, DETERMINISTIC, index=1)
    bayesian, deterministic = figure.data
    assert figure.layout.barmode == "group"
    np.testing.assert_allclose(bayesian.y, BAYESIAN.mean_probs[1], rtol=1e-6)
    np.testing.assert_allclose(deterministic.y, DETERMINISTIC.mean_probs[1], rtol=1e-6)
    lower, upper = np.percentile(BAYESIAN.samples[:, 1, :], plots.INTERVAL, axis=0)
    np.testing.assert_allclose(bayesian.y + bayesian.error_y.array, np.maximum(upper, bayesian.y), atol=1e-6)
    np.testing.assert_allclose(bayesian.y - bayesian.error_y.arrayminus, np.minimum(lower, bayesian.y), atol=1e-6)
    assert "deterministic" in deterministic.name and "Bayesian" in bayesian.name


def test_every_figure_serialises_for_the_browser():
    for figure in (
        plots.votes_figure(BAYESIAN),
        plots.sampled_probabilities_figure(BAYESIAN),
        plots.uncertainty_figure(BAYESIAN, Thresholds(0.5, 0.3)),
        plots.softmax_comparison_figure(BAYESIAN, DETERMINISTIC),
    ):
        assert figure.to_json()  # what st.plotly_chart sends


def test_report_figures_still_work():
    bins = {"confidence": [0.5, 0.9], "accuracy": [0.4, 0.95], "count": [10, 90]}
    report = {"test_size": 100, "num_samples": 10, "models": {"bayesian": {"ece": 0.01, "reliability": bins}}}
    assert len(plots.reliability_figure(report).data) == 2
    layer = {"name": "dense", "kernel_mean": np.zeros((4, 3)), "kernel_std": np.ones((4, 3))}
    assert len(plots.weight_posterior_figure([layer, layer]).data) == 4


def shift_row(corruption: str, severity, network: str, accuracy: float) -> dict:
    """One row of a shift report; a Bayesian network's mutual information grows as its accuracy falls."""
    doubt = round(1 - accuracy, 6) if network.endswith("-bayesian") else 0.0
    return {
        "corruption": corruption,
        "severity": severity,
        "network": network,
        "accuracy": accuracy,
        "mean_mutual_information": doubt,
    }


def test_rotation_figure_draws_accuracy_and_mutual_information_against_the_angle():
    networks = ("mlp-bayesian", "mlp-deterministic", "conv-bayesian", "conv-deterministic")
    rows = []
    for network in networks:
        rows.append(shift_row("clean", "none", network, 0.98))
        rows.append(shift_row("shear", 0.3, network, 0.9))  # not a rotation: left out
        rows += [shift_row("rotation", angle, network, 1 - abs(angle) / 100) for angle in (30, -30, 90)]
    report = {"num_images": 20, "num_samples": 5, "networks": list(networks), "rows": rows}

    figure = plots.rotation_figure(report)

    assert len(figure.data) == 2 * len(networks)  # an accuracy and a mutual-information line per network
    traces = {(trace.name, trace.xaxis): trace for trace in figure.data}
    accuracy = traces[("conv-bayesian", "x")]
    assert list(accuracy.x) == [-30, 0, 30, 90]  # sorted, with the clean row at 0 degrees
    np.testing.assert_allclose(accuracy.y, [0.7, 0.98, 0.7, 0.1])
    np.testing.assert_allclose(traces[("mlp-bayesian", "x2")].y, [0.3, 0.02, 0.3, 0.9])
    assert list(traces[("mlp-deterministic", "x2")].y) == [0.0] * 4
    assert [trace.showlegend for trace in figure.data].count(True) == len(networks)
    assert accuracy.line.color == plots.MODEL_COLOURS["bayesian"] and accuracy.line.dash == "dash"
    assert figure.to_json()
