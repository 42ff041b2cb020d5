"""The numbers behind the "Inside the model" tab: coverage, histograms, pruning, Monte Carlo convergence."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from helpers.insight import dirichlet_prediction, synthetic_insight
from helpers.networks import untrained_model

from bnn.config import Config
from bnn.evaluation import insight
from bnn.model import uncertainty
from bnn.model.card import ModelCard
from bnn.model.networks import build_network, posterior_parameters, weight_arrays
from bnn.model.predict import load_model

# --- histograms and coverage ---------------------------------------------------------------------------


def test_histograms_count_every_value_including_those_beyond_the_edges():
    values = np.array([-5.0, 0.0, 0.1, 0.5, 0.99, 1.0, 7.0])
    result = insight.histogram(values, np.linspace(0, 1, 5))
    assert result["counts"] == [3, 0, 1, 3]  # -5 and 7 land in the end bins; 1.0 in the last (closed) bin
    assert sum(result["counts"]) == len(values) and len(result["edges"]) == 5
    rng = np.random.default_rng(0)
    spread_out = rng.lognormal(0, 3, 1000)
    for edges in (insight.linear_edges(spread_out, 7), insight.log_edges(spread_out, floor=1.0, bins=7)):
        assert sum(insight.histogram(spread_out, edges)["counts"]) == 1000


def test_coverage_curve_on_a_hand_made_example():
    correct = np.array([True, False, True, True])
    doubt = np.array([0.1, 0.9, 0.2, 0.5])  # the wrong digit is the least certain
    assert insight.coverage_curve(correct, doubt, np.array([0.25, 0.5, 0.75, 1.0])) == [1.0, 1.0, 1.0, 0.75]
    assert insight.coverage_curve(correct, -doubt, np.array([0.25, 1.0])) == [0.0, 0.75]  # the wrong one first


def test_coverage_curve_agrees_with_accuracy_at_coverage_and_ends_at_the_accuracy():
    prediction = dirichlet_prediction(6, 500, seed=3)
    labels = np.random.default_rng(4).integers(0, 10, 500)
    correct = prediction.label == labels
    coverages = insight.coverage_grid()
    curve = insight.coverage_curve(correct, prediction.predictive_entropy, coverages)
    assert len(curve) == len(coverages) == insight.COVERAGE_POINTS and coverages[-1] == 1.0
    assert curve[-1] == pytest.approx(uncertainty.accuracy(prediction.mean_probs, labels))
    for index in (9, 49, 94):
        expected = uncertainty.accuracy_at_coverage(
            prediction.mean_probs, labels, prediction.predictive_entropy, coverages[index]
        )
        assert curve[index] == pytest.approx(expected)


def test_threshold_cut_keeps_the_digits_at_or_below_the_threshold():
    correct = np.array([True, True, False, True, False])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    cut = insight.threshold_cut(correct, scores, 0.5)
    assert cut == {"threshold": 0.5, "coverage": 0.6, "accuracy": pytest.approx(2 / 3), "errors_flagged": 0.5}


def test_coverage_section_ranks_three_ways_and_marks_the_card_thresholds():
    data = synthetic_insight()
    section = data["coverage"]
    assert [(c["kind"], c["score"]) for c in section["curves"]] == [
        ("bayesian", "predictive_entropy"),
        ("bayesian", "mutual_information"),
        ("deterministic", "max_probability"),
    ]
    for curve in section["curves"]:
        assert curve["accuracy"][-1] == pytest.approx(data["accuracy"][curve["kind"]])
    marks = {(m["kind"], m["score"]): m for m in section["thresholds"]}
    assert set(marks) == {("bayesian", "predictive_entropy"), ("bayesian", "mutual_information")}
    assert marks[("bayesian", "predictive_entropy")]["threshold"] == 1.0


def test_card_thresholds_by_score_rename_epistemic_to_mutual_information():
    recorded = {"rule": "q", "predictive_entropy": 0.5, "epistemic": 0.2, "epistemic_errors_caught": 0.7}
    card = ModelCard.from_dict(
        {"architecture": {"kind": "bayesian", "arch": "mlp"}, "uncertainty_thresholds": recorded}
    )
    assert card.thresholds.by_score() == {"predictive_entropy": 0.5, "mutual_information": 0.2}
    assert ModelCard.untrained(Config()).thresholds.by_score() == {}


def test_ood_histograms_share_edges_and_count_every_image():
    histograms = synthetic_insight()["ood"]["histograms"]
    assert [(h["score"], h["kind"]) for h in histograms] == [
        ("predictive_entropy", "bayesian"),
        ("predictive_entropy", "deterministic"),
        ("mutual_information", "bayesian"),  # a deterministic network's mutual information is zero
    ]
    for item in histograms:
        assert sum(item["in_distribution"]) == 40 and sum(item["out_of_distribution"]) == 30
        assert len(item["edges"]) == 11 and item["edges"][0] == 0.0
    assert histograms[0]["edges"][-1] == pytest.approx(math.log(10))


def test_weight_posterior_histograms_mean_std_and_signal_to_noise():
    mean = np.array([[0.5, -0.01], [0.0, 2.0]])
    std = np.array([[0.1, 0.1], [1.0, 0.5]])
    bayesian, deterministic = insight.weight_posterior(
        [
            {"name": "dense", "kernel_mean": mean, "kernel_std": std},
            {"name": "plain", "kernel_mean": mean, "kernel_std": 0 * std},
        ],
        bins=4,
    )
    for key in ("mean", "std", "snr"):
        assert sum(bayesian[key]["counts"]) == 4
    assert bayesian["median_snr"] == pytest.approx(np.median([5.0, 0.1, 0.0, 4.0]))
    assert bayesian["fraction_snr_below_1"] == 0.5
    assert bayesian["snr"]["edges"][0] == pytest.approx(insight.SNR_FLOOR)  # the zero SNR counts in the first bin
    assert set(deterministic) == {"name", "num_weights", "mean"}


# --- pruning -----------------------------------------------------------------------------------------------


def hand_made_layers() -> list[dict]:
    # SNR |mu| / sigma: first layer [10, 0.1, 0.5], second [2, 0.05]; magnitude |mu|: [1, 0.1, 0.5], [0.2, 0.05].
    return [
        {"name": "first", "kernel_mean": np.array([1.0, -0.1, 0.5]), "kernel_std": np.array([0.1, 1.0, 1.0])},
        {"name": "second", "kernel_mean": np.array([[0.2], [0.05]]), "kernel_std": np.array([[0.1], [1.0]])},
    ]


@pytest.mark.parametrize(
    "fraction, first, second",
    [
        (0.0, [0, 0, 0], [[0], [0]]),
        (0.2, [0, 0, 0], [[0], [1]]),  # one weight of five: SNR 0.05
        (0.4, [0, 1, 0], [[0], [1]]),  # then SNR 0.1, in the other layer: the ranking is across layers
        (0.6, [0, 1, 1], [[0], [1]]),
        (1.0, [1, 1, 1], [[1], [1]]),
    ],
)
def test_pruning_masks_take_the_lowest_signal_to_noise_across_layers(fraction, first, second):
    masks = insight.pruning_masks(hand_made_layers(), fraction)
    np.testing.assert_array_equal(masks["first"], first)
    np.testing.assert_array_equal(masks["second"], second)


def test_a_deterministic_network_is_pruned_by_magnitude():
    layers = [{**layer, "kernel_std": np.zeros_like(layer["kernel_std"])} for layer in hand_made_layers()]
    masks = insight.pruning_masks(layers, 0.6)  # |w| 0.05, 0.1, 0.2 go
    np.testing.assert_array_equal(masks["first"], [0, 1, 0])
    np.testing.assert_array_equal(masks["second"], [[1], [1]])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        insight.pruning_masks(layers, 1.5)


def test_pruned_arrays_zero_the_mean_and_remove_the_noise_of_masked_weights_only():
    arrays = {
        "first/kernel_posterior_loc": np.array([1.0, -0.125, 0.5], np.float32),
        "first/kernel_posterior_untransformed_scale": np.array([-2.0, 0.5, 0.5], np.float32),
        "first/bias_posterior_loc": np.array([0.3], np.float32),
        "plain/kernel": np.array([0.5, -0.25], np.float32),
    }
    masks = {"first": np.array([False, True, False]), "plain": np.array([True, False])}
    pruned = insight.pruned_arrays(arrays, masks)
    np.testing.assert_array_equal(pruned["first/kernel_posterior_loc"], [1.0, 0.0, 0.5])
    rho = pruned["first/kernel_posterior_untransformed_scale"]
    assert rho[0] == -2.0 and rho[1] == insight.PRUNED_UNTRANSFORMED_SCALE and rho[2] == 0.5
    np.testing.assert_array_equal(pruned["plain/kernel"], [0.0, -0.25])
    assert pruned["first/bias_posterior_loc"] is arrays["first/bias_posterior_loc"]  # biases are kept
    np.testing.assert_array_equal(arrays["first/kernel_posterior_loc"], [1.0, -0.125, 0.5])  # the input is untouched
    with pytest.raises(ValueError, match="missing"):
        insight.pruned_arrays(arrays, {"missing": np.array([True])})


def test_a_pruned_weight_has_mean_zero_and_no_noise_in_the_network():
    from bnn.model.networks import assign_weight_arrays

    network = build_network(Config(hidden_units=(8,)), num_train=100)
    parameters = posterior_parameters(network)
    masks = insight.pruning_masks(parameters, 0.5)
    assign_weight_arrays(network, insight.pruned_arrays(weight_arrays(network), masks))
    for layer in posterior_parameters(network):
        mask = masks[layer["name"]]
        assert np.all(layer["kernel_mean"][mask] == 0) and np.all(layer["kernel_std"][mask] < 1e-6)
        assert np.all(layer["kernel_std"][~mask] > 1e-4)


@pytest.fixture(scope="module")
def shipped_mlp():
    return load_model("bayesian", "mlp"), load_model("deterministic", "mlp")


def test_pruning_nothing_gives_the_models_own_accuracy_and_the_weights_come_back(shipped_mlp, mnist):
    images, labels = mnist.test.images[:300], mnist.test.labels[:300]
    for model in shipped_mlp:
        before = weight_arrays(model.network)
        curve = insight.pruning_curve(model, images, labels, fractions=(0.0, 0.5, 1.0), num_samples=5, seed=3)
        own = model.predict(images, num_samples=5, seed=3).mean_probs
        assert curve["accuracy"][0] == uncertainty.accuracy(own, labels)
        assert curve["nll"][0] == uncertainty.negative_log_likelihood(own, labels)
        assert curve["accuracy"][0] > 0.95
        assert curve["kept_per_layer"][1]["hidden_1"] < 1 and curve["kept_per_layer"][2] == dict.fromkeys(
            ("hidden_1", "hidden_2", "logits"), 0.0
        )
        # With every kernel weight gone the image cannot matter: one digit for all, right as often as it is the label.
        assert curve["accuracy"][2] in {float(np.mean(labels == digit)) for digit in range(10)}
        after = weight_arrays(model.network)
        assert all(np.array_equal(before[key], after[key]) for key in before)
    assert curve["num_samples"] == 1 and curve["score"] == "magnitude |w|"


def test_pruning_restores_the_weights_even_when_prediction_fails(shipped_mlp):
    model = shipped_mlp[0]
    before = weight_arrays(model.network)
    with pytest.raises(ValueError, match="shape"):
        insight.pruning_curve(model, np.zeros((2, 5, 5)), np.zeros(2, int), fractions=(0.5,), num_samples=2)
    after = weight_arrays(model.network)
    assert all(np.array_equal(before[key], after[key]) for key in before)


# --- Monte Carlo convergence -----------------------------------------------------------------------------


def test_convergence_statistics_of_one_run():
    samples = dirichlet_prediction(50, 30, seed=5).samples
    labels = np.random.default_rng(6).integers(0, 10, 30)
    result = insight.convergence_statistics(samples, labels, [1, 10, 50])
    assert result["mutual_information"][0] == 0.0  # one sample cannot disagree with itself
    assert result["accuracy"][2] == uncertainty.accuracy(samples.mean(axis=0), labels)
    assert result["nll"][1] == pytest.approx(
        uncertainty.negative_log_likelihood(samples[:10].mean(axis=0, dtype=np.float64), labels)
    )
    with pytest.raises(ValueError, match="T = 60"):
        insight.convergence_statistics(samples, labels, [60])


def test_error_bars_shrink_as_t_grows():
    labels = np.random.default_rng(7).integers(0, 10, 200)
    counts = [1, 10, 100]
    # Independent runs over the same images: redraw the weight samples around fixed per-image means.
    rng = np.random.default_rng(9)
    means = rng.dirichlet(np.full(10, 0.3), size=200)
    runs = []
    for _ in range(6):
        samples = np.stack([rng.dirichlet(3.0 * mean + 1e-3, size=100) for mean in means], axis=1)
        runs.append(insight.convergence_statistics(samples, labels, counts))
    result = insight.spread(runs)
    assert result["nll"]["std"][2] < result["nll"]["std"][0] / 3
    assert result["mutual_information"]["std"][0] == 0.0 and result["mutual_information"]["mean"][0] == 0.0
    assert result["mutual_information"]["mean"][2] > result["mutual_information"]["mean"][1] > 0
    assert len(result["accuracy"]["mean"]) == len(counts)


def test_mc_convergence_runs_independent_seeds(shipped_mlp, mnist):
    images, labels = mnist.test.images[:20], mnist.test.labels[:20]
    result = insight.mc_convergence(shipped_mlp[0], images, labels, sample_counts=(1, 5), num_seeds=2, seed=0)
    assert set(result) == {"accuracy", "nll", "mutual_information"}
    assert result["mutual_information"]["mean"][0] == 0.0 and result["nll"]["std"][0] > 0


def test_convergence_subset_is_fixed_sorted_and_distinct():
    subset = insight.convergence_subset(10_000, 2000, seed=0)
    assert len(set(subset.tolist())) == 2000 and np.all(np.diff(subset) > 0)
    np.testing.assert_array_equal(subset, insight.convergence_subset(10_000, 2000, seed=0))
    assert len(insight.convergence_subset(50, 2000, seed=0)) == 50


# --- the whole insight and its files ----------------------------------------------------------------------


def test_build_insight_needs_a_bayesian_network_and_its_twin(mnist):
    plain = untrained_model(Config(kind="deterministic", hidden_units=(4,)), num_train=100)
    with pytest.raises(ValueError, match="deterministic twin"):
        insight.build_insight(plain, plain, mnist.test, None)


def test_read_insight_returns_none_when_missing_and_the_json_when_present(tmp_path):
    assert insight.insight_path(tmp_path, "conv") == tmp_path / "insight-conv.json"
    assert insight.read_insight(tmp_path, "mlp") is None
    data = synthetic_insight()
    insight.insight_path(tmp_path, "mlp").write_text(json.dumps(data))
    assert insight.read_insight(tmp_path, "mlp") == json.loads(json.dumps(data))
