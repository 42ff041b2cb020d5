"""The weights in assets/ load, match their recorded hashes and reproduce the numbers in their cards."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from helpers import noise

import bnn
from bnn.config import Config, answers_with_samples, assets_dir, network_name
from bnn.model.metrics import ood_metrics, prediction_metrics
from bnn.model.predict import Prediction
from bnn.model.weights import shipped_architectures, shipped_kinds

ARCHITECTURES = shipped_architectures()
REPORTS = {"mlp": "report.json", "conv": "report-conv.json"}  # written by `python -m bnn evaluate --output`


def _card(kind: str, arch: str) -> dict:
    return json.loads((assets_dir() / f"{Config(kind=kind, arch=arch).name}.json").read_text())


def _report(arch: str) -> dict:
    return json.loads((assets_dir() / REPORTS[arch]).read_text())


def test_the_default_mlp_is_shipped():
    assert "mlp" in ARCHITECTURES


@pytest.fixture(
    scope="module", params=[(arch, kind) for arch in ARCHITECTURES for kind in shipped_kinds(arch)], ids="-".join
)
def shipped(request):
    arch, kind = request.param
    return bnn.load_model(kind, arch)


def test_recorded_hash_is_the_hash_of_the_shipped_file(shipped):
    entry = _card(shipped.kind, shipped.arch)["files"]["weights"]
    data = (assets_dir() / entry["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(data) == entry["bytes"]


def test_cards_record_todays_defaults_so_training_reproduces_them(shipped):
    architecture = _card(shipped.kind, shipped.arch)["architecture"]
    defaults = Config(kind=shipped.kind, arch=shipped.arch)
    for field in ("arch", "variational_layer", "prior_scale", "posterior_init_scale"):
        assert architecture[field] == getattr(defaults, field), field
    for field in ("dropout_rate", "ensemble_size"):  # recorded by the kinds they apply to
        assert architecture.get(field, getattr(defaults, field)) == getattr(defaults, field), field
    assert tuple(architecture["hidden_units"]) == defaults.hidden_units
    if shipped.kind == "bayesian":  # the variational recipe: tempering and where the posterior started
        training = _card(shipped.kind, shipped.arch)["training"]
        assert architecture.get("kl_weight", 1.0) == defaults.kl_weight
        assert training.get("kl_weight", 1.0) == defaults.kl_weight
        assert training.get("posterior_init", "none") == defaults.posterior_init
        assert training.get("posterior_init_fraction") == defaults.posterior_init_fraction


@pytest.mark.slow
def test_at_least_98_percent_on_the_test_set_with_few_samples(shipped, mnist):
    prediction = shipped.predict(mnist.test.images, num_samples=10, seed=1)
    assert (
        prediction.num_samples == shipped.samples_used(10) == {"deterministic": 1, "ensemble": 5}.get(shipped.kind, 10)
    )
    assert np.mean(prediction.label == mnist.test.labels) >= 0.98


# --- the committed numbers, recomputed from the weights ------------------------------------------------------------
# A deterministic network has one set of weights and an ensemble always asks all its members: neither draws anything,
# so their numbers are reproduced exactly. The variational and MC dropout networks draw T weight samples: with a fresh
# seed their numbers may differ by Z spreads of the difference of two runs, the spread measured by the bootstrap over
# the fresh run's own T samples (tests/helpers/noise.py says how).

NOISELESS = ("deterministic", "ensemble")
CLEAN_METRICS = ("accuracy", "nll", "brier", "ece", "accuracy_at_95_coverage")
OOD_METRICS = ("ood_auroc_entropy", "ood_auroc_max_probability", "ood_auroc_mutual_information")
FRESH_SEED = 7  # not the reports' seed: a sampled network's numbers must hold for any draw of its weights
OOD_SUBSET = 2000  # Fashion-MNIST test images a sampled network reads afresh, of the report's 10,000


def _networks(noiseless: bool) -> list:
    return [
        pytest.param((arch, kind), id=network_name(arch, kind))
        for arch in ARCHITECTURES
        for kind in shipped_kinds(arch)
        if (kind in NOISELESS) == noiseless
    ]


@pytest.fixture(scope="module")
def fashion():
    from bnn.data import load_fashion_mnist_test

    return load_fashion_mnist_test()


@pytest.mark.slow
@pytest.mark.parametrize("network", _networks(noiseless=True))
def test_noiseless_networks_reproduce_their_card_and_report_exactly(network, mnist, fashion):
    arch, kind = network
    model = bnn.load_model(kind, arch)
    card, report = _card(kind, arch)["metrics"], _report(arch)
    test = model.predict(mnist.test.images, num_samples=report["num_samples"], seed=FRESH_SEED)
    again = model.predict(mnist.test.images, num_samples=report["num_samples"], seed=FRESH_SEED + 2)
    np.testing.assert_array_equal(again.samples, test.samples)  # it draws nothing: any seed gives the same answer
    measured = prediction_metrics(test, mnist.test.labels)
    assert report["ood_size"] == len(fashion)
    ood = model.predict(fashion.images, num_samples=report["num_samples"], seed=FRESH_SEED + 1)
    measured.update(ood_metrics(test, ood, sampled=answers_with_samples(kind)))
    committed = report["models"][kind]
    for metric in CLEAN_METRICS:
        assert measured[metric] == card[metric] == committed[metric], metric
    for metric in OOD_METRICS:
        assert measured[metric] == committed[metric], metric


@pytest.fixture(scope="module", params=_networks(noiseless=False))
def sampled(request, mnist):
    """A sampled network and its fresh prediction of the MNIST test set at the reports' T (one network at a time)."""
    arch, kind = request.param
    model = bnn.load_model(kind, arch)
    return model, model.predict(mnist.test.images, num_samples=_report(arch)["num_samples"], seed=FRESH_SEED)


def _within(measured: float, committed: float, allowed: float, what: str) -> None:
    assert abs(measured - committed) <= allowed, (
        f"{what}: measured {measured:.5f}, committed {committed:.5f} +- {allowed:.5f}"
    )


@pytest.mark.slow
def test_sampled_networks_reproduce_their_card_and_report_within_the_sampling_spread(sampled, mnist):
    model, test = sampled
    card, committed = _card(model.kind, model.arch)["metrics"], _report(model.arch)["models"][model.kind]
    assert test.num_samples == card["num_samples"] == committed["num_samples"]
    labels = mnist.test.labels
    measured = prediction_metrics(test, labels)
    resampled = [prediction_metrics(averaged.prediction(), labels) for averaged in noise.averaged_resamples(test)]
    for metric in CLEAN_METRICS:
        allowed = noise.allowed_difference(noise.spread([values[metric] for values in resampled]))
        _within(measured[metric], card[metric], allowed, f"card {metric}")
        _within(measured[metric], committed[metric], allowed, f"report {metric}")


@pytest.mark.slow
def test_sampled_networks_reproduce_their_ood_auroc_on_a_subset_within_the_spread(sampled, fashion):
    """The report's AUROC of telling Fashion-MNIST from MNIST by each score, measured on OOD_SUBSET of its 10,000
    Fashion-MNIST images: the allowed difference adds the spread of the subset drawn (the bootstrap over its images)."""
    model, test = sampled
    report = _report(model.arch)
    assert report["ood_size"] == len(fashion)
    ood = model.predict(fashion.images[:OOD_SUBSET], num_samples=report["num_samples"], seed=FRESH_SEED + 1)
    measured = ood_metrics(test, ood, sampled=True)
    by_sampling = [
        ood_metrics(test_resample, ood_resample, sampled=True)
        for test_resample, ood_resample in zip(
            noise.averaged_resamples(test, seed=0), noise.averaged_resamples(ood, seed=1), strict=True
        )
    ]
    read = noise.Averaged.of(ood)
    by_images = [ood_metrics(test, read[indices], sampled=True) for indices in noise.resampled_indices(OOD_SUBSET)]
    for metric in OOD_METRICS:
        allowed = noise.allowed_difference(
            sampling=noise.spread([values[metric] for values in by_sampling]),
            images=noise.spread([values[metric] for values in by_images]),
            images_fraction=OOD_SUBSET / len(fashion),
        )
        _within(measured[metric], report["models"][model.kind][metric], allowed, metric)


class _Answered:
    """Stands in for a network whose answer is known already: `shift_metrics` scores it as it scores a model's."""

    def __init__(self, kind: str, prediction: Prediction):
        self.kind, self.prediction = kind, prediction

    def predict(self, images, **predict) -> Prediction:
        return self.prediction


# Three rows the targets and strict xfails below read: the rotation bar, the elastic gap, the LeNet-5's.
VARIATIONAL_SHIFT_ROWS = [("mlp", "rotation:45"), ("mlp", "elastic:strong"), ("conv", "rotation:-45")]
SHIFT_METRICS = ("accuracy", "nll", "brier", "ece", "mean_entropy", "mean_mutual_information")


@pytest.mark.slow
@pytest.mark.parametrize(("arch", "key"), VARIATIONAL_SHIFT_ROWS)
def test_variational_shift_rows_are_reproduced_within_the_sampling_spread(arch, key, mnist):
    """The committed row of the variational network, recomputed on the benchmark's own images (the first
    num_images test digits, corrupted with its seed) with a fresh seed for the weights."""
    from bnn.evaluation import corruptions, shift

    report = _shift_report()
    corruption = next(item for item in corruptions.CORRUPTIONS if item.key == key)
    count = report["num_images"]
    canvases = corruptions.upsample(mnist.test.images[:count])
    inputs, blank = shift.corrupted_inputs(canvases, corruption, report["seed"])
    labels = mnist.test.labels[:count]
    model = bnn.load_model("bayesian", arch)
    seen = model.predict(inputs[~blank], num_samples=report["num_samples"], seed=FRESH_SEED)
    measured = shift.shift_metrics(_Answered(model.kind, seen), inputs, blank, labels)
    resampled = [
        shift.shift_metrics(_Answered(model.kind, Prediction(seen.samples[indices])), inputs, blank, labels)
        for indices in noise.resampled_indices(seen.num_samples)
    ]
    committed = _shift_rows(f"{arch}-bayesian")[(corruption.family, str(corruption.severity))]
    assert measured["blank_images"] == committed["blank_images"]
    for metric in SHIFT_METRICS:
        allowed = noise.allowed_difference(noise.spread([values[metric] for values in resampled]))
        _within(measured[metric], committed[metric], allowed, f"{key} {metric}")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_report_has_the_documented_shape(arch):
    report = _report(arch)
    assert report["test_size"] == 10_000 and report["num_samples"] >= 100
    assert set(report["models"]) == set(shipped_kinds(arch))
    for metrics in report["models"].values():
        for key in ("accuracy", "nll", "brier", "ece", "ood_auroc_entropy", "accuracy_at_95_coverage"):
            assert 0 <= metrics[key] <= 1 or key == "nll"
    assert report["models"]["deterministic"]["ood_auroc_mutual_information"] is None
    assert 0.5 < report["models"]["bayesian"]["ood_auroc_mutual_information"] <= 1


# Targets the shipped networks do not meet (docs/results/evaluation.md, shift.md; why: docs/decisions.md).
# Each is still checked: strict, so a network that meets it turns the test red until its mark is removed.
GAP = "a target the shipped networks miss; see docs/results/shift.md and docs/decisions.md"


def _known_gap(*archs: str) -> list:
    return [
        pytest.param(arch, marks=pytest.mark.xfail(strict=True, reason=GAP)) if arch in archs else arch
        for arch in ARCHITECTURES
    ]


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shipped_bayesian_network_meets_the_targets(arch):
    """Issue 2's bar at T = 100, read from the measured report."""
    bayesian = _report(arch)["models"]["bayesian"]
    assert bayesian["accuracy"] >= 0.983
    assert max(bayesian["ood_auroc_entropy"], bayesian["ood_auroc_mutual_information"]) >= 0.95


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shipped_bayesian_network_has_an_ece_of_at_most_one_percent(arch):
    """Issue 2's calibration bar on the raw test files."""
    assert _report(arch)["models"]["bayesian"]["ece"] <= 0.01


TEST_SET_ACCURACY = {"mlp": 0.985, "conv": 0.993}  # raw MNIST test files, T = 100


@pytest.mark.parametrize("arch", _known_gap("conv"))
def test_shipped_bayesian_network_meets_the_real_handwriting_accuracy_target(arch):
    bayesian = _report(arch)["models"]["bayesian"]
    assert bayesian["accuracy"] >= TEST_SET_ACCURACY[arch]
    if arch == "mlp":
        assert bayesian["nll"] <= 0.05


@pytest.mark.parametrize("arch", _known_gap("mlp", "conv"))
def test_shipped_bayesian_network_is_calibrated_at_least_as_well_as_its_twin(arch):
    models = _report(arch)["models"]
    assert models["bayesian"]["ece"] <= models["deterministic"]["ece"]


# Issue 23's targets for the variational networks (T = 100, the committed reports). The MLP tempered by 0.3 passed
# the full-length check on validation and meets the ECE target; the LeNet-5's candidates did not pass, and the
# accuracy, NLL and shift targets are missed by both (docs/results/ablation.md).
VARIATIONAL_GAP = "a target of the variational recipe, not met (docs/results/ablation.md)"
VARIATIONAL_ECE = {"mlp": 0.004, "conv": 0.003}


@pytest.mark.parametrize(
    "arch", [pytest.param(a, marks=pytest.mark.xfail(strict=True, reason=VARIATIONAL_GAP)) for a in ARCHITECTURES]
)
def test_variational_network_is_as_accurate_as_its_twin_with_no_higher_nll(arch):
    models = _report(arch)["models"]
    assert models["bayesian"]["accuracy"] >= models["deterministic"]["accuracy"]
    assert models["bayesian"]["nll"] <= models["deterministic"]["nll"]


@pytest.mark.parametrize(
    "arch",
    [
        pytest.param(a, marks=pytest.mark.xfail(strict=True, reason=VARIATIONAL_GAP)) if a == "conv" else a
        for a in ARCHITECTURES
    ],
)
def test_variational_network_meets_its_ece_target(arch):
    assert _report(arch)["models"]["bayesian"]["ece"] <= VARIATIONAL_ECE[arch]


@pytest.mark.xfail(strict=True, reason=VARIATIONAL_GAP)
def test_shift_variational_mlp_beats_its_twin_on_30_of_38_rows_with_one_network():
    bayesian, deterministic = _shift_rows("mlp-bayesian"), _shift_rows("mlp-deterministic")
    corrupted = [key for key in bayesian if key != ("clean", "none")]
    assert len(corrupted) == 38
    assert sum(bayesian[key]["nll"] < deterministic[key]["nll"] for key in corrupted) >= 30
    assert np.mean([bayesian[key]["nll"] for key in corrupted]) <= 0.40


# --- the shift benchmark: assets/shift.json, written by `python -m bnn shift --output assets/shift.json` -------

SHIFT_REPORT = "shift.json"


def _shift_report() -> dict:
    return json.loads((assets_dir() / SHIFT_REPORT).read_text())


def _shift_rows(network: str) -> dict[tuple[str, str], dict]:
    report = _shift_report()
    return {(row["corruption"], str(row["severity"])): row for row in report["rows"] if row["network"] == network}


def test_shift_report_covers_every_family_and_shipped_network():
    from bnn.evaluation import corruptions

    report = _shift_report()
    assert report["num_images"] >= 1000 and report["num_samples"] >= 100
    networks = {network_name(arch, kind) for arch in ARCHITECTURES for kind in shipped_kinds(arch)}
    assert {row["network"] for row in report["rows"]} == networks
    assert {row["corruption"] for row in report["rows"]} == set(corruptions.FAMILIES)
    assert len(report["rows"]) == len(corruptions.CORRUPTIONS) * len(networks)


@pytest.mark.slow
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shift_report_is_the_shipped_deterministic_networks_own(arch, mnist):
    """A deterministic network has no sampling noise: one committed row must be reproduced exactly."""
    from bnn.evaluation import corruptions, shift

    report = _shift_report()
    corruption = next(item for item in corruptions.CORRUPTIONS if item.key == "rotation:45")
    count = report["num_images"]
    inputs, blank = shift.corrupted_inputs(corruptions.upsample(mnist.test.images[:count]), corruption, report["seed"])
    measured = shift.shift_metrics(
        bnn.load_model("deterministic", arch), inputs, blank, mnist.test.labels[:count], num_samples=1
    )
    committed = _shift_rows(f"{arch}-deterministic")[("rotation", "45")]
    assert measured["accuracy"] == committed["accuracy"]
    assert measured["nll"] == pytest.approx(committed["nll"], rel=1e-4)


def test_shift_targets_of_the_bayesian_mlp():
    """Issue 12's bar on the shift benchmark (T = 100, the committed run)."""
    rows = _shift_rows("mlp-bayesian")
    accuracy = {key: row["accuracy"] for key, row in rows.items()}
    for degrees in (-30, -15, 15, 30):
        assert accuracy[("rotation", str(degrees))] >= 0.93, degrees
    assert min(accuracy[("rotation", "-45")], accuracy[("rotation", "45")]) >= 0.75
    for family in ("shear", "thickness", "aspect"):
        for (corruption, severity), value in accuracy.items():
            if corruption == family:
                assert value >= 0.96, (family, severity)
    assert accuracy[("elastic", "mild")] >= 0.96


@pytest.mark.xfail(strict=True, reason=GAP)
def test_shift_bayesian_mlp_reads_strong_elastic_distortion():
    assert _shift_rows("mlp-bayesian")[("elastic", "strong")]["accuracy"] >= 0.96


@pytest.mark.xfail(strict=True, reason=GAP)
def test_shift_bayesian_mlp_is_better_calibrated_than_its_twin_everywhere():
    bayesian, deterministic = _shift_rows("mlp-bayesian"), _shift_rows("mlp-deterministic")
    for key, row in bayesian.items():
        assert row["nll"] < deterministic[key]["nll"], key


def test_shift_mutual_information_rises_with_the_rotation_angle():
    rows = _shift_rows("mlp-bayesian")
    for sign in (-1, 1):
        angles = [("clean", "none")] + [("rotation", str(sign * degrees)) for degrees in range(15, 91, 15)]
        information = [rows[key]["mean_mutual_information"] for key in angles]
        assert information == sorted(information), sign


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_the_shipped_ensemble_members_are_different_networks(mnist, arch):
    assert "ensemble" in shipped_kinds(arch)  # both architectures ship one
    model = bnn.load_model("ensemble", arch)
    samples = model.predict(mnist.test.images[:2000]).samples
    assert samples.shape[0] == Config().ensemble_size
    for first in range(len(samples)):
        for second in range(first + 1, len(samples)):
            assert np.abs(samples[first] - samples[second]).max() > 0.5  # they disagree firmly on some digit
    assert model.card.raw["training"]["members"][1]["seed"] == model.card.raw["seed"] + 1
