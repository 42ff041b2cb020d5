import math

import numpy as np
import pytest

from bnn.model import uncertainty as u


def test_entropy_of_known_distributions():
    assert u.entropy(np.array([0.5, 0.5])) == pytest.approx(math.log(2))
    assert u.entropy(np.full(10, 0.1)) == pytest.approx(math.log(10))
    assert u.entropy(np.array([1.0, 0.0, 0.0])) == 0.0  # 0 log 0 = 0, no NaN
    assert u.entropy(np.array([0.25, 0.75])) == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))


def test_decomposition_when_samples_disagree_confidently():
    # Two weight samples, each certain, of different classes: all uncertainty is epistemic.
    samples = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert u.predictive_entropy(samples)[0] == pytest.approx(math.log(2))
    assert u.expected_entropy(samples)[0] == pytest.approx(0.0)
    assert u.mutual_information(samples)[0] == pytest.approx(math.log(2))


def test_decomposition_when_samples_agree_on_ambiguity():
    # Every sample says 50/50: all uncertainty is aleatoric, mutual information is zero.
    samples = np.full((5, 1, 2), 0.5)
    assert u.expected_entropy(samples)[0] == pytest.approx(math.log(2))
    assert u.mutual_information(samples)[0] == pytest.approx(0.0)


def test_decomposition_by_hand():
    samples = np.array([[[0.9, 0.1]], [[0.5, 0.5]]])
    h = lambda p: -sum(x * math.log(x) for x in p)
    total, expected = h([0.7, 0.3]), (h([0.9, 0.1]) + h([0.5, 0.5])) / 2
    assert u.predictive_entropy(samples)[0] == pytest.approx(total)
    assert u.expected_entropy(samples)[0] == pytest.approx(expected)
    assert u.mutual_information(samples)[0] == pytest.approx(total - expected)


def test_vote_counts():
    samples = np.array([[[0.6, 0.4, 0.0]], [[0.1, 0.8, 0.1]], [[0.7, 0.2, 0.1]]])
    np.testing.assert_array_equal(u.vote_counts(samples), [[2, 1, 0]])


def test_nll_brier_accuracy_by_hand():
    probs = np.array([[0.8, 0.2], [0.4, 0.6]])
    labels = np.array([0, 0])
    assert u.negative_log_likelihood(probs, labels) == pytest.approx(-(math.log(0.8) + math.log(0.4)) / 2)
    assert u.brier_score(probs, labels) == pytest.approx(((0.2**2 + 0.2**2) + (0.6**2 + 0.6**2)) / 2)
    assert u.accuracy(probs, labels) == 0.5


def test_nll_of_a_zero_probability_is_finite():
    assert np.isfinite(u.negative_log_likelihood(np.array([[0.0, 1.0]]), np.array([0])))


def test_ece_by_hand():
    # Confidences 0.9 (correct), 0.9 (wrong), 0.6 (correct): bins |0.5-0.9|*2/3 + |1-0.6|*1/3.
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6]])
    labels = np.array([0, 1, 1])
    assert u.expected_calibration_error(probs, labels, num_bins=10) == pytest.approx(0.4 * 2 / 3 + 0.4 / 3)


def test_ece_of_a_calibrated_predictor_is_small():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 200_000)
    labels = (rng.uniform(size=confidence.size) > confidence).astype(int)  # class 0 right w.p. confidence
    probs = np.stack([confidence, 1 - confidence], axis=1)
    assert u.expected_calibration_error(probs, labels) < 0.01


def test_reliability_bins_put_one_in_the_last_bin():
    bins = u.reliability_bins(np.array([[1.0, 0.0], [0.5, 0.5]]), np.array([0, 0]), num_bins=15)
    assert bins["count"][-1] == 1 and bins["count"].sum() == 2


def test_auroc_by_hand():
    assert u.auroc([0.1, 0.2], [0.3, 0.4]) == 1.0
    assert u.auroc([0.3, 0.4], [0.1, 0.2]) == 0.0
    assert u.auroc([0.5, 0.5], [0.5, 0.5]) == 0.5
    # pairs (neg, pos): (0.1,0.15)+ (0.1,0.3)+ (0.2,0.15)- (0.2,0.3)+ (0.3,0.15)- (0.3,0.3)tie -> 3.5/6
    assert u.auroc([0.1, 0.2, 0.3], [0.15, 0.3]) == pytest.approx(3.5 / 6)


def test_auroc_matches_pairwise_definition():
    rng = np.random.default_rng(1)
    negative, positive = rng.integers(0, 5, 40), rng.integers(2, 8, 30)
    pairs = (positive[:, None] > negative[None]).mean() + 0.5 * (positive[:, None] == negative[None]).mean()
    assert u.auroc(negative, positive) == pytest.approx(pairs)


def test_auroc_needs_both_groups():
    with pytest.raises(ValueError):
        u.auroc([], [0.1])


def test_accuracy_at_coverage_keeps_the_most_certain():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.55, 0.45]])
    labels = np.array([0, 0, 0, 1])  # the least certain one is wrong
    certainty_order = np.array([0.1, 0.2, 0.3, 0.9])
    assert u.accuracy_at_coverage(probs, labels, certainty_order, coverage=0.75) == 1.0
    assert u.accuracy_at_coverage(probs, labels, certainty_order, coverage=1.0) == 0.75
    with pytest.raises(ValueError):
        u.accuracy_at_coverage(probs, labels, certainty_order, coverage=0.0)
