"""What the app's "Inside the model" tab shows, computed once and stored as small JSON.

For one architecture, its Bayesian network beside its deterministic twin:
- coverage: accuracy on the most certain x % of test digits, and where the model card's thresholds cut;
- ood: histograms of predictive entropy and mutual information on MNIST test vs Fashion-MNIST test;
- weights: per layer, histograms of the posterior means, standard deviations and signal-to-noise |mu| / sigma;
- pruning: test accuracy with the lowest-SNR weights set to zero (Blundell et al. 2015, "Weight
  Uncertainty in Neural Networks", section 5.1), the deterministic twin pruned by |w| beside it;
- convergence: the Monte Carlo estimates of accuracy, NLL and mutual information as T grows.
Everything is NumPy in and lists out; ``bnn.figures.captions`` writes the sentence under each chart, and
``bnn.figures.tables`` the tables of docs/results/insight.md, from the stored numbers.
TensorFlow is touched only through ``DigitModel.predict`` and ``bnn.model.networks`` (imported where needed, so
reading the JSON stays light).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bnn.config import PREDICTION_SAMPLES, answers_with_samples, is_variational
from bnn.model import uncertainty

if TYPE_CHECKING:  # the types only: importing bnn.model.predict loads TensorFlow
    from bnn.data import Dataset
    from bnn.model.predict import DigitModel, Prediction

PRUNING_FRACTIONS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99)  # share of kernel weights set to zero
CONVERGENCE_SAMPLES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # T
CONVERGENCE_SEEDS = 5  # independent Monte Carlo runs; their spread is the error bar
CONVERGENCE_IMAGES = 2000  # test digits for the convergence runs: a subset, as T = 1000 over all is costly
COVERAGE_POINTS = 100  # coverage grid 1 %, 2 %, ..., 100 %
HISTOGRAM_BINS = 60  # per histogram: enough for its shape, few enough for small JSON
SNR_FLOOR = 1e-4  # |mu| / sigma below this is counted in the lowest bin of the (log-scale) SNR histogram
PRUNED_UNTRANSFORMED_SCALE = -100.0  # softplus(-100) is 0 in float32: sigma falls to the posterior's floor, eps ~ 1e-7


def insight_path(assets_dir: str | Path, arch: str) -> Path:
    """Where the insight JSON of ``arch`` lives, e.g. ``assets/insight-mlp.json``."""
    return Path(assets_dir) / f"insight-{arch}.json"


def read_insight(assets_dir: str | Path, arch: str) -> dict | None:
    """The stored insight of ``arch``, or None when it has not been computed (``python -m bnn insight``)."""
    path = insight_path(assets_dir, arch)
    return json.loads(path.read_text()) if path.is_file() else None


# --- histograms ---------------------------------------------------------------------------------------


def histogram(values: np.ndarray, edges: np.ndarray) -> dict:
    """Counts of ``values`` between ``edges``; values beyond either end are counted in the end bins.

    Returns ``{"edges": [B + 1 floats], "counts": [B ints]}``; the counts sum to the number of values.
    """
    edges = np.asarray(edges, dtype=np.float64)
    values = np.clip(np.asarray(values, dtype=np.float64).ravel(), edges[0], edges[-1])
    counts, _ = np.histogram(values, edges)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def linear_edges(values: np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """``bins`` equal-width bins from the smallest to the largest value."""
    low, high = float(np.min(values)), float(np.max(values))
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def log_edges(values: np.ndarray, floor: float, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """``bins`` bins of equal width in log scale, from the smallest value (at least ``floor``) to the largest."""
    values = np.asarray(values, dtype=np.float64)
    low, high = max(float(np.min(values)), floor), max(float(np.max(values)), floor)
    if high <= low:
        low, high = low / 2, high * 2
    return np.geomspace(low, high, bins + 1)


# --- accuracy against coverage ------------------------------------------------------------------------


def coverage_grid(points: int = COVERAGE_POINTS) -> np.ndarray:
    """Coverages 1/points, 2/points, ..., 1."""
    return np.arange(1, points + 1) / points


def coverage_curve(correct: np.ndarray, uncertainty_scores: np.ndarray, coverages: np.ndarray) -> list[float]:
    """Accuracy on the ``coverage`` share of images with the lowest uncertainty, for each coverage.

    Keeps ceil(coverage * N) images (at least one), ties in the order given, as
    ``uncertainty.accuracy_at_coverage`` does; ``correct`` is (N,) booleans.
    """
    correct = np.asarray(correct, dtype=np.float64)
    order = np.argsort(np.asarray(uncertainty_scores), kind="stable")
    hits = np.cumsum(correct[order])
    # Rounded first so that 0.07 * 10,000 keeps 700 images, not 701.
    keep = np.maximum(1, np.ceil(np.round(np.asarray(coverages) * len(correct), 6))).astype(np.int64)
    return (hits[keep - 1] / keep).tolist()


def threshold_cut(correct: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """What a "not sure" threshold does on a test set: the share kept (score <= threshold), its accuracy, errors flagged."""
    correct, scores = np.asarray(correct, dtype=bool), np.asarray(scores)
    kept = scores <= threshold
    return {
        "threshold": float(threshold),
        "coverage": float(np.mean(kept)),
        "accuracy": float(np.mean(correct[kept])) if kept.any() else None,
        "errors_flagged": float(np.mean(~kept[~correct])) if (~correct).any() else None,
    }


def coverage_section(bayesian: Prediction, deterministic: Prediction, labels: np.ndarray, thresholds: dict) -> dict:
    """Accuracy against coverage: Bayesian ranked by predictive entropy and by mutual information,
    deterministic by max probability; ``thresholds`` (kind -> ``Thresholds.by_score()`` of its model card) are
    marked where they cut.
    """
    coverages = coverage_grid()
    bayesian_correct = bayesian.label == labels
    rankings = (
        ("bayesian", "predictive_entropy", bayesian_correct, bayesian.predictive_entropy),
        ("bayesian", "mutual_information", bayesian_correct, bayesian.mutual_information),
        ("deterministic", "max_probability", deterministic.label == labels, -deterministic.probability),
    )
    curves = [
        {"kind": kind, "score": score, "accuracy": coverage_curve(correct, values, coverages)}
        for kind, score, correct, values in rankings
    ]
    marks = [
        {"kind": kind, "score": score, **threshold_cut(correct, values, thresholds[kind][score])}
        for kind, score, correct, values in rankings
        if thresholds.get(kind, {}).get(score) is not None
    ]
    return {"coverage": coverages.tolist(), "curves": curves, "thresholds": marks}


# --- out-of-distribution separation -------------------------------------------------------------------


def ood_histograms(
    in_distribution: dict[str, Prediction], out_of_distribution: dict[str, Prediction], bins: int = HISTOGRAM_BINS
) -> list[dict]:
    """Histograms of predictive entropy (every network) and mutual information (Bayesian only), in nats.

    Both sets share the edges of each histogram: entropy over [0, log 10], mutual information from 0 to
    its largest value. Returns ``[{"score", "kind", "edges", "in_distribution", "out_of_distribution"}]``.
    """
    result = []
    for score in ("predictive_entropy", "mutual_information"):
        for kind, inside in in_distribution.items():
            if score == "mutual_information" and not answers_with_samples(kind):
                continue  # identically zero for a deterministic network
            values = {"in": getattr(inside, score), "out": getattr(out_of_distribution[kind], score)}
            top = math.log(inside.samples.shape[-1]) if score == "predictive_entropy" else None
            top = top or max(float(np.max(values["in"])), float(np.max(values["out"])), 1e-6)
            edges = np.linspace(0.0, top, bins + 1)
            inside_counts, outside_counts = (histogram(values[side], edges) for side in ("in", "out"))
            result.append(
                {
                    "score": score,
                    "kind": kind,
                    "edges": inside_counts["edges"],
                    "in_distribution": inside_counts["counts"],
                    "out_of_distribution": outside_counts["counts"],
                }
            )
    return result


# --- the weight posterior and pruning -----------------------------------------------------------------


def weight_posterior(parameters: list[dict[str, np.ndarray]], bins: int = HISTOGRAM_BINS) -> list[dict]:
    """Per layer (as ``bnn.model.networks.posterior_parameters`` gives them), histograms of the kernel's posterior.

    Bayesian layers: ``mean`` (mu), ``std`` (sigma, log-spaced bins) and ``snr`` (|mu| / sigma, log-spaced,
    from SNR_FLOOR), with medians and the share of weights whose |mu| < sigma. Deterministic layers (sigma = 0):
    ``mean`` only, the weights themselves.
    """
    result = []
    for layer in parameters:
        mean, std = np.asarray(layer["kernel_mean"]).ravel(), np.asarray(layer["kernel_std"]).ravel()
        summary = {
            "name": layer["name"],
            "num_weights": int(mean.size),
            "mean": histogram(mean, linear_edges(mean, bins)),
        }
        if std.any():
            snr = np.abs(mean) / std
            summary["std"] = histogram(std, log_edges(std, floor=1e-12, bins=bins))
            summary["snr"] = histogram(snr, log_edges(snr, floor=SNR_FLOOR, bins=bins))
            summary["median_std"] = float(np.median(std))
            summary["median_snr"] = float(np.median(snr))
            summary["fraction_snr_below_1"] = float(np.mean(snr < 1))
        result.append(summary)
    return result


def pruning_scores(parameters: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
    """Per layer, how much each kernel weight is worth keeping: |mu| / sigma for a Bayesian network
    (Blundell et al. 2015, section 5.1), |w| for a deterministic one (magnitude pruning, the usual baseline).
    """
    bayesian = any(np.any(layer["kernel_std"]) for layer in parameters)
    if bayesian:
        return [np.abs(layer["kernel_mean"]) / layer["kernel_std"] for layer in parameters]
    return [np.abs(layer["kernel_mean"]) for layer in parameters]


def pruning_masks(parameters: list[dict[str, np.ndarray]], fraction: float) -> dict[str, np.ndarray]:
    """Which kernel weights to prune: the ``fraction`` of all of them (ranked across layers) with the lowest score.

    Returns ``{layer name: boolean mask shaped like its kernel}``; exactly round(fraction * total) are True.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"the pruned fraction must be in [0, 1], got {fraction}")
    scores = pruning_scores(parameters)
    flat = np.concatenate([score.ravel() for score in scores])
    pruned = np.zeros(flat.size, dtype=bool)
    pruned[np.argsort(flat, kind="stable")[: round(fraction * flat.size)]] = True
    masks, start = {}, 0
    for layer, score in zip(parameters, scores, strict=True):
        masks[layer["name"]] = pruned[start : start + score.size].reshape(score.shape)
        start += score.size
    return masks


def pruned_arrays(arrays: dict[str, np.ndarray], masks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copies of a network's weight arrays (``bnn.model.networks.weight_arrays``) with the masked kernel weights pruned.

    A pruned weight takes its prior mean, 0, and no noise: the posterior mean is set to 0 and its
    untransformed scale to PRUNED_UNTRANSFORMED_SCALE (sigma = float32 eps). Deterministic kernels are set to 0.
    """
    result = dict(arrays)
    for name, mask in masks.items():
        if f"{name}/kernel_posterior_loc" in arrays:
            changes = {"kernel_posterior_loc": 0.0, "kernel_posterior_untransformed_scale": PRUNED_UNTRANSFORMED_SCALE}
        elif f"{name}/kernel" in arrays:
            changes = {"kernel": 0.0}
        else:
            raise ValueError(f"layer {name!r} has no kernel among the weight arrays {sorted(arrays)}")
        for variable, value in changes.items():
            key = f"{name}/{variable}"
            result[key] = np.where(mask, np.asarray(value, arrays[key].dtype), arrays[key])
    return result


def pruning_curve(
    model: DigitModel,
    images: np.ndarray,
    labels: np.ndarray,
    fractions: Sequence[float] = PRUNING_FRACTIONS,
    num_samples: int = PREDICTION_SAMPLES,
    seed: int = 0,
) -> dict:
    """Test accuracy and NLL of ``model`` with each fraction of its kernel weights pruned (:func:`pruning_masks`).

    Every fraction uses the same ``num_samples`` and ``seed``, so 0 % equals ``model.predict``'s own accuracy.
    The model's weights are changed while it runs and restored afterwards, even on error.
    """
    from bnn.model.networks import assign_weight_arrays, posterior_parameters, weight_arrays  # TensorFlow

    parameters = posterior_parameters(model.network)
    original = weight_arrays(model.network)
    accuracy, nll, kept = [], [], []
    try:
        for fraction in fractions:
            masks = pruning_masks(parameters, fraction)
            assign_weight_arrays(model.network, pruned_arrays(original, masks))
            probs = model.predict(images, num_samples=num_samples, seed=seed).mean_probs
            accuracy.append(uncertainty.accuracy(probs, labels))
            nll.append(uncertainty.negative_log_likelihood(probs, labels))
            kept.append({name: float(1 - mask.mean()) for name, mask in masks.items()})
    finally:
        assign_weight_arrays(model.network, original)
    return {
        "score": "signal-to-noise ratio |mu| / sigma" if is_variational(model.kind) else "magnitude |w|",
        "num_weights": int(sum(layer["kernel_mean"].size for layer in parameters)),
        "num_samples": num_samples if is_variational(model.kind) else 1,
        "fractions": [float(fraction) for fraction in fractions],
        "accuracy": accuracy,
        "nll": nll,
        "kept_per_layer": kept,
    }


# --- Monte Carlo convergence --------------------------------------------------------------------------


def convergence_statistics(samples: np.ndarray, labels: np.ndarray, sample_counts: Sequence[int]) -> dict:
    """Accuracy, NLL (nats) and mean mutual information (nats) estimated from the first T of ``samples``.

    ``samples`` is one Monte Carlo run, (T_max, N, 10); the first T samples of it are T independent weight
    samples. Returns ``{"accuracy": [...], "nll": [...], "mutual_information": [...]}``, one value per T.
    """
    result = {"accuracy": [], "nll": [], "mutual_information": []}
    for count in sample_counts:
        if not 1 <= count <= len(samples):
            raise ValueError(f"T = {count} needs at least {count} samples, got {len(samples)}")
        first = samples[:count]
        probs = first.mean(axis=0, dtype=np.float64)
        result["accuracy"].append(uncertainty.accuracy(probs, labels))
        result["nll"].append(uncertainty.negative_log_likelihood(probs, labels))
        result["mutual_information"].append(float(np.mean(uncertainty.mutual_information(first))))
    return result


def spread(runs: list[dict]) -> dict:
    """Mean and standard deviation (ddof 1) over independent runs of :func:`convergence_statistics`, per metric and T."""
    return {
        metric: {
            "mean": np.mean([run[metric] for run in runs], axis=0).tolist(),
            "std": np.std([run[metric] for run in runs], axis=0, ddof=1 if len(runs) > 1 else 0).tolist(),
        }
        for metric in runs[0]
    }


def mc_convergence(
    model: DigitModel,
    images: np.ndarray,
    labels: np.ndarray,
    sample_counts: Sequence[int] = CONVERGENCE_SAMPLES,
    num_seeds: int = CONVERGENCE_SEEDS,
    seed: int = 0,
) -> dict:
    """How the Monte Carlo estimates settle as T grows: ``num_seeds`` runs of max(T) samples (seeds seed, seed + 1, ...).

    Returns :func:`spread` of the runs; the standard deviation is how far one run with T samples may land.
    """
    runs = [
        convergence_statistics(
            model.predict(images, max(sample_counts), seed=seed + run).samples, labels, sample_counts
        )
        for run in range(num_seeds)
    ]
    return spread(runs)


def convergence_subset(num_test: int, num_images: int, seed: int) -> np.ndarray:
    """A fixed random subset of test indices, sorted (MNIST's first 5,000 test digits are the easier half)."""
    return np.sort(np.random.default_rng(seed).choice(num_test, size=min(num_images, num_test), replace=False))


# --- everything, for one architecture -----------------------------------------------------------------


def build_insight(
    bayesian: DigitModel,
    deterministic: DigitModel,
    test: Dataset,
    ood: Dataset | None,
    num_samples: int = PREDICTION_SAMPLES,
    seed: int = 0,
    convergence_images: int = CONVERGENCE_IMAGES,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    """The insight JSON of one architecture: settings, test accuracy and thresholds, then one section per chart
    (``coverage``, ``ood``, ``weights``, ``pruning``, ``convergence``), each as its function below returns it.

    Test predictions use ``seed`` and OOD predictions ``seed + 1``, as ``bnn.evaluation.report`` does, so the
    accuracies and AUROCs equal the evaluation report's at the same T. ``log`` gets a line per section.
    """
    from bnn.model.metrics import ood_metrics  # TensorFlow
    from bnn.model.networks import posterior_parameters

    if bayesian.arch != deterministic.arch or not is_variational(bayesian.kind) or is_variational(deterministic.kind):
        raise ValueError(
            f"need a Bayesian network and its deterministic twin, got {bayesian.name}, {deterministic.name}"
        )
    models = {"bayesian": bayesian, "deterministic": deterministic}
    clock = time.perf_counter()

    def done(what: str) -> None:
        nonlocal clock
        log(f"{bayesian.arch}: {what} in {time.perf_counter() - clock:.1f} s")
        clock = time.perf_counter()

    test_predictions = {kind: model.predict(test.images, num_samples, seed=seed) for kind, model in models.items()}
    thresholds = {kind: model.card.thresholds.by_score() for kind, model in models.items()}
    insight = {
        "arch": bayesian.arch,
        "networks": {kind: model.name for kind, model in models.items()},
        "num_samples": num_samples,
        "seed": seed,
        "test_size": len(test),
        "accuracy": {kind: uncertainty.accuracy(p.mean_probs, test.labels) for kind, p in test_predictions.items()},
        "thresholds": thresholds,
        "coverage": coverage_section(
            test_predictions["bayesian"], test_predictions["deterministic"], test.labels, thresholds
        ),
    }
    done(f"test predictions and coverage ({len(test):,} images)")

    insight["ood"] = None
    if ood is not None:
        ood_predictions = {
            kind: model.predict(ood.images, num_samples, seed=seed + 1) for kind, model in models.items()
        }
        insight["ood"] = {
            "set": "Fashion-MNIST test",
            "size": len(ood),
            "auroc": {
                kind: ood_metrics(test_predictions[kind], ood_predictions[kind], sampled=answers_with_samples(kind))
                for kind in models
            },
            "histograms": ood_histograms(test_predictions, ood_predictions),
        }
        done(f"OOD histograms ({len(ood):,} images)")
    del test_predictions  # (T, N, 10) each: free them before the long runs

    insight["weights"] = {kind: weight_posterior(posterior_parameters(model.network)) for kind, model in models.items()}
    insight["pruning"] = {}
    for kind, model in models.items():
        insight["pruning"][kind] = pruning_curve(model, test.images, test.labels, PRUNING_FRACTIONS, num_samples, seed)
        done(f"{model.name} pruning curve ({len(PRUNING_FRACTIONS)} fractions)")

    subset = convergence_subset(len(test), convergence_images, seed)
    images, labels = test.images[subset], test.labels[subset]
    deterministic_probs = deterministic.predict(images, seed=seed).mean_probs
    insight["convergence"] = {
        "num_samples": list(CONVERGENCE_SAMPLES),
        "num_seeds": CONVERGENCE_SEEDS,
        "num_images": len(subset),
        "subset": f"numpy.random.default_rng({seed}).choice({len(test)}, {len(subset)}, replace=False), sorted",
        "error_bars": f"standard deviation over {CONVERGENCE_SEEDS} independent runs (seeds {seed} to "
        f"{seed + CONVERGENCE_SEEDS - 1}); each T uses the first T samples of its run",
        "bayesian": mc_convergence(bayesian, images, labels, CONVERGENCE_SAMPLES, CONVERGENCE_SEEDS, seed),
        "deterministic": {
            "accuracy": uncertainty.accuracy(deterministic_probs, labels),
            "nll": uncertainty.negative_log_likelihood(deterministic_probs, labels),
        },
    }
    done(f"Monte Carlo convergence ({len(subset):,} images, T up to {max(CONVERGENCE_SAMPLES)})")
    return insight
