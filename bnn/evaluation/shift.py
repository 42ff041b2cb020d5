"""The shift benchmark: MNIST test digits, corrupted at high resolution, through the app's own preprocessing.

Every corruption of ``bnn.evaluation.corruptions.CORRUPTIONS`` is applied to the upsampled digits (112 px on a 160 px
canvas), the result is quantised to 8 bits like every real image, and `bnn.preprocess_image` turns each image
into the (28, 28) input, exactly as for a drawing or an upload. Every shipped network then predicts the whole
batch.

    report = run_shift_benchmark(num_images=1000, num_samples=100)   # the JSON written by `python -m bnn shift`
    print(format_shift_table(report))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bnn.config import (
    IMAGE_SIZE,
    NUM_CLASSES,
    NUM_TEST,
    Config,
    answers_with_samples,
)
from bnn.data import load_mnist
from bnn.evaluation.corruptions import (
    CORRUPTIONS,
    FAMILIES,
    PADDED_SIZE,
    RESOLUTION,
    UPSAMPLING,
    Corruption,
    corrupt,
    corruption_rng,
    upsample,
)
from bnn.image import BlankImageError, preprocess_image
from bnn.model.weights import shipped_architectures, shipped_kinds

if TYPE_CHECKING:  # the types only: importing bnn.model.predict loads TensorFlow, which the corruptions do not need
    from bnn.model.predict import DigitModel

NUM_IMAGES = 1000  # default: the first 1,000 MNIST test digits, a subset as every row corrupts each of them
BLANK_RULE = (
    "an image preprocess_image finds blank gets the uniform prediction (0.1 per digit in every sample) and "
    "counts as wrong in accuracy; it is never dropped"
)


def corrupted_inputs(canvases: np.ndarray, corruption: Corruption, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 160, 160) canvases -> ((N, 28, 28) network inputs, (N,) bool: preprocess found the image blank).

    Each corrupted image is quantised to 8 bits, as a canvas or camera image is, and preprocessed on its
    own by `bnn.preprocess_image`, exactly as the app does; a blank image's input is all zeros.
    """
    inputs = np.zeros((len(canvases), IMAGE_SIZE, IMAGE_SIZE), np.float32)
    blank = np.zeros(len(canvases), bool)
    for index, canvas in enumerate(canvases):
        image = corrupt(canvas, corruption, corruption_rng(seed, corruption, index))
        try:
            inputs[index] = preprocess_image(np.round(image * 255).astype(np.uint8))
        except BlankImageError:
            blank[index] = True
    return inputs, blank


def shift_metrics(model: DigitModel, inputs: np.ndarray, blank: np.ndarray, labels: np.ndarray, **predict) -> dict:
    """Scores of ``model`` on (N, 28, 28) ``inputs``; blank images get the uniform prediction and count as wrong.

    ``predict`` is passed to ``model.predict`` (``num_samples``, ``seed``). Entropies are in nats. In ECE and
    ``accuracy_at_95_coverage`` a blank image's uniform prediction reads as a guess of 0 (it is rare).
    """
    from bnn.model.metrics import prediction_metrics
    from bnn.model.predict import Prediction

    seen = model.predict(inputs[~blank], **predict).samples  # (T, N - blanks, 10)
    samples = np.full((seen.shape[0], len(labels), NUM_CLASSES), 1 / NUM_CLASSES, np.float32)
    samples[:, ~blank] = seen
    prediction = Prediction(samples)
    metrics = prediction_metrics(prediction, labels)
    metrics["accuracy"] = float(np.mean((prediction.label == labels) & ~blank))  # argmax of uniform would say 0
    metrics["mean_entropy"] = float(np.mean(prediction.predictive_entropy))
    metrics["mean_mutual_information"] = (
        float(np.mean(prediction.mutual_information)) if answers_with_samples(model.kind) else 0.0
    )
    metrics["blank_images"] = int(blank.sum())
    return metrics


def run_shift_benchmark(
    num_images: int = NUM_IMAGES,
    num_samples: int = Config.evaluation_samples,
    seed: int = Config.seed,
    data_dir: str | Path | None = None,
    assets_dir: str | Path | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    """Every corruption of CORRUPTIONS on the first ``num_images`` MNIST test digits, scored for every shipped network.

    Returns the report written as JSON by ``python -m bnn shift``: settings, ``families`` (each corruption's
    parameters) and ``rows``, one per (corruption, severity, network). ``log`` receives a line per family.
    """
    from bnn.model.predict import load_model

    if not 1 <= num_images <= NUM_TEST:
        raise ValueError(f"num_images must be between 1 and {NUM_TEST}, got {num_images}")
    test = load_mnist(data_dir).test
    labels = test.labels[:num_images]
    models = [
        load_model(kind, arch, assets_dir)
        for arch in shipped_architectures(assets_dir)
        for kind in shipped_kinds(arch, assets_dir)
    ]
    if not models:
        raise FileNotFoundError(
            f"No shipped networks in {assets_dir or 'assets/'}: restore them with `git checkout -- assets/`."
        )
    canvases = upsample(test.images[:num_images])
    rows = []
    started = time.perf_counter()
    for family in FAMILIES:
        family_started = time.perf_counter()
        for corruption in (item for item in CORRUPTIONS if item.family == family):
            inputs, blank = corrupted_inputs(canvases, corruption, seed)  # once, shared by every network
            for model in models:
                metrics = shift_metrics(model, inputs, blank, labels, num_samples=num_samples, seed=seed)
                row = {"corruption": family, "severity": corruption.severity, "network": model.name}
                rows.append({**row, **metrics})
        severities = sum(item.family == family for item in CORRUPTIONS)
        log(
            f"{family}: {severities} x {len(labels)} images x {len(models)} networks done in "
            f"{time.perf_counter() - family_started:.1f} s (total {time.perf_counter() - started:.0f} s)"
        )
    return {
        "num_images": num_images,
        "num_samples": num_samples,
        "seed": seed,
        "resolution": RESOLUTION,
        "canvas_size": PADDED_SIZE,
        "upsampling": f"Pillow {UPSAMPLING.name.lower()}, {IMAGE_SIZE} -> {RESOLUTION} px, centred on the canvas",
        "blank_rule": BLANK_RULE,
        "networks": [model.name for model in models],
        "families": {
            family: {
                "description": description,
                "severities": [
                    {"severity": item.severity, "parameters": item.parameters}
                    for item in CORRUPTIONS
                    if item.family == family
                ],
            }
            for family, description in FAMILIES.items()
        },
        "rows": rows,
    }
