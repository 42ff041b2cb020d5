"""Scores of a prediction: accuracy, NLL, Brier, ECE and coverage on labelled digits, AUROC against
out-of-distribution images, and the "not sure" thresholds chosen on validation digits."""

from __future__ import annotations

import numpy as np

from bnn.config import FLAGGED_FRACTION
from bnn.model import uncertainty
from bnn.model.predict import Prediction

ECE_BINS = 15  # equal-width confidence bins, as Guo et al. 2017 use for ECE
COVERAGE = 0.95  # accuracy on this share of the most certain images: one fixed point, comparable across networks


def prediction_metrics(prediction: Prediction, labels: np.ndarray) -> dict[str, float]:
    """Accuracy, NLL (nats), Brier score, ECE and accuracy on the 95 % most certain images."""
    probs = prediction.mean_probs
    return {
        "accuracy": uncertainty.accuracy(probs, labels),
        "nll": uncertainty.negative_log_likelihood(probs, labels),
        "brier": uncertainty.brier_score(probs, labels),
        "ece": uncertainty.expected_calibration_error(probs, labels, ECE_BINS),
        "accuracy_at_95_coverage": uncertainty.accuracy_at_coverage(
            probs, labels, prediction.predictive_entropy, COVERAGE
        ),
    }


def ood_metrics(in_distribution: Prediction, out_of_distribution: Prediction, sampled: bool) -> dict:
    """AUROC of telling OOD images from test digits by each uncertainty score (higher = more OOD).

    ``sampled``: the predictions come from several sampled networks (``config.answers_with_samples``), so the mutual
    information is scored too.
    """
    scores = {
        "entropy": lambda p: p.predictive_entropy,
        "max_probability": lambda p: -p.probability,
    }
    if sampled:  # a deterministic network's mutual information is identically zero
        scores["mutual_information"] = lambda p: p.mutual_information
    result = {
        f"ood_auroc_{name}": uncertainty.auroc(score(in_distribution), score(out_of_distribution))
        for name, score in scores.items()
    }
    if not sampled:
        result["ood_auroc_mutual_information"] = None
    return result


def uncertainty_thresholds(prediction: Prediction, labels: np.ndarray) -> dict:
    """Thresholds above which the app says "not sure", chosen on validation images.

    Each threshold is the (1 - FLAGGED_FRACTION) quantile of a score on validation digits, so it
    flags the 5 % least certain validation digits; we record how many of the errors that catches.
    """
    wrong = prediction.label != labels
    result = {
        "rule": f"{1 - FLAGGED_FRACTION:.2f} quantile on the validation set",
        "flagged_fraction": FLAGGED_FRACTION,
    }
    scores = {"predictive_entropy": prediction.predictive_entropy}
    if prediction.num_samples > 1:
        scores["epistemic"] = prediction.mutual_information
    for name, score in scores.items():
        threshold = float(np.quantile(score, 1 - FLAGGED_FRACTION))
        result[name] = threshold
        result[f"{name}_errors_caught"] = float(np.mean(score[wrong] > threshold)) if wrong.any() else None
    return result
