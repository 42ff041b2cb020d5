"""The teaching report: how much a network learns of a style it was not trained on from k examples per class, and
what it forgets. Styles: scikit-learn's optical digits (8 x 8 scans of 43 writers, enlarged), black-and-white crops
of MNIST test digits, and a photo condition of `bnn.corpora.photos`; every image goes through `preprocess_image`.

For each k and each of a few random draws of k examples per class, the variational network and its deterministic
twin are taught those examples (`bnn.teach`, one lesson) and scored on the rest of the style (accuracy, NLL), on the
MNIST test set (accuracy) and against Fashion-MNIST (AUROC by mutual information, for the variational network).

    report = teaching_report(models, split.test, fashion)          # -> assets/teaching.json
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from bnn.data import Dataset
from bnn.model import uncertainty
from bnn.model.predict import DigitModel
from bnn.model.teach import CORESET_PER_CLASS, TEACH_STEPS, teach

EXAMPLES_PER_CLASS = (1, 2, 5, 10)  # k: examples of each digit taught
DRAWS = 5  # random draws of the k examples per class, each taught to a fresh copy of the shipped networks
NUM_SAMPLES = 30  # weight samples per image when scoring
STYLE_DIGITS = 1500  # MNIST test digits rendered in each generated style (the optical digits are all used)
OPTICAL = "optical digits (scikit-learn, 43 writers, 8 x 8)"
BINARY_CROP = "binary 16 px, thick 1 px, light on dark, nearest x4"
PHOTO = "hard shadow edge"


def optical_digits() -> Dataset:
    """scikit-learn's 1,797 optical digits (UCI; 8 x 8, 17 grey levels, white ink on black) enlarged to 64 x 64 and
    read as the Upload tab reads an image."""
    from PIL import Image
    from sklearn.datasets import load_digits

    from bnn.image import preprocess_image

    digits = load_digits()
    images = []
    for image in digits.images:
        pixels = Image.fromarray(np.round(image / 16 * 255).astype(np.uint8))
        images.append(preprocess_image(pixels.resize((64, 64), Image.Resampling.BILINEAR)))
    return Dataset(np.stack(images), digits.target.astype(np.int64))


def generated_style(name: str, test: Dataset, seed: int = 0) -> Dataset:
    """The first STYLE_DIGITS test digits as crop or photo condition ``name`` of `bnn.corpora.photos`, read as
    uploads; digits the reader refuses as blank are left out."""
    from bnn.corpora.photos import CONDITIONS, crop_corpus, photo_corpus
    from bnn.evaluation.photos import read_uploads

    images, labels = test.images[:STYLE_DIGITS], test.labels[:STYLE_DIGITS]
    uploads = (photo_corpus(images, seed, (name,)) if name in CONDITIONS else crop_corpus(images, seed, (name,))[0])[
        name
    ]
    inputs, read = read_uploads(uploads)
    return Dataset(inputs[read], labels[read])


def teaching_report(
    models: dict[str, DigitModel],
    test: Dataset,
    ood: Dataset,
    styles: dict[str, Dataset] | None = None,
    examples_per_class: tuple[int, ...] = EXAMPLES_PER_CLASS,
    draws: int = DRAWS,
    num_samples: int = NUM_SAMPLES,
    seed: int = 0,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    """Every style, k and draw: ``models`` (the variational network and its twin, by kind) taught and scored."""
    styles = styles if styles is not None else default_styles(test, seed)
    untaught = {kind: _general_scores(model, test, ood, num_samples, seed) for kind, model in models.items()}
    report = {
        "examples_per_class": list(examples_per_class),
        "draws": draws,
        "num_samples": num_samples,
        "seed": seed,
        "steps": TEACH_STEPS,
        "coreset": 10 * CORESET_PER_CLASS,
        "test_size": len(test),
        "ood_size": len(ood),
        "untaught": untaught,
        "styles": {},
    }
    for name, style in styles.items():
        rows = {kind: {} for kind in models}
        for k in examples_per_class:
            for kind in models:
                rows[kind][str(k)] = {key: [] for key in ("accuracy", "nll", "untaught_accuracy", "untaught_nll")}
                rows[kind][str(k)].update({"mnist_accuracy": [], "ood_auroc_mutual_information": [], "seconds": []})
            for draw in range(draws):
                rng = np.random.default_rng([seed, k, draw])
                chosen = np.concatenate(
                    [rng.choice(np.flatnonzero(style.labels == digit), k, replace=False) for digit in range(10)]
                )
                rest = np.setdiff1d(np.arange(len(style.labels)), chosen)
                for kind, model in models.items():
                    started = time.perf_counter()
                    taught = teach(model, style.images[chosen], style.labels[chosen], seed=seed + draw)
                    seconds = time.perf_counter() - started
                    row = rows[kind][str(k)]
                    for prefix, scored in (("", taught), ("untaught_", model)):
                        scores = _style_scores(scored, style.images[rest], style.labels[rest], num_samples, seed)
                        row[f"{prefix}accuracy"].append(scores["accuracy"])
                        row[f"{prefix}nll"].append(scores["nll"])
                    general = _general_scores(taught, test, ood, num_samples, seed)
                    row["mnist_accuracy"].append(general["mnist_accuracy"])
                    row["ood_auroc_mutual_information"].append(general["ood_auroc_mutual_information"])
                    row["seconds"].append(seconds)
            log(f"{name}: k = {k} done")
        report["styles"][name] = {"size": len(style.labels), "networks": rows}
    return report


def default_styles(test: Dataset, seed: int = 0) -> dict[str, Dataset]:
    return {
        OPTICAL: optical_digits(),
        BINARY_CROP: generated_style(BINARY_CROP, test, seed),
        PHOTO: generated_style(PHOTO, test, seed),
    }


def _style_scores(model: DigitModel, images: np.ndarray, labels: np.ndarray, num_samples: int, seed: int) -> dict:
    probs = model.predict(images, num_samples, seed=seed).mean_probs
    return {
        "accuracy": uncertainty.accuracy(probs, labels),
        "nll": uncertainty.negative_log_likelihood(probs, labels),
    }


def _general_scores(model: DigitModel, test: Dataset, ood: Dataset, num_samples: int, seed: int) -> dict:
    inside = model.predict(test.images, num_samples, seed=seed)
    score = {"mnist_accuracy": uncertainty.accuracy(inside.mean_probs, test.labels)}
    if inside.num_samples > 1:
        outside = model.predict(ood.images, num_samples, seed=seed + 1)
        score["ood_auroc_mutual_information"] = uncertainty.auroc(inside.mutual_information, outside.mutual_information)
    else:
        score["ood_auroc_mutual_information"] = None
    return score


def summary(report: dict) -> dict:
    """Per style, network and k: the mean over draws of each score, and the error on the rest of the style as a
    share of the untaught error (0.5: halved)."""
    result = {}
    for name, style in report["styles"].items():
        result[name] = {}
        for kind, by_k in style["networks"].items():
            result[name][kind] = {}
            for k, row in by_k.items():
                error = 1 - np.mean(row["accuracy"])
                untaught_error = 1 - np.mean(row["untaught_accuracy"])
                result[name][kind][k] = {
                    "accuracy": float(np.mean(row["accuracy"])),
                    "untaught_accuracy": float(np.mean(row["untaught_accuracy"])),
                    "error_ratio": float(error / untaught_error) if untaught_error > 0 else None,
                    "nll": float(np.mean(row["nll"])),
                    "mnist_fall": report["untaught"][kind]["mnist_accuracy"] - float(np.mean(row["mnist_accuracy"])),
                    "ood_auroc_mutual_information": (
                        None
                        if row["ood_auroc_mutual_information"][0] is None
                        else float(np.mean(row["ood_auroc_mutual_information"]))
                    ),
                    "seconds_p50": float(np.median(row["seconds"])),
                }
    return result
