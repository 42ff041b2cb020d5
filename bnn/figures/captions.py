"""The words of the "Inside the model" tab, written from stored insight numbers.

``bnn.evaluation.insight`` computes the numbers (``python -m bnn insight`` stores them as JSON); here they become
:func:`chart_captions`, one sentence under each chart of the tab (the pruning and Monte Carlo tables of
docs/results/insight.md are ``bnn.figures.tables``'). Plain dicts in, strings out: nothing here loads TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bnn.config import PREDICTION_SAMPLES, network_name, parse_network_name

if TYPE_CHECKING:
    from bnn.model.card import ModelCard

READING_PRUNED_FRACTION = 0.95  # the fraction Blundell et al. report, quoted under the pruning chart


# --- the sentence under each chart --------------------------------------------------------------------


def chart_captions(
    arch: str,
    insight: dict | None,
    report: dict | None = None,
    shift: dict | None = None,
    cards: dict[str, ModelCard] | None = None,
) -> dict[str, str]:
    """One sentence per chart of the tab for ``arch``, written from the measured numbers.

    ``insight`` as ``bnn.evaluation.insight.read_insight`` gives it, ``report`` from ``bnn evaluate``, ``shift`` from
    ``bnn shift``, ``cards`` the model cards (``bnn.model.card.ModelCard``) keyed by kind. Keys: reliability, coverage,
    ood, rotation, weights, pruning, training, convergence; a chart whose data is missing gets a sentence naming
    the command that computes it.
    """
    missing = "Not computed yet: `python -m bnn {} --output PATH` writes it."
    lines = {
        "reliability": _reliability_caption(report) if report else missing.format(f"evaluate --arch {arch}"),
        "rotation": _rotation_caption(shift, arch) if shift else missing.format("shift"),
        "training": _training_caption(cards or {}, arch),
    }
    missing_insight = f"Not computed yet: `python -m bnn insight --arch {arch}` computes it."
    if insight is None:
        return {**lines, **dict.fromkeys(("coverage", "ood", "weights", "pruning", "convergence"), missing_insight)}
    lines["coverage"] = _coverage_caption(insight)
    lines["ood"] = _ood_caption(insight["ood"]) if insight.get("ood") else "No out-of-distribution set was evaluated."
    lines["weights"] = _weights_caption(insight["weights"]["bayesian"])
    lines["pruning"] = _pruning_caption(insight["pruning"])
    lines["convergence"] = _convergence_caption(insight["convergence"])
    return lines


def _percent(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f} %"


def _reliability_caption(report: dict) -> str:
    ece = {kind: metrics["ece"] for kind, metrics in report["models"].items()}
    better = min(ece, key=ece.get)
    return (
        f"Expected calibration error on {report['test_size']:,} test digits: Bayesian {_percent(ece['bayesian'], 2)}, "
        f"deterministic {_percent(ece['deterministic'], 2)}; the {better} network's confidence is closer to its accuracy."
    )


def _coverage_caption(insight: dict) -> str:
    coverage = insight["coverage"]
    (entropy,) = [c for c in coverage["curves"] if c["kind"] == "bayesian" and c["score"] == "predictive_entropy"]
    marks = [m for m in coverage["thresholds"] if m["kind"] == "bayesian" and m["score"] == "predictive_entropy"]
    everything = entropy["accuracy"][-1]
    if not marks:
        return f"Bayesian accuracy on every test digit: {_percent(everything, 2)}; its model card records no threshold."
    mark = marks[0]
    return (
        f'The Bayesian "not sure" entropy threshold ({mark["threshold"]:.2f} nats) keeps {_percent(mark["coverage"])} '
        f"of the test digits and flags {_percent(mark['errors_flagged'] or 0, 0)} of its errors: accuracy on the kept "
        f"digits is {_percent(mark['accuracy'], 2)}, against {_percent(everything, 2)} on all."
    )


def _ood_caption(ood: dict) -> str:
    bayesian, deterministic = ood["auroc"]["bayesian"], ood["auroc"]["deterministic"]
    return (
        f"Telling {ood['set']} from MNIST test (AUROC, 1 is perfect): Bayesian mutual information "
        f"{bayesian['ood_auroc_mutual_information']:.4f}, Bayesian entropy {bayesian['ood_auroc_entropy']:.4f}, "
        f"deterministic entropy {deterministic['ood_auroc_entropy']:.4f}."
    )


def _rotation_caption(shift: dict, arch: str) -> str:
    rows = [r for r in shift["rows"] if parse_network_name(r["network"])[0] == arch and r["corruption"] == "rotation"]
    clean = {r["network"]: r for r in shift["rows"] if r["corruption"] == "clean"}
    if not rows:
        return f"The shift report has no rotated digits for the {arch} networks."
    angle = max((float(r["severity"]) for r in rows), key=lambda a: (abs(a), a))
    at = {r["network"]: r for r in rows if float(r["severity"]) == angle}
    bayesian, deterministic = network_name(arch, "bayesian"), network_name(arch, "deterministic")
    return (
        f"Turned {angle:.0f} degrees, accuracy falls to {_percent(at[bayesian]['accuracy'], 0)} (Bayesian) and "
        f"{_percent(at[deterministic]['accuracy'], 0)} (deterministic), while the Bayesian mean mutual information "
        f"rises from {clean[bayesian]['mean_mutual_information']:.3f} to {at[bayesian]['mean_mutual_information']:.3f} nats."
    )


def _weights_caption(layers: list[dict]) -> str:
    medians = ", ".join(f"{layer['name']} {layer['median_snr']:.2g}" for layer in layers)
    below = sum(layer["fraction_snr_below_1"] * layer["num_weights"] for layer in layers)
    total = sum(layer["num_weights"] for layer in layers)
    return (
        f"Median signal-to-noise ratio |mu| / sigma per layer: {medians}; {_percent(below / total, 0)} of the "
        "weights have a posterior wider than their distance from zero."
    )


def _pruning_caption(pruning: dict) -> str:
    bayesian, deterministic = pruning["bayesian"], pruning["deterministic"]
    fractions = bayesian["fractions"]
    at = min(range(len(fractions)), key=lambda i: abs(fractions[i] - READING_PRUNED_FRACTION))
    start = fractions.index(0.0) if 0.0 in fractions else 0
    sentence = (
        f"Pruning {_percent(fractions[at], 0)} of the weights by signal-to-noise ratio changes Bayesian test accuracy "
        f"from {_percent(bayesian['accuracy'][start], 2)} to {_percent(bayesian['accuracy'][at], 2)}"
    )
    if deterministic["fractions"] == fractions:
        sentence += (
            f"; pruning the deterministic twin by |w| changes it from {_percent(deterministic['accuracy'][start], 2)} "
            f"to {_percent(deterministic['accuracy'][at], 2)}"
        )
    return sentence + "."


def _training_caption(cards: dict[str, ModelCard], arch: str) -> str:
    history = cards["bayesian"].history if cards.get("bayesian") else None
    if not history:
        return f"The model cards record no per-epoch history; `python -m bnn train --arch {arch}` records it."
    best = int(np.argmin(history["val_nll"]))
    return (
        f"The Bayesian network's validation NLL is lowest at epoch {best + 1} ({history['val_nll'][best]:.4f} nats, "
        f"accuracy {_percent(history['val_accuracy'][best], 2)}); KL / N went from {history['kl'][0]:.3f} "
        f"to {history['kl'][-1]:.3f} nats per example."
    )


def _convergence_caption(convergence: dict) -> str:
    counts = convergence["num_samples"]
    bayesian = convergence["bayesian"]
    first, last = 0, len(counts) - 1
    default = counts.index(PREDICTION_SAMPLES) if PREDICTION_SAMPLES in counts else last
    return (
        f"On {convergence['num_images']:,} test digits, NLL falls from {bayesian['nll']['mean'][first]:.3f} at "
        f"T = {counts[first]} to {bayesian['nll']['mean'][last]:.3f} nats at T = {counts[last]}; at T = {counts[default]} "
        f"one run's accuracy varies by ±{_percent(bayesian['accuracy']['std'][default], 2)} and its mean mutual "
        f"information is {bayesian['mutual_information']['mean'][default]:.4f} nats "
        f"({bayesian['mutual_information']['mean'][last]:.4f} at T = {counts[last]})."
    )
