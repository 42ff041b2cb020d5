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


# --- precision, shapes and edges (each test kills a mutant `make mutants` found alive) ----------------------------


def test_entropies_are_computed_in_float64_from_float32_samples():
    """A network's samples are float32; entropies and their difference (the mutual information, often 1e-3 nats)
    are computed in float64, so float32 rounding (1e-7) never shows."""
    exact = np.array([0.5, 0.25, 0.125, 0.125], np.float32)  # every value exact in float32
    assert u.entropy(exact) == pytest.approx(1.75 * math.log(2), rel=1e-14)
    assert u.entropy(exact).dtype == np.float64
    samples = np.array([[[0.1, 0.2, 0.7]], [[0.3, 0.3, 0.4]], [[0.6, 0.1, 0.3]]], np.float32)
    mean = samples.astype(np.float64).mean(axis=0)[0]
    assert u.predictive_entropy(samples)[0] == pytest.approx(-sum(p * math.log(p) for p in mean), rel=1e-14)


def test_scores_are_computed_in_float64_from_float32_probabilities():
    probs = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]], np.float32)
    exact = probs.astype(np.float64)
    assert u.negative_log_likelihood(probs, np.array([0, 2])) == pytest.approx(
        -(math.log(exact[0, 0]) + math.log(exact[1, 2])) / 2, rel=1e-14
    )
    one_hot = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    assert u.brier_score(probs, np.array([0, 2])) == pytest.approx(
        float(np.mean(np.sum((exact - one_hot) ** 2, axis=1))), rel=1e-14
    )


def test_brier_and_accuracy_with_more_images_than_classes():
    probs = np.array([[0.8, 0.2], [0.4, 0.6], [0.1, 0.9]])
    labels = np.array([0, 0, 1])
    assert u.brier_score(probs, labels) == pytest.approx((0.08 + 0.72 + 0.02) / 3)
    assert u.accuracy(probs, labels) == pytest.approx(2 / 3)


def test_vote_counts_are_whole_numbers():
    votes = u.vote_counts(np.array([[[0.6, 0.4]], [[0.1, 0.9]]], np.float32))
    assert votes.dtype == np.int64 and votes.tolist() == [[1, 1]]


def test_reliability_bins_put_each_confidence_in_its_bin_by_default_15():
    """Bins are (lo, hi]: 0.55 falls in the sixth of ten, a confidence on an edge (0.6) in the bin below it, and a
    uniform answer (confidence 0.1) in the first; the default is Guo et al.'s 15 bins."""
    probs = np.array([[0.55, 0.45] + [0] * 8, [0.6, 0.4] + [0] * 8, [0.1] * 10, [0.05, 0.95] + [0] * 8])
    labels = np.array([0, 1, 3, 1])
    bins = u.reliability_bins(probs, labels, num_bins=10)
    np.testing.assert_allclose(bins["edges"], np.linspace(0, 1, 11))
    assert bins["count"].tolist() == [1, 0, 0, 0, 0, 2, 0, 0, 0, 1]
    assert bins["confidence"][5] == pytest.approx((0.55 + 0.6) / 2) and bins["accuracy"][5] == 0.5
    assert bins["accuracy"][0] == 0.0 and bins["accuracy"][9] == 1.0 and bins["confidence"][1] == 0.0
    assert len(u.reliability_bins(probs, labels)["count"]) == 15


def test_ece_uses_the_bins_asked_for_and_weighs_them_by_count():
    labels = np.array([0, 1])  # one right, one wrong
    apart = np.array([[0.62, 0.38], [0.68, 0.32]])
    assert u.expected_calibration_error(apart, labels, num_bins=5) == pytest.approx(0.15)  # one bin: |0.5 - 0.65|
    assert u.expected_calibration_error(apart, labels, num_bins=15) == pytest.approx((0.38 + 0.68) / 2)  # two bins
    close = np.array([[0.61, 0.39], [0.64, 0.36]])  # one of the default 15 bins, two of 16
    assert u.expected_calibration_error(close, labels) == pytest.approx(0.125)
    assert u.expected_calibration_error(close, labels, num_bins=16) == pytest.approx((0.39 + 0.64) / 2)
    assert u.expected_calibration_error(np.array([[0.9, 0.1]]), np.array([0])) == pytest.approx(0.1)  # one image


def test_auroc_with_a_single_score_on_either_side_and_a_clear_message_without():
    assert u.auroc([0.1, 0.2], [0.3]) == 1.0 and u.auroc([0.4], [0.3, 0.5]) == 0.5
    for negative, positive in (([], [0.1]), ([0.1], [])):
        with pytest.raises(ValueError, match="^auroc needs at least one negative and one positive score$"):
            u.auroc(negative, positive)


def test_accuracy_at_coverage_defaults_to_95_percent_and_refuses_a_share_outside_0_to_1():
    probs = np.tile([[0.1, 0.9]], (20, 1))  # every image read as a 1
    labels = np.ones(20, int)
    labels[19] = 0  # the least certain is wrong
    uncertainty = np.arange(20.0)
    assert u.accuracy_at_coverage(probs, labels, uncertainty) == 1.0  # 19 of 20 kept
    assert u.accuracy_at_coverage(probs, labels, uncertainty, coverage=1.0) == 0.95
    labels[0] = 0  # now the surest is wrong too: a coverage of 1 % keeps it alone
    assert u.accuracy_at_coverage(probs, labels, uncertainty, coverage=0.01) == 0.0
    for coverage in (0.0, 1.5, -0.5):
        with pytest.raises(ValueError, match=rf"coverage must be in \(0, 1\], got {coverage}"):
            u.accuracy_at_coverage(probs, labels, uncertainty, coverage=coverage)


def test_accuracy_at_coverage_breaks_ties_in_order():
    """Equally uncertain images are kept in their order (a stable sort), so one input always gives one number."""
    probs = np.tile([[0.9, 0.1]], (80, 1))
    labels = np.zeros(80, int)
    labels[5:40] = 1  # among the 40 less certain images (0.5), all but the first five are wrong
    uncertainty = np.r_[np.full(40, 0.5), np.full(40, 0.1)]
    assert u.accuracy_at_coverage(probs, labels, uncertainty, coverage=45 / 80) == 1.0
