"""Fit the merge decision of `bnn.image.segment` on MNIST's *training* split and write assets/merge-decision.json.

    .venv/bin/python -m scripts.fit_merge_decision [--singles 55000] [--drawn 10000] [--numbers 16000]   # 14 min

Two neighbouring groups of ink that together are no wider than `segment.MERGE_WIDTH_RATIO` times their height
(and not wider than one digit with both `segment.FULL_HEIGHT` tall: two digits without asking) are joined into
one digit when a logistic regression on their `segment.MergeEvidence` says one digit: the shipped
variational MLP's reading of the two together and apart (10 weight samples), the gap between them, their width,
the narrower one's width and the shorter one's height. Its examples, every decision met while segmenting:

- one digit (label 0): single training digits, every one as the 28 px MNIST image and the first ``drawn`` of a
  shuffle also enlarged 7x as drawn on the app's canvas; two-stroke digits (`bnn.corpora.numbers`); and decisions
  between two groups of the same digit in a two-digit number;
- two digits (label 1): decisions between the digits of separated two-digit numbers (`bnn.corpora.numbers`, canvas
  and photo alternately), told by the boundary between the digits lying between the two groups.

One-digit decisions are weighted more: the weight is the largest of SINGLE_WEIGHTS whose out-of-fold decisions
keep no more one-digit pairs apart and join no more pairs of digits than the hand-set rule it replaced (joined when
no wider than one digit and read together at 0.8 or more, and better than apart). The fit is the cut decision's,
`bnn.image.decisions.fit` (an L2-penalised logistic regression on standardised features, 5-fold cross-validation).
Validation and test digits are never used: the decision is judged on them by `scripts.number_validation` and
`tests/unit/test_number.py`.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

import bnn
from bnn.config import CUT_SAMPLES  # as read_number scores candidates
from bnn.corpora import numbers as number_corpus
from bnn.data import load_mnist
from bnn.image import decisions, segment

SINGLE_WEIGHTS = (1.0, 2.5, 4.0, 8.0, 12.0)
RULE = "joined when no wider than one digit, read together at 0.8 or more and better than apart"


def examples(model, images: np.ndarray, labels: np.ndarray, singles: int, drawn: int, numbers: int, seed: int):
    """(N, 6) features, (N,) labels (1: two digits) and (N,) whether each decision came from a single digit."""

    def score(batch: np.ndarray) -> np.ndarray:
        return model.predict(batch, num_samples=CUT_SAMPLES, seed=0).mean_probs

    seen: list[segment.MergeEvidence] = []

    def keep_apart(evidence: segment.MergeEvidence) -> bool:
        seen.append(evidence)
        return False

    def decisions(image) -> tuple[segment.Segmentation, list[segment.MergeEvidence]]:
        seen.clear()
        found = segment.segment(image, score, join=keep_apart)
        return found, list(seen)

    order = np.random.default_rng(seed).permutation(len(images))
    features, targets, single = [], [], []
    for count, index in enumerate(order[: max(singles, drawn)]):
        written = [np.round(images[index] * 255).astype(np.uint8)] if count < singles else []
        if count < drawn:
            enlarged = number_corpus._enlarged(images[index], number_corpus.CANVAS_SCALE)
            written.append(number_corpus.canvas(np.pad(enlarged, number_corpus.MARGIN)))
        for pixels in written:
            _, met = decisions(pixels)
            features += [evidence.features() for evidence in met]
            targets += [0] * len(met)
            single += [True] * len(met)
    for count in range(numbers):
        medium = number_corpus.MEDIA[count % 2]
        for layout in ("separated", "two-stroke"):
            rng = np.random.default_rng([seed, count, number_corpus.LAYOUTS.index(layout)])
            sample = number_corpus.number_sample(images, labels, layout, medium, rng, length=2)
            width = sample.image.shape[1] if medium == "canvas" else Image.open(io.BytesIO(sample.image)).size[0]
            found, met = decisions(sample.image)
            boundaries = np.array(sample.boundaries) * found.ink.shape[1] / width  # in the ink image's columns
            for evidence in met:
                low, high = sorted(evidence.between)
                features.append(evidence.features())
                targets.append(int(np.any((boundaries >= low - 1) & (boundaries <= high + 1))))
                single.append(False)
    return np.array(features), np.array(targets), np.array(single)


def counts(joined: np.ndarray, targets: np.ndarray, single: np.ndarray) -> dict:
    """How many one-digit decisions (and of them single digits') keep apart, how many pairs of digits join."""
    return {
        "one_digit_kept_apart": int((~joined & (targets == 0)).sum()),
        "single_digits_kept_apart": int((~joined & single).sum()),
        "two_digits_joined": int((joined & (targets == 1)).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=55000)
    parser.add_argument("--drawn", type=int, default=10000)
    parser.add_argument("--numbers", type=int, default=16000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=segment.MERGE_DECISION)
    args = parser.parse_args()
    model = bnn.load_model("bayesian", "mlp")
    train = load_mnist().train
    features, targets, single = examples(
        model, train.images, train.labels, args.singles, args.drawn, args.numbers, args.seed
    )
    together, joint, width = np.exp(features[:, 0]), np.exp(features[:, 1]), features[:, 3]
    rule = counts((width <= 1.0) & (together >= 0.8) & (together > joint), targets, single)
    validated = {
        weight: counts(~decisions.out_of_fold(features, targets, args.seed, weight), targets, single)
        for weight in SINGLE_WEIGHTS
    }
    mistakes = ("one_digit_kept_apart", "two_digits_joined")
    weight = decisions.largest_weight_no_worse(validated, rule, SINGLE_WEIGHTS[0], at_most=mistakes)
    decision = decisions.fit(features, targets, weight, segment.MergeEvidence.FEATURES)
    drawn = {
        "single_digits": args.singles,
        "drawn_digits": args.drawn,
        "numbers": args.numbers,
        "one_digit_decisions": int((targets == 0).sum()),
        "single_digit_decisions": int(single.sum()),
        "two_digit_decisions": int((targets == 1).sum()),
    }
    report = {
        **decisions.decision_report(decision, model.card.name, model.card.weights_sha256, drawn, weight, args.seed),
        "cross_validated": validated[weight],
        "cross_validated_by_weight": {str(w): found for w, found in validated.items()},
        "rule_before": {"rule": RULE, **rule},
    }
    args.output.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
