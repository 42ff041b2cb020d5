"""The words of the "Inside the model" tab and docs/results/insight.md's tables, from stored numbers."""

from __future__ import annotations

from helpers.insight import synthetic_insight

from bnn.config import Config
from bnn.figures import captions
from bnn.model.card import ModelCard


def test_readings_quote_the_measured_numbers():
    data = synthetic_insight()
    lines = captions.chart_captions("mlp", data)
    assert set(lines) == {"reliability", "coverage", "ood", "rotation", "weights", "pruning", "training", "convergence"}
    assert "from 98.00 % to 81.00 %" in lines["pruning"] and "from 99.00 % to 42.00 %" in lines["pruning"]
    assert "Pruning 95 %" in lines["pruning"]
    assert "0.9500" in lines["ood"] and "0.8000" in lines["ood"]
    mark = data["coverage"]["thresholds"][0]
    assert f"{100 * mark['coverage']:.1f} %" in lines["coverage"]
    assert f"{data['convergence']['bayesian']['nll']['mean'][0]:.3f}" in lines["convergence"]
    assert "hidden" in lines["weights"] and "logits" in lines["weights"]
    assert "python -m bnn evaluate --arch mlp" in lines["reliability"]
    assert "python -m bnn train --arch mlp" in lines["training"]  # the cards record no history yet


def test_readings_without_an_insight_name_the_command():
    lines = captions.chart_captions("conv", None)
    assert lines["pruning"] == lines["coverage"] and "python -m bnn insight --arch conv" in lines["pruning"]


def test_readings_from_a_report_a_shift_report_and_cards_with_history():
    report = {"test_size": 100, "models": {"bayesian": {"ece": 0.0114}, "deterministic": {"ece": 0.0023}}}
    rows = [
        {
            "corruption": "clean",
            "severity": "none",
            "network": "conv-bayesian",
            "accuracy": 0.99,
            "mean_mutual_information": 0.01,
        },
        {
            "corruption": "clean",
            "severity": "none",
            "network": "conv-deterministic",
            "accuracy": 0.99,
            "mean_mutual_information": 0.0,
        },
    ]
    for angle, accuracy in ((-90, 0.3), (45, 0.9), (90, 0.35)):
        for kind in ("bayesian", "deterministic"):
            row = {"corruption": "rotation", "severity": angle, "network": f"conv-{kind}", "accuracy": accuracy}
            rows.append({**row, "mean_mutual_information": 0.2 if kind == "bayesian" else 0.0})
    history = {
        "nll": [0.5, 0.2, 0.1],
        "kl": [0.9, 0.5, 0.4],
        "val_nll": [0.3, 0.1, 0.2],
        "val_accuracy": [0.9, 0.97, 0.96],
    }
    cards = {
        "bayesian": ModelCard.from_dict(
            {"architecture": {"kind": "bayesian", "arch": "conv"}, "training": {"history": history}}
        ),
        "deterministic": ModelCard.untrained(Config(kind="deterministic", arch="conv")),
    }
    lines = captions.chart_captions("conv", None, report, {"rows": rows}, cards)
    assert (
        "1.14 %" in lines["reliability"]
        and "0.23 %" in lines["reliability"]
        and "deterministic network" in lines["reliability"]
    )
    assert lines["rotation"].startswith("Turned 90 degrees") and "35 %" in lines["rotation"]
    assert "from 0.010 to 0.200" in lines["rotation"]
    assert "epoch 2 (0.1000 nats" in lines["training"] and "0.900 to 0.400" in lines["training"]
