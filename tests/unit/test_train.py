import json

import numpy as np
import pytest
import tensorflow as tf
from helpers.networks import first, tiny_config

from bnn.config import SHIPPED_KL_WEIGHT, Config
from bnn.data import Dataset, MnistSplit
from bnn.model import networks as models
from bnn.model import uncertainty
from bnn.model import weights as assets
from bnn.model.card import ModelCard
from bnn.model.predict import load_model
from bnn.model.train import _KlWarmup, _objective, _recipe, compile_network, noisy_dirichlet_nll, train


@pytest.fixture(scope="module")
def small_split(mnist):
    return MnistSplit(first(mnist.train, 600), first(mnist.validation, 300), first(mnist.test, 300), mnist.source)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bayesian", "deterministic"])
def test_short_training_run_learns_and_writes_a_loadable_model(kind, small_split, tmp_path):
    config = tiny_config(  # larger and longer than the other training tests: long enough to learn
        kind=kind,
        hidden_units=(64, 64),
        epochs=6,
        batch_size=50,
        validation_samples=4,
        evaluation_samples=8,
        patience=10,
        seed=5,
    )
    result = train(config, small_split, output_dir=tmp_path, checkpoint_dir=tmp_path / "checkpoints", verbose=0)
    history = result.history
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > history["accuracy"][0]
    assert max(history["val_accuracy"]) > 0.6  # far above chance (0.1) after 3,600 examples seen

    # The best epoch by validation NLL is the one kept: re-validating with that epoch's seed reproduces it.
    best = int(np.argmin(history["val_nll"]))
    assert result.card.best_epoch == best + 1
    validation = small_split.validation
    again = result.model.predict(validation.images, config.validation_samples, seed=config.seed + best)
    assert uncertainty.negative_log_likelihood(again.mean_probs, validation.labels) == pytest.approx(
        history["val_nll"][best], rel=1e-5
    )

    card = json.loads((tmp_path / f"mlp-{kind}.json").read_text())
    assert card["files"]["weights"]["sha256"] == assets.sha256_of(tmp_path / f"mlp-{kind}.weights.npz")
    assert card["split"]["train"] == 600 and card["seed"] == 5
    assert card["architecture"]["hidden_units"] == [64, 64]
    assert {"tensorflow", "tensorflow_probability", "tf_keras", "numpy"} <= set(card["versions"])
    assert set(card["metrics"]) >= {"accuracy", "nll", "brier", "ece", "accuracy_at_95_coverage"}
    assert card["metrics"]["num_samples"] == (8 if kind == "bayesian" else 1)
    assert 0 < card["uncertainty_thresholds"]["predictive_entropy"]
    assert ("epistemic" in card["uncertainty_thresholds"]) == (kind == "bayesian")
    assert len(card["training"]["epoch_seconds"]) == len(history["loss"])
    curves = card["training"]["history"]  # the ELBO's two terms per epoch, and validation
    assert set(curves) == {"nll", "kl", "accuracy", "val_nll", "val_accuracy"}
    assert all(len(values) == len(history["loss"]) for values in curves.values())
    np.testing.assert_allclose(np.add(curves["nll"], curves["kl"]), history["loss"], rtol=1e-4)
    if kind == "bayesian":
        assert min(curves["kl"]) > 0  # KL(q || p) / N of a posterior that is not the prior
    else:
        np.testing.assert_allclose(curves["kl"], 0, atol=1e-5)

    # What was written loads back into the same predictions.
    loaded = load_model(kind, "mlp", assets_dir=tmp_path)
    images = small_split.test.images[:20]
    np.testing.assert_array_equal(
        loaded.predict(images, 5, seed=1).samples, result.model.predict(images, 5, seed=1).samples
    )


@pytest.mark.slow
def test_kl_warmup_ramps_the_kl_weight(small_split, tmp_path):
    config = tiny_config(epochs=2, kl_warmup_epochs=4, kl_weight=1.0)
    result = train(config, small_split, verbose=0)
    assert float(result.model.network.kl_weight.numpy()) == 1.0  # restored for the final model
    assert result.card.raw["training"]["kl_warmup_epochs"] == 4
    warmup = _KlWarmup(tf.Variable(1.0), epochs=4)
    ramp = []
    for epoch in range(6):
        warmup.on_epoch_begin(epoch)
        ramp.append(float(warmup.kl_weight.numpy()))
    assert ramp == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_compile_network_is_seeded_and_compiled_for_the_elbo():
    config = tiny_config(learning_rate=3e-3, seed=2)
    first, second = compile_network(config, num_train=600), compile_network(config, num_train=600)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # seeded: the same initial weights every time
    assert type(first.optimizer).__name__ == "Adam"
    assert float(first.optimizer.learning_rate.numpy()) == pytest.approx(3e-3)
    assert first.loss.get_config()["from_logits"] is True


@pytest.mark.slow
def test_tempering_survives_the_warmup_and_is_recorded(small_split):
    config = tiny_config(epochs=2, kl_weight=0.1, kl_warmup_epochs=2)
    result = train(config, small_split, verbose=0)
    assert float(result.model.network.kl_weight.numpy()) == pytest.approx(0.1)  # kept for the final model
    assert result.card.raw["training"]["kl_weight"] == 0.1
    assert result.card.raw["architecture"]["kl_weight"] == 0.1
    assert result.card.raw["objective"].startswith("tempered negative ELBO")
    assert (
        "0.1 x KL" in result.card.raw["objective"]
        and "not the textbook Bayes posterior" in result.card.raw["objective"]
    )
    warmup = _KlWarmup(tf.Variable(1.0), epochs=4, target=0.1)
    ramp = []
    for epoch in range(6):
        warmup.on_epoch_begin(epoch)
        ramp.append(float(warmup.kl_weight.numpy()))
    np.testing.assert_allclose(ramp, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], rtol=1e-6)


def test_untempered_card_names_the_elbo():
    card = _model_card_of(Config(kind="bayesian", kl_weight=1.0))
    assert card["objective"].startswith("negative ELBO") and "tempered" not in card["objective"]
    assert "kl_weight" not in card["architecture"]  # older cards, untempered, load as before
    for arch in ("mlp", "conv"):  # whatever the architecture's shipped tempering is
        untempered = {**card["architecture"], "arch": arch}
        assert ModelCard.from_dict({**card, "architecture": untempered}).config().kl_weight == 1.0


def test_the_kl_weight_defaults_to_the_one_each_architecture_shipped_with():
    for arch, weight in SHIPPED_KL_WEIGHT.items():
        assert Config(kind="bayesian", arch=arch).kl_weight == weight
        assert Config(kind="bayesian", arch=arch, kl_weight=0.5).kl_weight == 0.5
    assert SHIPPED_KL_WEIGHT == {"mlp": 0.3, "conv": 1.0}  # docs/results/ablation.md


def _model_card_of(config):
    from bnn.model.train import _Fitted, _model_card

    fitted = _Fitted(
        {"nll": [0.5], "loss": [0.6], "accuracy": [0.9], "val_nll": [0.4], "val_accuracy": [0.9]}, [1.0], 0
    )
    split = MnistSplit(*(Dataset(np.zeros((1, 28, 28), np.float32), np.zeros(1, np.int64)) for _ in range(3)), "x")
    return _model_card(config, split, [fitted])


@pytest.mark.slow
def test_twin_initialised_training_starts_at_the_twin_and_records_its_sha256(small_split, tmp_path):
    train(tiny_config(kind="deterministic"), small_split, output_dir=tmp_path, verbose=0)
    config = tiny_config(
        posterior_init="twin",
        posterior_init_fraction=0.1,
        learning_rate=1e-9,  # barely moves: the trained network is still (almost) the twin
    )
    result = train(config, small_split, twin_dir=tmp_path, verbose=0)
    twin, _ = assets.read_weights(tmp_path, "mlp-deterministic")
    arrays = {p["name"]: p for p in models.posterior_parameters(result.model.network)}
    np.testing.assert_allclose(arrays["hidden_1"]["kernel_mean"], twin["hidden_1/kernel"], atol=1e-6)
    sha256 = assets.sha256_of(tmp_path / "mlp-deterministic.weights.npz")
    assert result.card.raw["training"]["twin_weights"]["sha256"] == sha256
    assert result.card.raw["training"]["posterior_init"] == "twin"
    assert result.card.raw["training"]["posterior_init_fraction"] == 0.1
    assert sha256 in result.card.raw["posterior"]["kernel"] and "MOPED" in result.card.raw["posterior"]["kernel"]


def test_twin_initialisation_needs_the_twin(small_split, tmp_path):
    config = tiny_config(posterior_init="twin")
    with pytest.raises(assets.WeightsError, match="missing"):
        train(config, small_split, twin_dir=tmp_path, verbose=0)


def test_the_noisy_dirichlet_loss_is_the_gaussian_nll_of_the_logits_on_log_dirichlet_targets():
    """Milios et al. 2018: label 2 of 3 classes with alpha 0.01 -> pseudo-counts (0.01, 0.01, 1.01); per class a
    Gaussian on the logit, variance log(1 / a + 1), mean log(a) - variance / 2; summed over the classes."""
    logits = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], np.float32)
    labels = np.array([2, 0])
    got = noisy_dirichlet_nll(0.01)(tf.constant(labels), tf.constant(logits)).numpy()
    expected = []
    for row, label in zip(logits, labels, strict=True):
        counts = np.full(3, 0.01) + np.eye(3)[label]
        variance = np.log(1 / counts + 1)
        mean = np.log(counts) - variance / 2
        expected.append(np.sum(0.5 * np.log(2 * np.pi * variance) + (row - mean) ** 2 / (2 * variance)))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # its minimum is at the targets: the true class's logit about 6.6 nats above the others'
    best = np.log([0.01, 0.01, 1.01]) - np.log(1 / np.array([0.01, 0.01, 1.01]) + 1) / 2
    at_best = noisy_dirichlet_nll(0.01)(tf.constant([2]), tf.constant(best[None], tf.float32)).numpy()[0]
    assert at_best < got[0] and best[2] - best[0] == pytest.approx(6.58, abs=0.01)


def test_the_noisy_dirichlet_network_is_compiled_with_it_and_its_card_says_so(mnist):
    config = tiny_config(likelihood="noisy-dirichlet", kl_weight=1.0)
    network = compile_network(config, num_train=600)
    images, labels = mnist.validation.images[:64], mnist.validation.labels[:64]
    scores = network.evaluate(images, labels, batch_size=64, verbose=0, return_dict=True)
    logits = network(images, training=False)
    # the loss is the noisy-Dirichlet term (recorded on its own) plus KL / N, not the cross-entropy
    assert scores["loss"] > scores["data_nll"] > 0 and scores["data_nll"] != pytest.approx(scores["nll"], rel=0.1)
    assert float(tf.reduce_mean(noisy_dirichlet_nll(0.01)(labels, logits))) == pytest.approx(
        scores["data_nll"], rel=0.2
    )  # another draw of the weights (Flipout), the same term
    objective = _objective(config)
    assert objective.startswith("negative ELBO per example: noisy-Dirichlet NLL (alpha 0.01")
    assert _recipe(config, None)["likelihood"] == "noisy-dirichlet"
    assert "likelihood" not in _recipe(Config(posterior_init="none"), None)  # the shipped cards stay as they are
    with pytest.raises(ValueError, match="likelihood"):
        Config(likelihood="gaussian")
    with pytest.raises(ValueError, match="dirichlet_alpha"):
        Config(dirichlet_alpha=0)
