"""bnn.image.decisions: the weighted logistic regression behind segmentation's cut and merge decisions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bnn.image import decisions

NAMES = ("signal", "noise")


def separable(count: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) features and (N,) targets: two digits (1) exactly where the first feature is above 1, with a margin of
    0.5 on either side; the second feature is noise."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, count)
    signal = np.where(targets == 1, rng.uniform(1.5, 4.0, count), rng.uniform(-2.0, 0.5, count))
    return np.c_[signal, rng.normal(0, 1, count)], targets


def overlapping(count: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(N, 1) features: one digit (0) around -1, two digits (1) around +1, unit spread: no boundary is perfect."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, count)
    return (2.0 * targets - 1 + rng.normal(0, 1, count))[:, None], targets


def boundary(decision: decisions.LogisticDecision) -> float:
    """Where a one-feature decision turns from one digit to two."""
    return -decision.intercept / float(decision.coefficients[0])


def test_a_separable_problem_is_learnt_with_the_right_sign_and_out_of_fold_almost_perfectly():
    inputs, targets = separable()
    decision = decisions.fit(inputs, targets, single_weight=1.0, feature_names=NAMES)
    assert decision.feature_names == NAMES and decision.coefficients.shape == (2,)
    assert decision.coefficients[0] > 0 and abs(decision.coefficients[1]) < 0.1 * decision.coefficients[0]
    assert 0.5 < boundary(decisions.fit(inputs[:, :1], targets, 1.0)) < 1.5  # inside the margin
    assert np.mean((decision.logit(inputs) > 0) == targets) == 1.0
    two = decisions.out_of_fold(inputs, targets, seed=3, single_weight=1.0)
    assert two.dtype == bool and two.shape == targets.shape and np.mean(two == targets) >= 0.99
    np.testing.assert_array_equal(two, decisions.out_of_fold(inputs, targets, seed=3, single_weight=1.0))


def test_weighting_one_digit_examples_more_moves_the_boundary_towards_two_digits():
    inputs, targets = overlapping()
    even, heavy = (decisions.fit(inputs, targets, single_weight=weight) for weight in (1.0, 8.0))
    assert abs(boundary(even)) < 0.2  # the classes are alike: halfway between them
    assert boundary(heavy) > boundary(even) + 0.5  # about log(8) / 2 further right: fewer examples called two
    called_two = [decisions.out_of_fold(inputs, targets, 0, weight) for weight in (1.0, 8.0)]
    one_digit_cut, pairs_found = ([int(two[targets == label].sum()) for two in called_two] for label in (0, 1))
    assert one_digit_cut[1] < one_digit_cut[0] / 3 and pairs_found[1] < pairs_found[0]


def test_the_largest_weight_no_worse_than_before_on_every_count_is_chosen():
    counts = {
        1.0: {"cut": 9, "found": 50},
        2.0: {"cut": 5, "found": 48},
        4.0: {"cut": 3, "found": 45},
        8.0: {"cut": 1, "found": 44},  # finds fewer than before
    }
    before = {"cut": 5, "found": 45}
    choose = decisions.largest_weight_no_worse
    assert choose(counts, before, 1.0, at_most=("cut",), at_least=("found",)) == 4.0
    assert choose(counts, before, 1.0, at_most=("cut",)) == 8.0
    assert choose(counts, {"cut": 0, "found": 99}, 2.5, at_most=("cut",), at_least=("found",)) == 2.5  # none


def test_a_written_decision_reads_back_the_same_and_is_refused_for_other_features(tmp_path):
    inputs, targets = separable()
    decision = decisions.fit(inputs, targets, single_weight=2.0, feature_names=NAMES)
    report = decisions.decision_report(decision, "mlp-bayesian", "abc", {"examples": len(targets)}, 2.0, seed=5)
    assert list(report) == ["features", "coefficients", "intercept", "network", "weights_sha256", "fitted_on"]
    assert report["fitted_on"] == {
        "split": decisions.SPLIT,
        "examples": len(targets),
        "single_weight": 2.0,
        "l2": decisions.L2,
        "seed": 5,
    }
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(report, indent=1))
    read = decisions.read_decision(path, NAMES)
    np.testing.assert_array_equal(read.coefficients, decision.coefficients)
    assert read.intercept == decision.intercept
    assert [read.says_two(row) for row in inputs[:50]] == [bool(label) for label in targets[:50]]
    with pytest.raises(ValueError, match="was fitted on"):
        decisions.read_decision(path, ("signal",))


def test_a_logit_of_exactly_zero_says_one_digit():
    decision = decisions.LogisticDecision(NAMES, np.array([1.0, 0.0]), -2.0)
    assert not decision.says_two(np.array([2.0, 5.0]))  # log-odds 0: even odds are not enough to cut
    assert decision.says_two(np.array([2.5, 5.0]))  # log-odds 0.5


def test_the_fit_does_not_depend_on_the_units_of_a_feature():
    """Features are standardised before the penalty: a feature in other units (x 1000) gets the same decision, its
    coefficient scaled back."""
    inputs, targets = overlapping()
    two_features = np.c_[inputs, np.random.default_rng(1).normal(0, 1, len(targets))]
    plain = decisions.fit(two_features, targets, single_weight=2.0)
    scaled = decisions.fit(two_features * [1.0, 1000.0], targets, single_weight=2.0)
    np.testing.assert_allclose(scaled.coefficients * [1.0, 1000.0], plain.coefficients, rtol=1e-3, atol=1e-6)
    assert scaled.intercept == pytest.approx(plain.intercept, rel=1e-3)


def test_a_feature_of_pure_noise_leaves_the_boundary_where_it_was():
    """The intercept comes back to the raw features with every feature's coefficient: with one-digit examples
    weighted 8 times (a boundary away from the features' mean), a second feature of noise moves it by little."""
    inputs, targets = overlapping()
    alone = decisions.fit(inputs + 5.0, targets, single_weight=8.0)
    noisy = decisions.fit(np.c_[inputs + 5.0, np.random.default_rng(2).normal(3.0, 1.0, len(targets))], targets, 8.0)
    at_noise_mean = -(noisy.intercept + noisy.coefficients[1] * 3.0) / noisy.coefficients[0]
    assert boundary(alone) > 5.5 and at_noise_mean == pytest.approx(boundary(alone), abs=0.1)


def test_out_of_fold_decisions_come_from_the_fit_on_the_other_folds():
    inputs, targets = overlapping(count=600)
    fold = np.random.default_rng(4).integers(0, decisions.FOLDS, len(targets))  # the folds drawn with the seed
    expected = np.zeros(len(targets), bool)
    for k in range(decisions.FOLDS):
        others = decisions.fit(inputs[fold != k], targets[fold != k], 3.0)
        expected[fold == k] = others.logit(inputs[fold == k]) > 0
    np.testing.assert_array_equal(decisions.out_of_fold(inputs, targets, seed=4, single_weight=3.0), expected)
    assert not np.array_equal(decisions.out_of_fold(inputs, targets, seed=5, single_weight=3.0), expected)


def test_a_weight_with_as_many_mistakes_as_before_is_no_worse():
    counts = {1.0: {"cut": 5, "found": 45}, 2.0: {"cut": 6, "found": 45}}
    assert decisions.largest_weight_no_worse(counts, {"cut": 5, "found": 45}, 0.5, ("cut",), ("found",)) == 1.0
