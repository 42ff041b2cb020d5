import json

import numpy as np
import pytest
from helpers.networks import tiny_config, untrained_model

from bnn import config, figures
from bnn.data import Dataset
from bnn.evaluation import corruptions
from bnn.evaluation import report as evaluate
from bnn.evaluation.insight import weight_posterior
from bnn.figures import tables
from bnn.model import metrics
from bnn.model import networks as models
from bnn.model import weights as assets
from bnn.model.predict import Prediction


def _prediction(samples):
    return Prediction(np.asarray(samples, dtype=np.float32))


def test_prediction_metrics_on_a_known_prediction():
    # (T=2, N=2, K=2): image 0 is right and sure (mean 0.9), image 1 wrong and unsure (mean [0.4, 0.6]).
    samples = [[[0.9, 0.1], [0.6, 0.4]], [[0.9, 0.1], [0.2, 0.8]]]
    scores = metrics.prediction_metrics(_prediction(samples), np.array([0, 0]))
    assert scores["accuracy"] == 0.5
    assert scores["nll"] == pytest.approx(-(np.log(0.9) + np.log(0.4)) / 2)
    assert scores["accuracy_at_95_coverage"] == 0.5  # ceil(0.95 * 2) = 2 images kept
    assert set(scores) == {"accuracy", "nll", "brier", "ece", "accuracy_at_95_coverage"}


def test_ood_metrics_separate_sure_from_unsure_inputs():
    sure = _prediction([[[0.99, 0.01]] * 3, [[0.98, 0.02]] * 3])
    disagreeing = _prediction([[[0.9, 0.1]] * 3, [[0.1, 0.9]] * 3])
    result = metrics.ood_metrics(sure, disagreeing, sampled=True)
    assert result["ood_auroc_entropy"] == 1.0 and result["ood_auroc_mutual_information"] == 1.0
    assert metrics.ood_metrics(sure, disagreeing, sampled=False)["ood_auroc_mutual_information"] is None


def test_thresholds_flag_five_percent_of_validation_digits():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(10, 0.3), size=(20, 1000)).astype(np.float32)
    prediction = _prediction(probs)
    labels = rng.integers(0, 10, 1000)
    thresholds = metrics.uncertainty_thresholds(prediction, labels)
    for name, score in (
        ("predictive_entropy", prediction.predictive_entropy),
        ("epistemic", prediction.mutual_information),
    ):
        assert np.mean(score > thresholds[name]) == pytest.approx(0.05, abs=0.002)


def test_errors_caught_is_the_share_of_wrong_answers_above_the_threshold():
    """40 digits, each less sure than the one before and its samples further apart; two are read wrong: the most
    uncertain (above the 0.95 quantile: caught) and the surest (missed). Half the errors are caught, by each score."""
    top = np.linspace(0.99, 0.6, 40)
    spread = np.linspace(0.0, 0.3, 40)
    samples = np.zeros((2, 40, 10))
    samples[:, :, 0] = top[None] + np.array([-1, 1])[:, None] * spread[None] / 2
    samples[:, :, 1:] = ((1 - samples[:, :, 0]) / 9)[..., None]
    prediction = _prediction(samples.astype(np.float32))
    labels = np.zeros(40, int)
    labels[[0, 39]] = 1  # the surest and the least sure are wrong
    thresholds = metrics.uncertainty_thresholds(prediction, labels)
    assert thresholds["predictive_entropy_errors_caught"] == 0.5
    assert thresholds["epistemic_errors_caught"] == 0.5
    labels[0] = 0  # only the least sure is wrong: every error caught
    assert metrics.uncertainty_thresholds(prediction, labels)["epistemic_errors_caught"] == 1.0
    labels[39] = 0  # no errors: nothing to catch
    assert metrics.uncertainty_thresholds(prediction, labels)["predictive_entropy_errors_caught"] is None


def test_report_has_the_documented_shape_and_prints_a_table():
    rng = np.random.default_rng(0)
    test = Dataset(rng.random((50, 28, 28)).astype(np.float32), rng.integers(0, 10, 50))
    ood = Dataset(rng.random((30, 28, 28)).astype(np.float32), rng.integers(0, 10, 30))
    twins = [untrained_model(tiny_config(kind=kind), num_train=100) for kind in ("bayesian", "deterministic")]
    report = evaluate.build_report(twins, test, ood, num_samples=4)
    assert report["num_samples"] == 4 and report["test_size"] == 50
    assert set(report["models"]) == {"bayesian", "deterministic"}
    keys = {
        "accuracy",
        "nll",
        "brier",
        "ece",
        "ood_auroc_entropy",
        "ood_auroc_mutual_information",
        "accuracy_at_95_coverage",
        "ood_auroc_max_probability",
        "reliability",
    }
    assert keys <= set(report["models"]["bayesian"]) and keys <= set(report["models"]["deterministic"])
    assert report["models"]["deterministic"]["num_samples"] == 1
    table = tables.format_table(report)
    assert "bayesian" in table and "OOD AUROC, mutual information" in table
    figure = figures.reliability_figure(report)
    assert len(figure.data) == 3  # the diagonal and one curve per model
    weights = figures.weight_posterior_figure(
        {"bayesian": weight_posterior(models.posterior_parameters(twins[0].network))}
    )
    assert len(weights.data) == 2 * 3  # means, stds and signal-to-noise ratios of two layers


def test_round_trip_reports_accuracy_after_preprocessing_at_each_size(mnist):
    test = Dataset(mnist.test.images[:40], mnist.test.labels[:40])
    model = untrained_model(tiny_config(kind="deterministic"), num_train=100)
    report = evaluate.build_report([model], test, None, num_samples=1, round_trip=True)
    assert set(report["round_trip"]) == {f"{size}px" for size in evaluate.ROUND_TRIP_SIZES}
    assert report["round_trip"]["28px"]["mean_abs_pixel_change"] < 0.02
    for size in evaluate.ROUND_TRIP_SIZES:
        assert 0 <= report["models"]["deterministic"][f"round_trip_accuracy_{size}px"] <= 1
    assert "accuracy, preprocessed at 280 px" in tables.format_table(report)
    assert "round_trip" not in evaluate.build_report([model], test, None, num_samples=1)


def test_the_methods_table_compares_every_kind_on_the_same_rows():
    folder = config.ASSETS_DIR
    report = json.loads((folder / "report.json").read_text())
    shift_report = json.loads((folder / "shift.json").read_text())
    cards = {kind: assets.read_card(folder, f"mlp-{kind}") for kind in report["models"]}
    table = tables.format_methods_table(report, shift_report, cards, {"bayesian": 5.25}).splitlines()
    assert table[0] == "| | " + " | ".join(report["models"]) + " |"
    rows = {line.split(" | ")[0].lstrip("| "): line.rstrip(" |").split(" | ")[1:] for line in table[2:]}
    assert rows["test accuracy"] == [f"{report['models'][kind]['accuracy']:.4f}" for kind in report["models"]]
    assert rows["one image, T = 100 (ms, median)"][0] == "5.2" and rows["one image, T = 100 (ms, median)"][1] == "-"
    lowest = [int(count) for count in rows[f"shift: rows with the lowest NLL of the {len(report['models'])}"]]
    assert sum(lowest) == len(corruptions.CORRUPTIONS) - 1  # every corrupted row has one winner; "clean" is not counted
