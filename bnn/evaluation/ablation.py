"""The variational MLP's recipe ablation: candidate settings trained on the same budget, scored on validation only.

Each candidate is a :class:`Config` of the MLP "bayesian" kind that differs from the defaults in a few fields:
the tempering of the KL term (``kl_weight``, Wenzel et al. 2020), where the posterior starts (``posterior_init``
"twin" and ``posterior_init_fraction``: MOPED, Krishnan et al. 2020), the prior scale or the schedule. Every
candidate is trained by ``bnn.model.train.fit`` for the same number of epochs and scored on the 5,000 validation digits
(never the test set: the split handed to training has no test images), on a subset of ``bnn.evaluation.corruptions``' table
applied to validation digits, and on Fashion-MNIST (AUROC by mutual information, as ``bnn.evaluation.report`` scores it).

    report = run_ablation(load_mnist().train, load_mnist().validation, load_fashion_mnist_test(), Path("a.json"))
    print(format_ablation_table(report))

The JSON is rewritten after every candidate, and a rerun skips the candidates it already holds.

A winner at the ablation's short budget is not yet a recipe to ship: the shipped networks train for up to 60
epochs, the candidates for 12. :func:`confirm` scores a candidate trained to full length (``python -m bnn train``
with its settings) against the shipped network and its deterministic twin, on the same validation scores with
shift over every corrupted row (CONFIRMATION_CORRUPTIONS), by CONFIRMATION_RULE; only a confirmed candidate
becomes the shipped recipe (:func:`shipped_recipe`, and so ``Config``'s defaults for its architecture).

    confirm(report, shipped_model, twin_model, full_length_model, "kl-0.3", validation, ood)   # -> report["confirmation"]
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bnn.config import Config, answers_with_samples
from bnn.data import Dataset, MnistSplit
from bnn.evaluation import corruptions as corruptions_module
from bnn.evaluation import shift
from bnn.model.card import ModelCard

EPOCHS = 12  # default budget per candidate: short, so every candidate runs; a winner is confirmed at full length
NUM_SAMPLES = 30  # weight samples T per image when scoring a candidate
SHIFT_IMAGES = 1000  # the first 1,000 validation digits are corrupted
# One severe row per corruption family of bnn.evaluation.corruptions (both 90 degree turns: where variational
# inference leads the twin).
SHIFT_CORRUPTIONS = (
    "rotation:-90",
    "rotation:45",
    "rotation:90",
    "shear:0.5",
    "scale:0.25",
    "aspect:0.6",
    "thickness:thicker",
    "elastic:strong",
    "off_centre:top-left",
    "blur:strong",
    "noise:strong",
    "canvas:pen-14px",
)
REFERENCE = "kl-1"  # the untempered ELBO from scratch: the textbook recipe, which every candidate is compared with
# The reference's recipe: every candidate is these fields plus its own settings, so candidates stay comparable
# whatever Config's defaults are (they follow the confirmed recipe).
RECIPE_BEFORE = {
    "kl_weight": 1.0,
    "posterior_init": "none",
    "posterior_init_fraction": None,
    "posterior_init_scale": 1e-3,
    "prior_scale": 3.0,
}
RECIPE = ("kl_weight", "posterior_init", "posterior_init_fraction")  # what a model card's training section records
SELECTION_RULE = (
    f"lowest validation NLL among the candidates whose Fashion-MNIST AUROC by mutual information is at least "
    f"{REFERENCE}'s and whose shift NLL is no worse than {REFERENCE}'s, at the same budget; if none, {REFERENCE}"
)


@dataclass(frozen=True)
class Candidate:
    """One recipe: its ``Config`` fields that differ from the defaults, and why it is tried."""

    name: str
    settings: dict = field(default_factory=dict)
    why: str = ""
    epochs_factor: int = 1  # trained for this many times the ablation's epochs


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(REFERENCE, {}, "the untempered ELBO from He-normal means, as shipped before"),
    Candidate("kl-0.1", {"kl_weight": 0.1}, "tempered: augmentation makes VI under-confident (Kapoor et al. 2022)"),
    Candidate(
        "twin-kl-0.1-moped-0.1",
        {"kl_weight": 0.1, "posterior_init": "twin", "posterior_init_fraction": 0.1},
        "MOPED: means at the twin, sigma 0.1 x |mu|, tempered",
    ),
    Candidate(
        "twin-kl-1-moped-0.1",
        {"posterior_init": "twin", "posterior_init_fraction": 0.1},
        "MOPED: means at the twin, sigma 0.1 x |mu|, untempered",
    ),
    Candidate(
        "twin-kl-0.1-sigma-1e-3",
        {"kl_weight": 0.1, "posterior_init": "twin"},
        "means at the twin, sigma 0.001 (the issue's first try), tempered",
    ),
    Candidate("kl-0.3", {"kl_weight": 0.3}, "tempered, milder"),
    Candidate("kl-0.03", {"kl_weight": 0.03}, "tempered, stronger"),
    Candidate("kl-0.01", {"kl_weight": 0.01}, "tempered, strongest"),
    Candidate("twin-kl-1-sigma-1e-3", {"posterior_init": "twin"}, "means at the twin, sigma 0.001, untempered"),
    Candidate(
        "twin-kl-0.3-moped-0.1",
        {"kl_weight": 0.3, "posterior_init": "twin", "posterior_init_fraction": 0.1},
        "MOPED between the two KL weights",
    ),
    Candidate("kl-0.1-prior-1", {"kl_weight": 0.1, "prior_scale": 1.0}, "tempered, with a tighter N(0, 1) prior"),
    Candidate(
        "twin-kl-1-moped-0.1-long",
        {"posterior_init": "twin", "posterior_init_fraction": 0.1},
        "MOPED untempered, twice the epochs: does the posterior widen from the twin given time?",
        epochs_factor=2,
    ),
    Candidate(
        "nd-kl-1",
        {"likelihood": "noisy-dirichlet"},
        "the noisy-Dirichlet likelihood (alpha 0.01) against augmentation's under-confidence (Kapoor et al. 2022)",
    ),
    Candidate(
        "nd-0.001-kl-1",
        {"likelihood": "noisy-dirichlet", "dirichlet_alpha": 0.001},
        "the noisy Dirichlet with sharper targets: alpha 0.01 caps the true class near 0.99 of 10",
    ),
    Candidate(
        "twin-kl-1-moped-0.3",
        {"posterior_init": "twin", "posterior_init_fraction": 0.3},
        "MOPED with a wider start, sigma 0.3 x |mu|: does the posterior keep the width that OOD detection needs?",
    ),
    Candidate(
        "twin-kl-1-moped-1",
        {"posterior_init": "twin", "posterior_init_fraction": 1.0},
        "MOPED at its widest, sigma = |mu|: the twin's means, a from-scratch-like width",
    ),
    Candidate(
        "twin-kl-0.1-moped-1",
        {"kl_weight": 0.1, "posterior_init": "twin", "posterior_init_fraction": 1.0},
        "the widest MOPED start, tempered: the width for OOD, a weaker KL pull for clean confidence",
    ),
    Candidate(
        "twin-kl-0.3-moped-1",
        {"kl_weight": 0.3, "posterior_init": "twin", "posterior_init_fraction": 1.0},
        "the widest MOPED start, tempered more mildly",
    ),
    Candidate("kl-0.5", {"kl_weight": 0.5}, "tempered, between kl-0.3's clean scores and kl-1's sideways digits"),
)


def candidate_config(candidate: Candidate, epochs: int, base: Config | None = None) -> Config:
    """The MLP "bayesian" Config of ``candidate`` at ``epochs`` x its factor: RECIPE_BEFORE with the candidate's
    settings (other fields from ``base``)."""
    base = base or Config(kind="bayesian", arch="mlp")
    recipe = {**RECIPE_BEFORE, **candidate.settings}
    return dataclasses.replace(base, **recipe, epochs=epochs * candidate.epochs_factor)


def shift_inputs(
    validation: Dataset, num_images: int, corruptions: tuple[str, ...], seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per corruption key, ``bnn.evaluation.shift.corrupted_inputs`` of the first ``num_images`` validation digits:
    ((N, 28, 28) inputs, (N,) blank flags), computed once and shared by every candidate."""
    by_key = {corruption.key: corruption for corruption in corruptions_module.CORRUPTIONS}
    unknown = sorted(set(corruptions) - set(by_key))
    if unknown:
        raise ValueError(
            f"unknown corruptions {unknown}; choose among bnn.evaluation.corruptions.CORRUPTIONS: {sorted(by_key)}"
        )
    canvases = corruptions_module.upsample(validation.images[:num_images])
    return {key: shift.corrupted_inputs(canvases, by_key[key], seed) for key in corruptions}


def score(model, validation: Dataset, ood: Dataset, shifted: dict, num_samples: int, seed: int) -> dict:
    """Validation metrics of one trained ``model`` (a ``bnn.model.predict.DigitModel``): accuracy, NLL, ECE, mean top
    probability; mean NLL and accuracy over the ``shifted`` validation rows; Fashion-MNIST AUROCs."""
    from bnn.evaluation import (
        report as evaluate,  # loads TensorFlow: not at import, so that `python -m bnn --help` stays quick
    )

    prediction = model.predict(validation.images, num_samples, seed=seed)
    metrics = evaluate.prediction_metrics(prediction, validation.labels)
    metrics["mean_top_probability"] = float(np.mean(prediction.probability))
    rows = {
        key: shift.shift_metrics(
            model, inputs, blank, validation.labels[: len(blank)], num_samples=num_samples, seed=seed
        )
        for key, (inputs, blank) in shifted.items()
    }
    metrics["shift_nll"] = float(np.mean([row["nll"] for row in rows.values()])) if rows else None
    metrics["shift_accuracy"] = float(np.mean([row["accuracy"] for row in rows.values()])) if rows else None
    metrics["shift_rows"] = {key: {"nll": row["nll"], "accuracy": row["accuracy"]} for key, row in rows.items()}
    ood_prediction = model.predict(ood.images, num_samples, seed=seed + 1)
    metrics.update(evaluate.ood_metrics(prediction, ood_prediction, sampled=answers_with_samples(model.kind)))
    return metrics


def run_ablation(
    train_set: Dataset,
    validation: Dataset,
    ood: Dataset,
    output: Path,
    epochs: int = EPOCHS,
    only: tuple[str, ...] | None = None,
    candidates: tuple[Candidate, ...] = CANDIDATES,
    num_samples: int = NUM_SAMPLES,
    shift_images: int = SHIFT_IMAGES,
    corruptions: tuple[str, ...] = SHIFT_CORRUPTIONS,
    base: Config | None = None,
    twin_dir: Path | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    """Train and score each candidate (``only``: those names) and write ``output`` after each one.

    Candidates already in ``output`` are kept, not retrained; its settings (epochs, T, shift rows) must match.
    Returns the report (see :func:`format_ablation_table`). ``twin_dir``: where the deterministic twin is read.
    """
    from bnn.model.predict import DigitModel
    from bnn.model.train import fit, read_twin

    chosen = [candidate for candidate in candidates if only is None or candidate.name in only]
    unknown = sorted(set(only or ()) - {candidate.name for candidate in candidates})
    if unknown:
        raise ValueError(f"unknown candidates {unknown}; choose among {[c.name for c in candidates]}")
    base = base or Config(kind="bayesian", arch="mlp")
    report = _report_header(epochs, num_samples, shift_images, corruptions, base, len(train_set), len(validation))
    report["ood_size"] = len(ood)
    previous = json.loads(output.read_text()) if output.is_file() else None
    if previous is not None:
        compared = set(report) - {"candidates", "selection_rule"}  # the rule is applied anew to what the file holds
        mismatched = sorted(key for key in compared if previous.get(key) != report[key])
        if mismatched:
            raise ValueError(
                f"{output} was run with other settings ({', '.join(mismatched)}); rerun with those or write a new "
                "--output"
            )
        report = {**previous, "selection_rule": report["selection_rule"]}
    done = {row["name"] for row in report["candidates"]}
    # the split seen by training: no test images, so no test number can inform the choice
    split = MnistSplit(train_set, validation, Dataset(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)), "")
    shifted = None
    for candidate in chosen:
        if candidate.name in done:
            log(f"{candidate.name}: already in {output}, skipped")
            continue
        if shifted is None:
            shifted = shift_inputs(validation, shift_images, corruptions, base.seed)
        config = candidate_config(candidate, epochs, base)
        log(f"{candidate.name}: training {config.epochs} epochs ({candidate.why})")
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bnn-ablate-") as checkpoints:
            twin = read_twin(config, twin_dir)
            network, fitted = fit(config, split, Path(checkpoints), verbose=0, twin=twin)
        model = DigitModel(network, ModelCard.untrained(config))
        metrics = score(model, validation, ood, shifted, num_samples, config.seed)
        row = {
            "name": candidate.name,
            "why": candidate.why,
            "settings": {**candidate.settings, "epochs": config.epochs},
            "twin_sha256": twin.sha256 if twin is not None else None,
            "best_epoch": fitted.best_epoch + 1,
            "epochs_trained": len(fitted.history["val_nll"]),
            "training_seconds": round(float(np.sum(fitted.epoch_seconds)), 1),
            "seconds": round(time.perf_counter() - started, 1),
            "validation": metrics,
        }
        report["candidates"].append(row)
        write_ablation(output, report)  # after every candidate: a partial run is usable
        log(
            f"{candidate.name}: val NLL {metrics['nll']:.4f}, ECE {metrics['ece']:.4f}, shift NLL "
            f"{metrics['shift_nll']:.3f}, AUROC(MI) {metrics['ood_auroc_mutual_information']:.4f} "
            f"in {row['seconds']:.0f} s"
        )
    report["winner"] = choose_winner(report)
    write_ablation(output, report)
    return report


def _report_header(
    epochs: int,
    num_samples: int,
    shift_images: int,
    corruptions: tuple[str, ...],
    base: Config,
    num_train: int,
    num_validation: int,
) -> dict:
    """What a rerun must share with the file it extends: budget, scoring and the data (the candidates follow)."""
    return {
        "arch": base.arch,
        "kind": base.kind,
        "epochs": epochs,
        "seed": base.seed,
        "num_train": num_train,
        "split": f"validation digits only ({num_validation}); the test set is never used",
        "num_samples": num_samples,
        "shift": {
            "num_images": shift_images,
            "corruptions": list(corruptions),
            # worded as assets/ablation.json records it
            "rule": f"bnn.shift's corruptions of the first {shift_images} validation digits, one severe row per "
            "family (a subset of its 38 rows, to stay cheap); shift_nll is the mean NLL over these rows",
        },
        "ood_set": "Fashion-MNIST test",
        "selection_rule": SELECTION_RULE,
        "candidates": [],
    }


def choose_winner(report: dict) -> str | None:
    """The name chosen by SELECTION_RULE, or None before the reference has run."""
    rows = {row["name"]: row["validation"] for row in report["candidates"]}
    if REFERENCE not in rows:
        return None
    eligible = [name for name, metrics in rows.items() if _keeps_ood_and_shift(metrics, rows[REFERENCE])]
    return min(eligible, key=lambda name: rows[name]["nll"]) if eligible else REFERENCE


def _keeps_ood_and_shift(metrics: dict, reference: dict) -> bool:
    """The selection rule's condition: AUROC by mutual information at least the reference's, shift NLL no worse."""
    return (metrics["ood_auroc_mutual_information"] or 0.0) >= reference["ood_auroc_mutual_information"] and (
        metrics["shift_nll"] <= reference["shift_nll"]
    )


def write_ablation(path: Path, report: dict) -> None:
    """Write the report as ``python -m bnn ablate`` does (rewritten after every candidate and check)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")


def read_ablation(path: Path) -> dict:
    """The ablation report written by :func:`run_ablation`."""
    return json.loads(Path(path).read_text())
