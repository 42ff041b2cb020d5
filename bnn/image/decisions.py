"""The fitted decisions of `segment`: a logistic regression on a few numbers about some ink says one digit or two.

Segmentation asks two questions it cannot answer from geometry alone: is a group that may be one wide digit two
touching digits (`segment.CutEvidence`), and are two neighbours two digits or one (`segment.MergeEvidence`)? Each is
an L2-penalised logistic regression on the evidence, with one-digit examples weighted more than two-digit ones (a
digit cut in two, or two digits joined, is a wrong number; single digits are what people write most). It is fitted
on MNIST's training split by ``python -m scripts.fit_cut_decision`` / ``scripts.fit_merge_decision`` and shipped as
JSON (``assets/cut-decision.json``, ``assets/merge-decision.json``)::

    decision = fit(inputs, targets, single_weight=4.0, feature_names=names)   # inputs (N, F), targets (N,) 0 / 1
    decision.says_two(evidence.features())                                   # one (F,) example -> bool
    decision = read_decision(path, names)                                    # the shipped one, checked
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

L2 = 0.01  # penalty on the coefficients of the standardised features: keeps a separable fit finite
FOLDS = 5  # cross-validation folds for the out-of-fold decisions
SPLIT = "MNIST training digits (55,000); validation and test digits never used"


@dataclass(frozen=True, eq=False)
class LogisticDecision:
    """Two digits where ``inputs @ coefficients + intercept > 0``, on the raw (unstandardised) features."""

    feature_names: tuple[str, ...]
    coefficients: np.ndarray  # (F,) float64
    intercept: float

    def logit(self, inputs: np.ndarray) -> np.ndarray:
        """The log-odds of two digits: (F,) features -> a scalar, (N, F) -> (N,)."""
        return inputs @ self.coefficients + self.intercept

    def says_two(self, features: np.ndarray) -> bool:
        """The decision on one example's (F,) features."""
        return float(self.logit(features)) > 0.0

    def record(self) -> dict:
        """The JSON fields :func:`read_decision` reads back: features, coefficients, intercept."""
        names, coefficients = list(self.feature_names), self.coefficients.tolist()
        return {"features": names, "coefficients": coefficients, "intercept": self.intercept}


@cache
def read_decision(path: Path, feature_names: tuple[str, ...]) -> LogisticDecision:
    """The decision written at ``path`` (read once), refused when it was fitted on other features."""
    fitted = json.loads(path.read_text())
    if tuple(fitted["features"]) != feature_names:
        raise ValueError(f"{path} was fitted on {fitted['features']}, not {list(feature_names)}")
    return LogisticDecision(feature_names, np.array(fitted["coefficients"], np.float64), float(fitted["intercept"]))


def fit(
    inputs: np.ndarray, targets: np.ndarray, single_weight: float, feature_names: tuple[str, ...] = ()
) -> LogisticDecision:
    """Weighted, L2-penalised logistic regression (maximum likelihood with scipy's L-BFGS-B on standardised features).

    ``inputs``: (N, F) features; ``targets``: (N,) 1 for two digits, 0 for one; each one-digit example counts
    ``single_weight`` times, each two-digit example once. The coefficients come back on the raw features.
    """
    from scipy.optimize import minimize  # here: segmenting reads a decision, only the fitting scripts fit one

    mean, scale = inputs.mean(axis=0), inputs.std(axis=0)
    design = np.c_[(inputs - mean) / scale, np.ones(len(inputs))]
    weights = np.where(targets == 0, single_weight, 1.0)

    def loss(beta: np.ndarray) -> float:
        z = design @ beta
        return float(np.sum(weights * (np.logaddexp(0, z) - targets * z)) + L2 * beta[:-1] @ beta[:-1])

    beta = minimize(loss, np.zeros(design.shape[1]), method="L-BFGS-B").x
    coefficients = beta[:-1] / scale
    return LogisticDecision(tuple(feature_names), coefficients, float(beta[-1] - coefficients @ mean))


def out_of_fold(inputs: np.ndarray, targets: np.ndarray, seed: int, single_weight: float) -> np.ndarray:
    """(N,) bool: whether each example is said to be two digits by the decision fitted on the other FOLDS - 1 folds
    (folds drawn at random with ``seed``)."""
    fold = np.random.default_rng(seed).integers(0, FOLDS, len(targets))
    two = np.zeros(len(targets), bool)
    for k in range(FOLDS):
        decision = fit(inputs[fold != k], targets[fold != k], single_weight)
        two[fold == k] = decision.logit(inputs[fold == k]) > 0
    return two


def largest_weight_no_worse(
    counts: dict[float, dict[str, int]],
    before: dict[str, int],
    default: float,
    at_most: tuple[str, ...] = (),
    at_least: tuple[str, ...] = (),
) -> float:
    """The largest weight whose counts are no worse than ``before``'s: no more of each ``at_most`` count (mistakes),
    no fewer of each ``at_least`` count (right answers); ``default`` when none is."""
    no_worse = [
        weight
        for weight, found in counts.items()
        if all(found[key] <= before[key] for key in at_most) and all(found[key] >= before[key] for key in at_least)
    ]
    return max(no_worse, default=default)


def decision_report(
    decision: LogisticDecision,
    network: str,
    weights_sha256: str,
    examples: dict[str, int],
    single_weight: float,
    seed: int,
) -> dict:
    """The head of a fitted decision's JSON: its features and coefficients, the network whose readings it was fitted
    on (name and weights' sha256), and how (``examples``: the counts the script drew, the weight, L2, the seed)."""
    fitted_on = {"split": SPLIT, **examples, "single_weight": single_weight, "l2": L2, "seed": seed}
    return {**decision.record(), "network": network, "weights_sha256": weights_sha256, "fitted_on": fitted_on}
