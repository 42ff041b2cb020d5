"""The photo report: generated uploads and crops (`bnn.corpora.photos`) read exactly as the Upload tab reads a file."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bnn.config import IMAGE_SIZE
from bnn.data import Dataset
from bnn.image import BlankImageError, preprocess_image
from bnn.model.predict import DigitModel


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
