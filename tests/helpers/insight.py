"""Synthetic predictions and a synthetic "Inside the model" dict, built by the real functions."""

from __future__ import annotations

import numpy as np

from bnn.evaluation import insight
from bnn.model import uncertainty
from bnn.model.predict import Prediction


def dirichlet_prediction(num_samples: int, num_images: int, seed: int, spread: float = 2.0) -> Prediction:
    """T sampled class distributions per image (Dirichlet draws around a per-image mean), as a Bayesian network gives."""
    rng = np.random.default_rng(seed)
    means = rng.dirichlet(np.full(10, 0.3), size=num_images)
    samples = np.stack([rng.dirichlet(spread * mean + 1e-3, size=num_samples) for mean in means], axis=1)
    return Prediction(samples.astype(np.float32))


def synthetic_insight() -> dict:
    """A small insight dict built by the real functions from synthetic predictions and parameters."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 40)
    test = {"bayesian": dirichlet_prediction(8, 40, 1), "deterministic": dirichlet_prediction(1, 40, 2)}
    ood = {"bayesian": dirichlet_prediction(8, 30, 3, spread=0.5), "deterministic": dirichlet_prediction(1, 30, 4)}
    thresholds = {
        "bayesian": {"predictive_entropy": 1.0, "mutual_information": 0.3},
        "deterministic": {"predictive_entropy": 1.2},
    }
    layers = [
        {"name": "hidden", "kernel_mean": rng.normal(0, 0.2, (6, 4)), "kernel_std": rng.uniform(0.01, 0.5, (6, 4))},
        {"name": "logits", "kernel_mean": rng.normal(0, 0.2, (4, 10)), "kernel_std": rng.uniform(0.01, 0.5, (4, 10))},
    ]
    twin = [{**layer, "kernel_std": np.zeros_like(layer["kernel_std"])} for layer in layers]
    counts = [1, 2, 5, 10]
    runs = [
        insight.convergence_statistics(dirichlet_prediction(10, 40, seed).samples, labels, counts) for seed in range(3)
    ]
    fractions = [0.0, 0.5, 0.95]
    return {
        "arch": "mlp",
        "networks": {"bayesian": "mlp-bayesian", "deterministic": "mlp-deterministic"},
        "num_samples": 8,
        "seed": 0,
        "test_size": 40,
        "accuracy": {kind: uncertainty.accuracy(p.mean_probs, labels) for kind, p in test.items()},
        "thresholds": thresholds,
        "coverage": insight.coverage_section(test["bayesian"], test["deterministic"], labels, thresholds),
        "ood": {
            "set": "Fashion-MNIST test",
            "size": 30,
            "auroc": {
                "bayesian": {
                    "ood_auroc_entropy": 0.9,
                    "ood_auroc_max_probability": 0.88,
                    "ood_auroc_mutual_information": 0.95,
                },
                "deterministic": {
                    "ood_auroc_entropy": 0.8,
                    "ood_auroc_max_probability": 0.79,
                    "ood_auroc_mutual_information": None,
                },
            },
            "histograms": insight.ood_histograms(test, ood, bins=10),
        },
        "weights": {
            "bayesian": insight.weight_posterior(layers, 10),
            "deterministic": insight.weight_posterior(twin, 10),
        },
        "pruning": {
            kind: {
                "score": score,
                "num_weights": 64,
                "num_samples": samples,
                "fractions": fractions,
                "accuracy": accuracy,
                "nll": [0.1, 0.2, 1.5],
                "kept_per_layer": [{"hidden": 1 - f, "logits": 1 - f} for f in fractions],
            }
            for kind, score, samples, accuracy in (
                ("bayesian", "signal-to-noise ratio |mu| / sigma", 8, [0.98, 0.975, 0.81]),
                ("deterministic", "magnitude |w|", 1, [0.99, 0.985, 0.42]),
            )
        },
        "convergence": {
            "num_samples": counts,
            "num_seeds": 3,
            "num_images": 40,
            "subset": "all",
            "error_bars": "standard deviation over 3 runs",
            "bayesian": insight.spread(runs),
            "deterministic": {"accuracy": 0.5, "nll": 1.2},
        },
    }
