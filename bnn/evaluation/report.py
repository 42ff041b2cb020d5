"""The evaluation report: calibration on MNIST test, out-of-distribution detection on Fashion-MNIST, and the
round trip of the test digits through the serving pipeline (no train/serve skew)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from bnn.config import CANVAS_SIZE, IMAGE_SIZE, answers_with_samples
from bnn.data import Dataset
from bnn.image import preprocess_image
from bnn.model import uncertainty
from bnn.model.metrics import ECE_BINS, ood_metrics, prediction_metrics
from bnn.model.predict import DigitModel

ROUND_TRIP_SIZES = (IMAGE_SIZE, 112, CANVAS_SIZE)  # px: MNIST's own size, and enlarged as drawn on a canvas


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
    """The side-by-side report of ``models``: settings, the round trip's geometry when asked, and under ``models``
    each kind's :func:`evaluate_model` metrics.

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
