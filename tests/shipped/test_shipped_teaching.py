"""assets/teaching.json (python -m bnn teaching): a lesson recomputed from the shipped networks gives the committed
scores, and the targets of teaching, met or missed (strict xfails, so meeting one shows up)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import ROOT

import bnn
from bnn.evaluation import teaching

REPORT = json.loads((ROOT / "assets" / "teaching.json").read_text())
SUMMARY = teaching.summary(REPORT)
LEARNING_STYLES = (teaching.OPTICAL, teaching.BINARY_CROP)  # styles the networks read badly untaught
ERROR_LEFT = {"10": 0.5, "5": 2 / 3}  # k -> the largest share of the untaught error allowed to remain
MISSED = {  # measured, docs/results/teaching.md
    (teaching.OPTICAL, "10"): "0.61 of the error remains",
    (teaching.OPTICAL, "5"): "0.69 of the error remains",
    (teaching.BINARY_CROP, "10"): "0.67 of the error remains",
    (teaching.BINARY_CROP, "5"): "0.72 of the error remains",
}
LEARNING = [
    pytest.param(style, k, marks=pytest.mark.xfail(strict=True, reason=MISSED[style, k]))
    if (style, k) in MISSED
    else (style, k)
    for style in LEARNING_STYLES
    for k in ERROR_LEFT
]
EVERY_K = [(style, k) for style in SUMMARY for k in SUMMARY[style]["bayesian"]]


@pytest.mark.parametrize(("style", "k"), LEARNING)
def test_the_variational_network_learns_a_new_style(style, k):
    assert SUMMARY[style]["bayesian"][k]["error_ratio"] <= ERROR_LEFT[k]


@pytest.mark.parametrize(("style", "k"), EVERY_K)
def test_teaching_costs_the_variational_network_at_most_0_3_mnist_points_and_less_than_its_twin(style, k):
    bayesian, twin = SUMMARY[style]["bayesian"][k], SUMMARY[style]["deterministic"][k]
    assert bayesian["mnist_fall"] <= 0.003 and bayesian["mnist_fall"] < twin["mnist_fall"]


@pytest.mark.parametrize(("style", "k"), EVERY_K)
def test_teaching_keeps_the_variational_network_unsure_of_fashion_items(style, k):
    assert SUMMARY[style]["bayesian"][k]["ood_auroc_mutual_information"] >= 0.995


@pytest.mark.slow
def test_a_lesson_recomputed_from_the_shipped_networks_gives_the_committed_scores():
    style = teaching.optical_digits()
    k, draw, seed = 1, 0, REPORT["seed"]
    rng = np.random.default_rng([seed, k, draw])
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(style.labels == digit), k, replace=False) for digit in range(10)]
    )
    rest = np.setdiff1d(np.arange(len(style.labels)), chosen)
    for kind in ("bayesian", "deterministic"):
        taught = bnn.teach(bnn.load_model(kind, "mlp"), style.images[chosen], style.labels[chosen], seed=seed + draw)
        probs = taught.predict(style.images[rest], REPORT["num_samples"], seed=seed).mean_probs
        committed = REPORT["styles"][teaching.OPTICAL]["networks"][kind][str(k)]["accuracy"][draw]
        assert float(np.mean(probs.argmax(axis=1) == style.labels[rest])) == pytest.approx(
            committed, abs=1.5 / len(rest)
        )
