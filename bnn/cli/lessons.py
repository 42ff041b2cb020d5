"""``python -m bnn teach``: image files and their true digits taught to the shipped variational network and its
twin (`bnn.teach`); both are written to a folder that `bnn.load_model` and ``--assets-dir`` read."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from bnn.cli.predict import ProgressBar, image_paths

TAUGHT_KINDS = ("bayesian", "deterministic")


def teach(args: argparse.Namespace) -> int:
    from bnn.image import preprocess_image
    from bnn.model.predict import load_model, save_model
    from bnn.model.teach import TEACH_STEPS
    from bnn.model.teach import teach as teach_model

    paths = image_paths(args.files)
    labels = _labels(args, [path for path, _ in paths])
    images = []
    for (path, problem), label in zip(paths, labels, strict=True):
        if problem:
            raise ValueError(f"{path}: {problem}")
        try:
            images.append(preprocess_image(path.read_bytes()))
        except (OSError, ValueError) as error:  # blank or unreadable: nothing is taught
            raise ValueError(f"{path} (labelled {label}): {error} Nothing was taught.") from None
    images = np.stack(images)
    models = {kind: load_model(kind, args.network, args.assets_dir) for kind in TAUGHT_KINDS}
    bar = ProgressBar(TEACH_STEPS * len(models), "steps")
    taught = {}
    for kind, model in models.items():
        taught[kind] = teach_model(model, images, labels, seed=args.seed, progress=lambda step, total: bar.advance())
    args.output.mkdir(parents=True, exist_ok=True)
    cards = {kind: str(save_model(model, args.output)) for kind, model in taught.items()}
    before = {kind: _digits(model, images) for kind, model in models.items()}
    after = {kind: _digits(model, images) for kind, model in taught.items()}
    summary = {
        "network": args.network,
        "output": str(args.output),
        "cards": cards,
        "examples": len(labels),
        "taught_examples": {kind: model.card.taught_examples for kind, model in taught.items()},
        "labels": [int(label) for label in labels],
        "read_before": before,
        "read_after": after,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for kind in TAUGHT_KINDS:
            right = [
                sum(int(a == b) for a, b in zip(read, labels, strict=True)) for read in (before[kind], after[kind])
            ]
            print(f"{kind}: {right[0]} of {len(labels)} read right before, {right[1]} after -> {cards[kind]}")
    return 0


def _labels(args: argparse.Namespace, files: list[Path]) -> np.ndarray:
    """The true digit of every file, from ``--labels`` (in order) or ``--labels-csv`` (file,label rows)."""
    if args.labels is not None:
        try:
            labels = [int(text) for text in args.labels.split(",") if text.strip()]
        except ValueError:
            raise ValueError(f"--labels takes digits separated by commas, got {args.labels!r:.80}") from None
    else:
        rows = {}
        with open(args.labels_csv, newline="") as stream:
            for row in csv.reader(stream):
                if len(row) >= 2 and row[0].strip() and row[0].strip().lower() != "file":
                    rows[row[0].strip()] = row[1].strip()
        missing = [str(path) for path in files if str(path) not in rows and path.name not in rows]
        if missing:
            raise ValueError(f"{args.labels_csv} gives no label for {', '.join(missing[:5])}")
        try:
            labels = [int(rows.get(str(path), rows.get(path.name))) for path in files]
        except ValueError:
            raise ValueError(f"{args.labels_csv}: every label is a digit 0 to 9") from None
    if len(labels) != len(files):
        raise ValueError(f"{len(files)} images but {len(labels)} labels: give one label per image, in order")
    if any(not 0 <= label <= 9 for label in labels):
        raise ValueError(f"labels are the digits 0 to 9, got {labels}")
    return np.array(labels)


def _digits(model, images: np.ndarray) -> list[int]:
    return [int(digit) for digit in model.predict(images, num_samples=100, seed=0).label]
