"""The shipped cut and merge decisions (assets/cut-decision.json, merge-decision.json) of `bnn.image.segment`."""

from __future__ import annotations

import json

import pytest

import bnn
from bnn.image import segment


def test_the_shipped_merge_decision_was_fitted_on_training_digits_for_the_shipped_network():
    fitted = json.loads(segment.MERGE_DECISION.read_text())
    features = segment.MergeEvidence.FEATURES
    assert tuple(fitted["features"]) == features and len(fitted["coefficients"]) == len(features)
    assert fitted["fitted_on"]["split"].startswith("MNIST training digits")
    assert fitted["weights_sha256"] == bnn.load_model("bayesian", "mlp").card.weights_sha256
    # out of fold it keeps fewer one-digit pieces apart than the hand-set rule it replaced, and joins no more pairs
    validated, rule = fitted["cross_validated"], fitted["rule_before"]
    assert validated["one_digit_kept_apart"] < rule["one_digit_kept_apart"]
    assert validated["single_digits_kept_apart"] < rule["single_digits_kept_apart"]
    assert validated["two_digits_joined"] <= rule["two_digits_joined"]
    assert fitted["cross_validated_by_weight"][str(fitted["fitted_on"]["single_weight"])] == validated


@pytest.mark.parametrize(
    ("evidence", "one"),
    [
        (segment.MergeEvidence(0.99, joint=0.9, gap=0.05, width=0.7, narrower=0.05, shorter=0.5), True),
        (segment.MergeEvidence(0.6, joint=0.98, gap=0.3, width=1.2, narrower=0.2, shorter=0.95), False),
    ],
    ids=["a-stroke-broken-off-beside-its-digit", "a-1-beside-a-digit"],
)
def test_the_shipped_merge_decision_reads_clear_cases(evidence, one):
    assert segment.reads_as_one(evidence) is one


def test_the_shipped_cut_decision_was_fitted_on_training_digits_for_the_shipped_network():
    fitted = json.loads(segment.CUT_DECISION.read_text())
    features = segment.CutEvidence.FEATURES
    assert tuple(fitted["features"]) == features and len(fitted["coefficients"]) == len(features)
    assert fitted["fitted_on"]["split"].startswith("MNIST training digits")
    assert fitted["weights_sha256"] == bnn.load_model("bayesian", "mlp").card.weights_sha256
    # out of fold it cuts fewer single digits than the rule and the four-feature decision it replaced, and at
    # least as many pairs
    validated = fitted["cross_validated"]
    for before in (fitted["rule_before"], fitted["decision_before"]):
        assert validated["single_decisions_cut"] < before["single_decisions_cut"]
        assert validated["pairs_cut"] >= before["pairs_cut"]


@pytest.mark.parametrize(
    ("evidence", "two"),
    [
        (
            segment.CutEvidence(
                0.99, joint=0.60, width=1.1, valley=0.9, second=0.005, part_reads_one=True, shorter_part=0.6
            ),
            False,
        ),
        (
            segment.CutEvidence(
                0.30, joint=0.99, width=1.5, valley=0.05, second=0.2, part_reads_one=False, shorter_part=0.95
            ),
            True,
        ),
    ],
    ids=["a-sure-wide-digit", "two-digits-with-a-thin-join"],
)
def test_the_shipped_cut_decision_reads_clear_cases(evidence, two):
    assert segment.reads_as_two(evidence) is two
