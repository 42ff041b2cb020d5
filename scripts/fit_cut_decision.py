"""Fit the cut decision of `bnn.image.segment` on digits of MNIST's *training* split and write assets/cut-decision.json.

    .venv/bin/python -m scripts.fit_cut_decision [--singles 16000] [--pairs 3000]   # about 4 minutes on 2 cores

A group of ink that may be one wide digit or two touching ones is cut when a logistic regression on its
`segment.CutEvidence` says two: the shipped variational MLP's reading of the whole (its top and second
probabilities) and of the two parts at the best cut (their joint probability, whether one reads as a 1), 10
weight samples; the group's width; the ink valley at the cut; the shorter part's height. Its examples:

- one digit (label 0): every decision met while segmenting single training digits, half as the 28 px MNIST image,
  half enlarged 7x as drawn on the app's canvas (the decision is recorded and answered "keep whole");
- two digits (label 1): the first decision met on a touching pair of training digits (`bnn.corpora.numbers`,
  canvas and photo alternately) when it concerns the whole pair.

Single digits are weighted more than pairs: a digit cut in two is a wrong number, and single digits are what
people write most. The weight is the largest of SINGLE_WEIGHTS whose out-of-fold decisions cut no more single
digits and no fewer pairs than the decision on the first four features alone at the weight it shipped with
(BEFORE_WEIGHT); both counts are written beside the coefficients, with the hand-set rule's before that. The fit
is `bnn.image.decisions.fit` (plain maximum likelihood with a small L2 penalty on standardised features), 5-fold
cross-validation. Validation and test digits are never used: the decision is judged on them by
`scripts.number_validation` and `tests/unit/test_number.py`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import bnn
from bnn.config import CUT_SAMPLES  # as read_number scores candidates
from bnn.corpora import numbers as number_corpus
from bnn.data import load_mnist
from bnn.image import CROP_THRESHOLD, decisions, segment

SINGLE_WEIGHTS = (2.5, 4.0, 6.0, 8.0, 12.0)
BEFORE_FEATURES = 4  # the decision this one replaced read the first four features ...
BEFORE_WEIGHT = 2.5  # ... with single digits weighted this much
PAIR_SPAN = 0.9  # the first decision concerns the whole pair when its group spans this share of the ink's width


def examples(model, images: np.ndarray, labels: np.ndarray, singles: int, pairs: int, seed: int) -> tuple:
    """(N, 4) features and (N,) labels (1: two digits) from ``singles`` digits and ``pairs`` touching pairs."""

    def score(batch: np.ndarray) -> np.ndarray:
        return model.predict(batch, num_samples=CUT_SAMPLES, seed=0).mean_probs

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    features, targets = [], []
    seen: list[segment.CutEvidence] = []

    def keep_whole(evidence: segment.CutEvidence) -> bool:
        seen.append(evidence)
        return False

    for count, index in enumerate(order[:singles]):
        image = images[index]
        pixels = (
            number_corpus.canvas(
                np.pad(number_corpus._enlarged(image, number_corpus.CANVAS_SCALE), number_corpus.MARGIN)
            )
            if count % 2
            else np.round(image * 255).astype(np.uint8)
        )
        seen.clear()
        segment.segment(pixels, score, decide=keep_whole)
        features += [evidence.features() for evidence in seen]
        targets += [0] * len(seen)
    for count in range(pairs):
        medium = number_corpus.MEDIA[count % 2]
        sample = number_corpus.number_sample(images, labels, "touching", medium, np.random.default_rng([seed, count]))
        seen.clear()
        found = segment.segment(sample.image, score, decide=keep_whole)
        if not seen:
            continue
        rows = np.flatnonzero((found.ink > CROP_THRESHOLD).any(axis=1))
        cols = np.flatnonzero((found.ink > CROP_THRESHOLD).any(axis=0))
        span = seen[0].width * (rows[-1] + 1 - rows[0]) / (cols[-1] + 1 - cols[0])
        if span >= PAIR_SPAN:
            features.append(seen[0].features())
            targets.append(1)
    return np.array(features), np.array(targets)


def cross_validated(features: np.ndarray, targets: np.ndarray, seed: int, single_weight: float) -> dict:
    """Out-of-fold decisions: how many single-digit decisions would cut, and how many pairs would be cut."""
    cut = decisions.out_of_fold(features, targets, seed, single_weight)
    return {"single_decisions_cut": int(cut[targets == 0].sum()), "pairs_cut": int(cut[targets == 1].sum())}


def chosen_weight(features: np.ndarray, targets: np.ndarray, seed: int) -> tuple[float, dict, dict]:
    """The largest of SINGLE_WEIGHTS whose out-of-fold counts are no worse on either side than the decision before
    (``features[:, :BEFORE_FEATURES]`` at BEFORE_WEIGHT): (weight, its counts, the decision before's counts)."""
    before = cross_validated(features[:, :BEFORE_FEATURES], targets, seed, BEFORE_WEIGHT)
    counts = {weight: cross_validated(features, targets, seed, weight) for weight in (BEFORE_WEIGHT, *SINGLE_WEIGHTS)}
    weight = decisions.largest_weight_no_worse(
        counts, before, BEFORE_WEIGHT, at_most=("single_decisions_cut",), at_least=("pairs_cut",)
    )
    return weight, counts[weight], before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=16000)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=segment.CUT_DECISION)
    args = parser.parse_args()
    model = bnn.load_model("bayesian", "mlp")
    train = load_mnist().train
    features, targets = examples(model, train.images, train.labels, args.singles, args.pairs, args.seed)
    weight, validated, before = chosen_weight(features, targets, args.seed)
    decision = decisions.fit(features, targets, weight, segment.CutEvidence.FEATURES)
    old_rule = (features[:, 1] > features[:, 0]) & ((features[:, 2] > 1.2) | (np.exp(features[:, 0]) < 0.8))
    drawn = {
        "single_digits": args.singles,
        "single_decisions": int((targets == 0).sum()),
        "touching_pairs": args.pairs,
        "pair_decisions": int((targets == 1).sum()),
    }
    report = {
        **decisions.decision_report(decision, model.card.name, model.card.weights_sha256, drawn, weight, args.seed),
        "cross_validated": validated,
        "decision_before": {
            "features": list(segment.CutEvidence.FEATURES[:BEFORE_FEATURES]),
            "single_weight": BEFORE_WEIGHT,
            **before,
        },
        "rule_before": {
            "rule": "cut when the parts' joint probability beats the whole's and the whole reads below 0.8 "
            "(or the group is wider than 1.2 heights)",
            "single_decisions_cut": int(old_rule[targets == 0].sum()),
            "pairs_cut": int(old_rule[targets == 1].sum()),
        },
    }
    args.output.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
