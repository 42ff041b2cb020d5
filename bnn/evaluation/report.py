"""The evaluation report: calibration on MNIST test, out-of-distribution detection on Fashion-MNIST."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from bnn.config import CANVAS_SIZE, FLAGGED_FRACTION, IMAGE_SIZE, answers_with_samples, network_name
from bnn.data.mnist import Dataset
from bnn.image.preprocess import BlankImageError, preprocess_image
from bnn.model import uncertainty
from bnn.model.card import ModelCard
from bnn.model.predict import DigitModel, Prediction

ECE_BINS = 15
COVERAGE = 0.95
ROUND_TRIP_SIZES = (IMAGE_SIZE, 112, CANVAS_SIZE)  # px: MNIST's own size, and enlarged as drawn on a canvas


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
        scores["mutual_information"] = lambda p: p.epistemic
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
        scores["epistemic"] = prediction.epistemic
    for name, score in scores.items():
        threshold = float(np.quantile(score, 1 - FLAGGED_FRACTION))
        result[name] = threshold
        result[f"{name}_errors_caught"] = float(np.mean(score[wrong] > threshold)) if wrong.any() else None
    return result


def round_trip_inputs(images: np.ndarray, size: int) -> np.ndarray:
    """MNIST digits (N, 28, 28) handed to ``preprocess_image`` as a canvas would -> the (N, 28, 28) network inputs.

    Each digit is made 8-bit and, unless ``size`` is 28, enlarged to ``size`` px (Pillow bicubic).
    """
    inputs = np.empty(images.shape, np.float32)
    for index, digit in enumerate(images):
        image = Image.fromarray(np.round(digit * 255).astype(np.uint8))
        inputs[index] = preprocess_image(image if size == 28 else image.resize((size, size), Image.Resampling.BICUBIC))
    return inputs


def round_trip_geometry(images: np.ndarray, inputs: np.ndarray) -> dict:
    """How far the pipeline moved genuine digits: mean |pixel change| and the mean centre of mass (row, col)."""
    index = np.arange(inputs.shape[1], dtype=np.float64)
    mass = inputs.sum(axis=(1, 2))
    centre = [float(np.mean(inputs.sum(axis=axis) @ index / mass)) for axis in (2, 1)]
    return {"mean_abs_pixel_change": float(np.abs(inputs - images).mean()), "centre_of_mass": centre}


def read_uploads(uploads: list) -> tuple[np.ndarray, np.ndarray]:
    """Images as the Upload tab gets them -> ((N, 28, 28) inputs, (N,) bool read); a blank one is an empty input."""
    inputs, read = np.zeros((len(uploads), IMAGE_SIZE, IMAGE_SIZE), np.float32), np.zeros(len(uploads), bool)
    for index, upload in enumerate(uploads):
        try:
            inputs[index], read[index] = preprocess_image(upload), True
        except BlankImageError:
            pass
    return inputs, read


def photo_report(models: dict[str, DigitModel], test: Dataset, num_samples: int, seed: int, num_blanks: int) -> dict:
    """Every condition of `bnn.corpora.photos` on ``test``'s digits: how many were refused as blank, each network's
    accuracy (a refused digit counts as wrong), and how many of ``num_blanks`` empty pages were refused.

    ``crops``: every crop of `bnn.corpora.photos.CROPS` (cropped to the ink) beside its twin with a margin of paper: the
    same counts for both, the mean absolute difference of their network inputs (over digits both read), and how
    many crops are one grey level only (a digit stretched into a solid block: nothing left to read)."""
    from bnn.corpora.photos import crop_corpus, photo_corpus  # scikit-image's transforms load only for this report

    uploads = photo_corpus(test.images, seed=seed)
    blanks = photo_corpus(np.zeros((num_blanks, IMAGE_SIZE, IMAGE_SIZE), np.float32), seed=seed + 1)
    conditions = {}
    for condition, images in uploads.items():
        inputs, read = read_uploads(images)
        conditions[condition] = {
            "refused": int((~read).sum()),
            "accuracy": _accuracies(models, inputs, read, test.labels, num_samples, seed),
            "blanks_refused": int((~read_uploads(blanks[condition])[1]).sum()),
        }
    tight, margin = crop_corpus(test.images, seed=seed)
    blank_crops, _ = crop_corpus(np.zeros((num_blanks, IMAGE_SIZE, IMAGE_SIZE), np.float32), seed=seed + 1)
    crops = {}
    for crop in tight:
        inputs, read = read_uploads(tight[crop])
        twin_inputs, twin_read = read_uploads(margin[crop])
        both = read & twin_read
        crops[crop] = {
            "refused": int((~read).sum()),
            "one_level": sum(_one_level(image) for image in tight[crop]),
            "accuracy": _accuracies(models, inputs, read, test.labels, num_samples, seed),
            "margin_refused": int((~twin_read).sum()),
            "margin_accuracy": _accuracies(models, twin_inputs, twin_read, test.labels, num_samples, seed),
            "mean_abs_difference": float(np.abs(inputs[both] - twin_inputs[both]).mean()) if both.any() else None,
            "blanks_refused": int((~read_uploads(blank_crops[crop])[1]).sum()),
        }
    return {
        "num_images": len(test.labels),
        "num_blanks": num_blanks,
        "num_samples": num_samples,
        "seed": seed,
        "conditions": conditions,
        "crops": crops,
    }


def _accuracies(models: dict[str, DigitModel], inputs, read, labels, num_samples: int, seed: int) -> dict[str, float]:
    """Each network's accuracy on (N, 28, 28) ``inputs``; an input not ``read`` (refused as blank) counts as wrong."""
    return {
        name: float(np.mean(read & (model.predict(inputs, num_samples, seed=seed).label == labels)))
        for name, model in models.items()
    }


def _one_level(image: bytes) -> bool:
    """Whether an encoded image is one grey level throughout (a crop with nothing left to see)."""
    low, high = Image.open(io.BytesIO(image)).convert("L").getextrema()
    return low == high


def format_photo_table(report: dict) -> str:
    """`photo_report` as a Markdown table: a row per condition."""
    names = list(next(iter(report["conditions"].values()))["accuracy"])
    lines = [
        "| upload | refused as blank | " + " | ".join(f"acc. {name}" for name in names) + " | empty page refused |",
        "|---|---:|" + "---:|" * len(names) + "---:|",
    ]
    for condition, row in report["conditions"].items():
        cells = [f"{row['refused']} of {report['num_images']}"]
        cells += [f"{row['accuracy'][name]:.3f}" for name in names]
        cells.append(f"{row['blanks_refused']} of {report['num_blanks']}")
        lines.append(f"| {condition} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_crop_table(report: dict) -> str:
    """The crops of `photo_report` as a Markdown table: each network's accuracy cropped to the ink and with a
    margin of paper, a row per crop."""
    names = list(next(iter(report["crops"].values()))["accuracy"])
    lines = [
        "| crop | refused (one level) | "
        + " | ".join(f"acc. {name} tight / margin" for name in names)
        + " | input difference | empty crop refused |",
        "|---|---:|" + "---:|" * len(names) + "---:|---:|",
    ]
    for crop, row in report["crops"].items():
        cells = [f"{row['refused']} ({row['one_level']}) of {report['num_images']}"]
        cells += [f"{row['accuracy'][name]:.3f} / {row['margin_accuracy'][name]:.3f}" for name in names]
        cells.append(f"{row['mean_abs_difference']:.4f}")
        cells.append(f"{row['blanks_refused']} of {report['num_blanks']}")
        lines.append(f"| {crop} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evaluate_model(
    model: DigitModel,
    test: Dataset,
    ood: Dataset | None,
    num_samples: int,
    seed: int = 0,
    progress: bool = False,
    round_trips: dict[int, np.ndarray] | None = None,
) -> dict:
    """All metrics of one model on the test set (and the OOD set when given), plus its reliability bins.

    ``round_trips`` maps a size in px to the preprocessed test digits (``round_trip_inputs``); the accuracy
    on each is reported beside the raw files'. ``progress`` shows a progress bar for each prediction.
    """
    prediction = model.predict(test.images, num_samples=num_samples, seed=seed, progress=progress)
    report = {"num_samples": prediction.num_samples, **prediction_metrics(prediction, test.labels)}
    for size, inputs in (round_trips or {}).items():
        # The same seed as the raw images: the same weight samples, so the difference is the pipeline's.
        preprocessed = model.predict(inputs, num_samples=num_samples, seed=seed)
        report[f"round_trip_accuracy_{size}px"] = uncertainty.accuracy(preprocessed.mean_probs, test.labels)
    if ood is not None:
        ood_prediction = model.predict(ood.images, num_samples=num_samples, seed=seed + 1, progress=progress)
        report.update(ood_metrics(prediction, ood_prediction, sampled=answers_with_samples(model.kind)))
    bins = uncertainty.reliability_bins(prediction.mean_probs, test.labels, ECE_BINS)
    report["reliability"] = {key: value.tolist() for key, value in bins.items()}
    return report


def build_report(
    models: list[DigitModel],
    test: Dataset,
    ood: Dataset | None,
    num_samples: int,
    seed: int = 0,
    log: Callable[[str], None] = lambda line: None,
    progress: bool = False,
    round_trip: bool = False,
) -> dict:
    """The side-by-side report of ``models`` (keyed by kind), shaped as documented in the README.

    ``log`` receives a line as each model starts and ends; ``progress`` shows progress bars over the images.
    ``round_trip`` adds the train/serve check: the test digits through ``preprocess_image`` at ROUND_TRIP_SIZES.
    """
    round_trips, geometry = {}, {}
    if round_trip:
        started = time.perf_counter()
        round_trips = {size: round_trip_inputs(test.images, size) for size in ROUND_TRIP_SIZES}
        geometry = {f"{size}px": round_trip_geometry(test.images, inputs) for size, inputs in round_trips.items()}
        log(f"preprocessed {len(test):,} test digits at {ROUND_TRIP_SIZES} px in {time.perf_counter() - started:.1f} s")
    results = {}
    for model in models:
        images = len(test) + (len(ood) if ood is not None else 0)
        log(f"{model.name}: predicting {images:,} images at T = {model.samples_used(num_samples)} ...")
        started = time.perf_counter()
        metrics = evaluate_model(model, test, ood, num_samples, seed, progress, round_trips)
        results[model.kind] = {"name": model.name, **metrics}
        log(f"{model.name}: done in {time.perf_counter() - started:.1f} s")
    return {
        "num_samples": num_samples,
        "seed": seed,
        "test_size": len(test),
        "ood_set": "Fashion-MNIST test" if ood is not None else None,
        "ood_size": len(ood) if ood is not None else 0,
        **({"round_trip": geometry} if round_trip else {}),
        "models": results,
    }


TABLE_ROWS = (
    ("accuracy", "test accuracy", "{:.4f}"),
    ("nll", "test NLL (nats)", "{:.4f}"),
    ("brier", "Brier score", "{:.4f}"),
    ("ece", f"ECE ({ECE_BINS} bins)", "{:.4f}"),
    ("accuracy_at_95_coverage", "accuracy, 95 % most certain", "{:.4f}"),
    ("ood_auroc_entropy", "OOD AUROC, entropy", "{:.4f}"),
    ("ood_auroc_mutual_information", "OOD AUROC, mutual information", "{:.4f}"),
    ("ood_auroc_max_probability", "OOD AUROC, max probability", "{:.4f}"),
    *((f"round_trip_accuracy_{size}px", f"accuracy, preprocessed at {size} px", "{:.4f}") for size in ROUND_TRIP_SIZES),
    ("num_samples", "weight samples T", "{}"),
)


def format_table(report: dict) -> str:
    """The report's metrics as a plain-text table, one column per model."""
    names = list(report["models"])
    lines = [f"{'':<32}" + "".join(f"{name:>15}" for name in names)]
    for key, label, fmt in TABLE_ROWS:
        cells = []
        for name in names:
            value = report["models"][name].get(key)
            cells.append(f"{'-' if value is None else fmt.format(value):>15}")
        if any(cell.strip() != "-" for cell in cells):
            lines.append(f"{label:<32}" + "".join(cells))
    return "\n".join(lines)


def format_methods_table(
    report: dict, shift_report: dict | None, cards: dict[str, ModelCard], latency_ms: dict[str, float] | None = None
) -> str:
    """A Markdown table comparing every network kind of one architecture on the same rows.

    ``report`` from :func:`build_report`; ``shift_report`` from ``bnn.evaluation.shift``; ``cards`` the model cards by kind
    (training time and weights size); ``latency_ms`` one image at T = 100 by kind, from ``python -m bench``.
    """
    kinds = list(report["models"])
    arch = cards[kinds[0]].arch
    shifted = {kind: _shift_rows(shift_report, network_name(arch, kind)) for kind in kinds} if shift_report else {}
    if not all(shifted.values()):  # a network the shift benchmark has not scored yet
        shifted = {}

    def metric(key: str, digits: int = 4) -> list[str]:
        return [_cell(report["models"][kind].get(key), digits) for kind in kinds]

    rows = [
        ("test accuracy", metric("accuracy")),
        ("test NLL (nats)", metric("nll")),
        ("Brier score", metric("brier")),
        (f"ECE ({ECE_BINS} bins)", metric("ece")),
        ("accuracy, 95 % most certain (by entropy)", metric("accuracy_at_95_coverage")),
        ("Fashion-MNIST AUROC, entropy", metric("ood_auroc_entropy")),
        ("Fashion-MNIST AUROC, mutual information", metric("ood_auroc_mutual_information")),
        (f"accuracy, preprocessed at {CANVAS_SIZE} px", metric(f"round_trip_accuracy_{CANVAS_SIZE}px")),
    ]
    if shifted:
        best = _lowest_nll_counts(shifted)
        count = len(next(iter(shifted.values())))
        rows += [
            (
                f"shift: mean accuracy over {count} corrupted rows",
                [_cell(_mean(shifted[k], "accuracy"), 3) for k in kinds],
            ),
            ("shift: mean NLL (nats)", [_cell(_mean(shifted[k], "nll"), 3) for k in kinds]),
            (f"shift: rows with the lowest NLL of the {len(kinds)}", [str(best[kind]) for kind in kinds]),
        ]
    rows += [
        ("weight samples T per image", [str(report["models"][kind]["num_samples"]) for kind in kinds]),
        (
            "training time on this machine (min)",
            [_cell(sum(cards[k].epoch_seconds) / 60, 0) for k in kinds],
        ),
        ("weights (MB)", [_cell(cards[kind].weights_bytes / 1e6, 1) for kind in kinds]),
    ]
    if latency_ms:
        rows.append(("one image, T = 100 (ms, median)", [_cell(latency_ms.get(kind), 1) for kind in kinds]))
    header = "| | " + " | ".join(kinds) + " |"
    lines = [header, "|---" + "|---:" * len(kinds) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _shift_rows(shift_report: dict, network: str) -> list[dict]:
    return [row for row in shift_report["rows"] if row["network"] == network and row["corruption"] != "clean"]


def _mean(rows: list[dict], key: str) -> float | None:
    return float(np.mean([row[key] for row in rows])) if rows else None


def _lowest_nll_counts(shifted: dict[str, list[dict]]) -> dict[str, int]:
    """Per kind, on how many corrupted rows its NLL is the lowest of all kinds."""
    counts = dict.fromkeys(shifted, 0)
    for rows in zip(*shifted.values(), strict=True):
        counts[list(shifted)[int(np.argmin([row["nll"] for row in rows]))]] += 1
    return counts
