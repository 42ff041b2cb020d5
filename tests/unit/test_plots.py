"""Plotly figures built from a Prediction: the numbers drawn are the Prediction's numbers."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.tools
import pytest
from helpers.insight import synthetic_insight

from bnn import figures
from bnn.evaluation.insight import weight_posterior
from bnn.model.card import ModelCard
from bnn.model.predict import Prediction
from bnn.reading import whatif as explore
from bnn.reading.verdict import Thresholds


def random_prediction(num_samples: int = 50, num_images: int = 2, seed: int = 0) -> Prediction:
    """T sampled class distributions per image, as a Bayesian network would give (Dirichlet draws)."""
    rng = np.random.default_rng(seed)
    concentration = rng.uniform(0.2, 3.0, size=(num_images, 10))
    return Prediction(np.stack([rng.dirichlet(row, size=num_samples) for row in concentration], axis=1))


BAYESIAN = random_prediction()
DETERMINISTIC = Prediction(random_prediction(num_samples=1, seed=1).samples)


@pytest.mark.parametrize("index", [0, 1])
def test_votes_figure_counts_each_sample_once(index):
    figure = figures.votes_figure(BAYESIAN, index)
    (bars,) = figure.data
    np.testing.assert_array_equal(bars.y, BAYESIAN.votes[index])
    assert list(bars.x) == list(range(10)) and sum(bars.y) == BAYESIAN.num_samples
    assert f"T = {BAYESIAN.num_samples} " in figure.layout.title.text


def test_sampled_probabilities_boxes_are_the_quartiles_of_the_samples():
    figure = figures.sampled_probabilities_figure(BAYESIAN, index=1)
    (box,) = figure.data
    probabilities = BAYESIAN.samples[:, 1, :]
    np.testing.assert_allclose(box.median, np.median(probabilities, axis=0), rtol=1e-5)
    np.testing.assert_allclose(box.q1, np.percentile(probabilities, 25, axis=0), rtol=1e-5)
    np.testing.assert_allclose(box.upperfence, probabilities.max(axis=0), rtol=1e-5)
    np.testing.assert_allclose(box.mean, BAYESIAN.mean_probs[1], rtol=1e-5)


def test_sampled_probabilities_figure_does_not_grow_with_t():
    small = figures.sampled_probabilities_figure(random_prediction(num_samples=10)).to_json()
    large = figures.sampled_probabilities_figure(random_prediction(num_samples=1000)).to_json()
    assert len(large) < 1.5 * len(small)  # the browser gets ten boxes, not T x 10 points


def test_uncertainty_split_stacks_aleatoric_and_epistemic_into_the_total():
    thresholds = Thresholds(predictive_entropy=0.5, mutual_information=0.3)
    figure = figures.uncertainty_figure(BAYESIAN, thresholds, index=0)
    assert figure.layout.barmode == "stack"
    bars = {trace.name.split()[0]: trace for trace in figure.data if isinstance(trace, go.Bar)}
    assert set(bars) == {"aleatoric", "epistemic"}
    total = sum(trace.x[list(trace.y).index("total")] for trace in bars.values())
    assert total == pytest.approx(float(BAYESIAN.predictive_entropy[0]), abs=1e-5)
    assert bars["aleatoric"].x[0] == pytest.approx(float(BAYESIAN.expected_entropy[0]), abs=1e-6)
    assert bars["epistemic"].x[0] == pytest.approx(float(BAYESIAN.mutual_information[0]), abs=1e-6)
    (marks,) = [trace for trace in figure.data if isinstance(trace, go.Scatter)]
    assert dict(zip(marks.y, marks.x, strict=True)) == {"total": 0.5, "epistemic": 0.3}


def test_uncertainty_split_without_thresholds_has_no_markers():
    figure = figures.uncertainty_figure(BAYESIAN)
    assert not [trace for trace in figure.data if isinstance(trace, go.Scatter)]
    partial = figures.uncertainty_figure(BAYESIAN, Thresholds(predictive_entropy=0.4))
    (marks,) = [trace for trace in partial.data if isinstance(trace, go.Scatter)]
    assert list(marks.y) == ["total"]


def test_softmax_comparison_puts_the_deterministic_bars_beside_the_bayesian_mean():
    figure = figures.softmax_comparison_figure(BAYESIAN, DETERMINISTIC, "Bayesian", index=1)
    bayesian, deterministic = figure.data
    assert figure.layout.barmode == "group"
    np.testing.assert_allclose(bayesian.y, BAYESIAN.mean_probs[1], rtol=1e-6)
    np.testing.assert_allclose(deterministic.y, DETERMINISTIC.mean_probs[1], rtol=1e-6)
    lower, upper = np.percentile(BAYESIAN.samples[:, 1, :], figures.INTERVAL, axis=0)
    np.testing.assert_allclose(bayesian.y + bayesian.error_y.array, np.maximum(upper, bayesian.y), atol=1e-6)
    np.testing.assert_allclose(bayesian.y - bayesian.error_y.arrayminus, np.minimum(lower, bayesian.y), atol=1e-6)
    assert "deterministic" in deterministic.name and "Bayesian" in bayesian.name


def answered_exploration(num_samples: int = 20) -> explore.Exploration:
    """What if? on a thick bar of ink (none of its variants blank), with random answers of the right shapes."""
    rng = np.random.default_rng(0)

    def answers(sweep: explore.Sweep) -> explore.SweepAnswers:
        steps = len(sweep.values)
        digits, probabilities = rng.integers(0, 10, size=(2, steps)), rng.uniform(0.1, 1.0, size=(2, steps))
        entropy = rng.uniform(0, 2, size=steps)
        return explore.SweepAnswers(
            sweep, digits[0], probabilities[0], entropy, entropy / 2, digits[1], probabilities[1]
        )

    image = np.zeros((28, 28), np.float32)
    image[4:24, 10:18] = 1.0
    sweeps = explore.variants(image)
    return explore.Exploration(tuple(answers(sweep) for sweep in sweeps), num_samples)


def doubtful_reading():
    """A three-digit number read by T = 50 random samples: much doubt, many different readings."""
    from bnn.image.segment import Segmentation
    from bnn.reading.number import NumberReading

    rng = np.random.default_rng(0)
    samples = rng.dirichlet(np.full(10, 0.3), size=(50, 3)).astype(np.float32)  # (T, 3 digits, 10)
    segmentation = Segmentation(np.zeros((4, 4)), np.zeros((4, 4), int), ((0, 0, 1, 1),) * 3, np.zeros((3, 28, 28)))
    return NumberReading(segmentation, Prediction(samples), Thresholds())


PER_ANSWER_FIGURES = {  # the figures built on every stroke: one result's four, and What if?'s chart
    "votes": lambda: figures.votes_figure(BAYESIAN),
    "spread": lambda: figures.sampled_probabilities_figure(BAYESIAN),
    "split": lambda: figures.uncertainty_figure(BAYESIAN, Thresholds(0.5, 0.3)),
    "split-without-thresholds": lambda: figures.uncertainty_figure(BAYESIAN),
    "compare": lambda: figures.softmax_comparison_figure(BAYESIAN, DETERMINISTIC, "Bayesian"),
    "what-if": lambda: figures.exploration_figure(answered_exploration(), "Bayesian"),
    "number": lambda: figures.number_readings_figure(doubtful_reading(), shown=4),
}


def as_sent(figure: go.Figure) -> dict:
    """The figure's JSON as the browser gets it, with Plotly's base64 typed arrays read back into lists (validation
    turns lists of numbers into arrays, which are sent that way), and every number as a float32: orjson writes a
    float32 with the fewest digits that give it back, the typed arrays hold it exactly."""

    def decoded(value):
        if isinstance(value, dict) and "bdata" in value:
            return decoded(np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist())
        if isinstance(value, dict):
            return {key: decoded(item) for key, item in value.items()}
        if isinstance(value, list):
            return [decoded(item) for item in value]
        return float(np.float32(value)) if isinstance(value, float) else value

    return decoded(json.loads(figure.to_json()))  # what st.plotly_chart sends


@pytest.mark.parametrize("name", PER_ANSWER_FIGURES)
def test_per_answer_figures_skip_validation_which_would_change_nothing(name):
    figure = PER_ANSWER_FIGURES[name]()
    assert isinstance(figure, figures.PlainFigure) and figure._checked is None  # built as a plain spec
    sent = plotly.tools.return_figure_from_figure_or_data(figure, validate_figure=True)  # st.plotly_chart's first step
    assert sent is figure.to_dict() and figure._checked is None  # taken as it is: no go.Figure built, nothing copied
    validated = go.Figure(figure.to_plotly_json())  # raises on any property Plotly does not know
    assert as_sent(figure) == as_sent(validated)


def test_report_figures_still_work():
    bins = {"confidence": [0.5, 0.9], "accuracy": [0.4, 0.95], "count": [10, 90]}
    report = {"test_size": 100, "num_samples": 10, "models": {"bayesian": {"ece": 0.01, "reliability": bins}}}
    assert len(figures.reliability_figure(report).data) == 2
    layer = {"name": "dense", "kernel_mean": np.zeros((4, 3)), "kernel_std": np.ones((4, 3))}
    weights = weight_posterior([layer, {**layer, "name": "logits"}])
    assert len(figures.weight_posterior_figure({"bayesian": weights}).data) == 2 * 3  # mean, std and SNR per layer


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

    figure = figures.rotation_figure(report)

    assert len(figure.data) == 2 * len(networks)  # an accuracy and a mutual-information line per network
    traces = {(trace.name, trace.xaxis): trace for trace in figure.data}
    accuracy = traces[("conv-bayesian", "x")]
    assert list(accuracy.x) == [-30, 0, 30, 90]  # sorted, with the clean row at 0 degrees
    np.testing.assert_allclose(accuracy.y, [0.7, 0.98, 0.7, 0.1])
    np.testing.assert_allclose(traces[("mlp-bayesian", "x2")].y, [0.3, 0.02, 0.3, 0.9])
    assert list(traces[("mlp-deterministic", "x2")].y) == [0.0] * 4
    assert [trace.showlegend for trace in figure.data].count(True) == len(networks)
    assert accuracy.line.color == figures.MODEL_COLOURS["bayesian"] and accuracy.line.dash == "dash"
    assert figure.to_json()


def test_rotation_figure_keeps_one_architecture_when_asked():
    rows = [shift_row("clean", "none", network, 0.98) for network in ("mlp-bayesian", "conv-bayesian")]
    rows += [shift_row("rotation", 45, network, 0.9) for network in ("mlp-bayesian", "conv-bayesian")]
    report = {"num_images": 20, "num_samples": 5, "rows": rows}
    assert {trace.name for trace in figures.rotation_figure(report, arch="conv").data} == {"conv-bayesian"}
    assert len(figures.rotation_figure(report).data) == 4


# --- the "Inside the model" tab: figures from an insight JSON -------------------------------------------------

INSIGHT = synthetic_insight()  # built by bnn.evaluation.insight from synthetic predictions


def test_coverage_figure_draws_each_ranking_and_the_threshold_cuts():
    figure = figures.coverage_figure(INSIGHT)
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    marks = [trace for trace in figure.data if trace.mode == "markers"]
    assert len(lines) == 3 and len(marks) == len(INSIGHT["coverage"]["thresholds"]) == 2
    assert lines[0].x[-1] == 100 and lines[0].y[-1] == pytest.approx(INSIGHT["accuracy"]["bayesian"])
    assert lines[2].line.color == figures.MODEL_COLOURS["deterministic"] and "max probability" in lines[2].name
    assert lines[1].line.dash == "dot"  # mutual information
    mark = INSIGHT["coverage"]["thresholds"][0]
    assert marks[0].x == (100 * mark["coverage"],) and marks[0].y == (mark["accuracy"],)
    assert figure.layout.title.text


def test_ood_histogram_figure_has_auroc_in_the_legend_and_every_image():
    figure = figures.ood_histogram_figure(INSIGHT)
    assert len(figure.data) == 2 * len(INSIGHT["ood"]["histograms"])  # MNIST and Fashion-MNIST per histogram
    names = [trace.name for trace in figure.data]
    assert any("AUROC 0.9500" in name and "mutual information" in name for name in names)
    assert any("deterministic" in name and "AUROC 0.8000" in name for name in names)
    for trace in figure.data:
        assert sum(count or 0 for count in trace.y[:-1]) in (40, 30)  # step: the last count is repeated
    assert figure.layout.yaxis.type == "log" and figure.layout.title.text
    thresholds = [shape for shape in figure.layout.shapes if shape.line.dash == "dot"]
    assert len(thresholds) == 3  # Bayesian entropy and mutual information, deterministic entropy
    assert figures.ood_histogram_figure({**INSIGHT, "ood": None}) is None


def test_weight_posterior_figure_has_mean_std_and_snr_rows_per_layer():
    figure = figures.weight_posterior_figure(INSIGHT["weights"])
    bayesian = [trace for trace in figure.data if trace.name == "bayesian"]
    deterministic = [trace for trace in figure.data if trace.name == "deterministic"]
    assert len(bayesian) == 2 * 3 and len(deterministic) == 2  # its weights, in the mean row only
    assert sum(bayesian[0].y[:-1]) == INSIGHT["weights"]["bayesian"][0]["num_weights"]
    assert [trace.line.color for trace in deterministic] == [figures.MODEL_COLOURS["deterministic"]] * 2
    assert figure.layout.xaxis3.type == "log" and figure.layout.xaxis5.type == "log"  # std and SNR rows
    assert figure.layout.xaxis.type != "log"
    assert [trace.showlegend for trace in figure.data].count(True) == 2
    only_deterministic = figures.weight_posterior_figure({"deterministic": INSIGHT["weights"]["deterministic"]})
    assert len(only_deterministic.data) == 2


def test_pruning_figure_draws_accuracy_against_the_fraction_pruned():
    figure = figures.pruning_figure(INSIGHT)
    bayesian, deterministic = figure.data
    assert list(bayesian.x) == ["0 %", "50 %", "95 %"] and list(bayesian.y) == [0.98, 0.975, 0.81]
    assert list(deterministic.y) == [0.99, 0.985, 0.42] and "magnitude" in deterministic.name
    assert bayesian.line.color == figures.MODEL_COLOURS["bayesian"] and figure.layout.title.text


def _card(kind: str, training: dict) -> ModelCard:
    return ModelCard.from_dict({"architecture": {"kind": kind, "arch": "mlp"}, "training": training})


def test_training_curves_figure_needs_a_history():
    assert figures.training_curves_figure({"bayesian": _card("bayesian", {}), "deterministic": None}) is None
    history = {"nll": [0.5, 0.2], "kl": [0.9, 0.5], "val_nll": [0.3, 0.1], "val_accuracy": [0.9, 0.97]}
    plain = {**history, "kl": [0.0, 0.0]}
    cards = {
        "bayesian": _card("bayesian", {"history": history}),
        "deterministic": _card("deterministic", {"history": plain}),
    }
    figure = figures.training_curves_figure(cards)
    assert len(figure.data) == 4 + 3  # nll, val_nll, kl, val_accuracy; the deterministic net has no KL
    kl = [trace for trace in figure.data if trace.xaxis == "x2"]
    assert len(kl) == 1 and list(kl[0].y) == [0.9, 0.5] and list(kl[0].x) == [1, 2]
    assert {trace.name for trace in figure.data if trace.showlegend} == {
        "bayesian, training",
        "bayesian, validation",
        "deterministic, training",
        "deterministic, validation",
    }
    assert figure.layout.title.text


def test_convergence_figure_has_error_bars_and_the_deterministic_reference():
    figure = figures.convergence_figure(INSIGHT)
    bayesian = [trace for trace in figure.data if trace.name.startswith("bayesian")]
    deterministic = [trace for trace in figure.data if trace.name.startswith("deterministic")]
    assert len(bayesian) == 3 and len(deterministic) == 2  # no mutual information for the deterministic net
    estimate = INSIGHT["convergence"]["bayesian"]["nll"]
    assert list(bayesian[1].y) == estimate["mean"] and list(bayesian[1].error_y.array) == estimate["std"]
    assert list(bayesian[0].x) == INSIGHT["convergence"]["num_samples"]
    assert figure.layout.xaxis.type == "log" and figure.layout.title.text


def test_number_readings_figure_shows_the_most_frequent_sampled_readings():
    reading = doubtful_reading()
    figure = figures.number_readings_figure(reading, shown=4)
    bar = figure.data[0]
    assert list(bar.x) == [text for text, _ in reading.sampled_readings[:4]]
    assert list(bar.y) == [count for _, count in reading.sampled_readings[:4]]
    assert sum(count for _, count in reading.sampled_readings) == 50 and len(reading.sampled_readings) > 4
    assert reading.sentence(shown=2).endswith(f"read {len(reading.sampled_readings) - 2} other numbers.")
    json.loads(figure.to_json())


def test_plotly_writes_the_charts_json_with_orjson():
    """st.plotly_chart writes every chart's JSON through plotly.io.to_json, on every stroke: with orjson installed
    (requirements.txt) Plotly's "auto" engine uses it, about 5x faster than the json module."""
    import orjson  # noqa: F401  (a runtime requirement)
    import plotly.io as pio

    assert pio.json.config.default_engine in ("auto", "orjson")
    figure = figures.votes_figure(BAYESIAN)
    assert pio.to_json(figure, validate=False, engine="orjson") == pio.to_json(figure, validate=False)
