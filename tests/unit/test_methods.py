"""The two cheap approximate-Bayesian baselines: MC dropout and a deep ensemble, built, sampled and stored."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from helpers.networks import untrained_model

from bnn.config import Config, answers_with_samples, is_variational
from bnn.model import networks as models
from bnn.model import predict
from bnn.model.card import ModelCard


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)


def dropout_model(arch: str = "mlp", rate: float = 0.3) -> predict.DigitModel:
    return untrained_model(Config(kind="mc-dropout", arch=arch, dropout_rate=rate))


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_dropout_sits_before_every_dense_layer(arch):
    network = dropout_model(arch).network
    names = [layer.name for layer in network.layers]
    dense = [layer.name for layer in network.layers if isinstance(layer, models.keras.layers.Dense)]
    assert dense and all(names[names.index(name) - 1] == f"{name}_dropout" for name in dense)
    assert all(layer.rate == 0.3 for layer in network.layers if isinstance(layer, models.keras.layers.Dropout))


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_dropout_fast_path_agrees_with_separate_keras_calls_with_dropout_on(arch, images):
    """All T masks in one compiled call give the same predictive as the Keras network in training mode, which draws
    a mask of its own for every image of a batch: 400 copies of the images in one call are 400 masks each."""
    model = dropout_model(arch)
    fast = model.predict(images, num_samples=2000, seed=1).samples
    copies = 400
    naive = tf.nn.softmax(model.network(np.tile(images, (copies, 1, 1)), training=True)).numpy()
    naive = naive.reshape(copies, len(images), -1)
    assert fast.std(axis=0).max() > 0.01  # the masks really change the answer, so the check below means something
    standard_error = np.sqrt(fast.var(axis=0) / len(fast) + naive.var(axis=0) / len(naive))
    assert np.all(np.abs(fast.mean(axis=0) - naive.mean(axis=0)) < 5 * standard_error + 1e-4)
    assert 0.75 < fast.std(axis=0).mean() / naive.std(axis=0).mean() < 1.25


def test_dropout_samples_are_reproducible_and_the_asked_t_is_used(images):
    model = dropout_model()
    first, second = model.predict(images, 30, seed=4), model.predict(images, 30, seed=4)
    np.testing.assert_array_equal(first.samples, second.samples)
    assert first.samples.shape == (30, 4, 10) and answers_with_samples(model.kind) and not is_variational(model.kind)
    assert not np.array_equal(first.samples, model.predict(images, 30, seed=5).samples)


def ensemble_model(size: int = 3) -> predict.EnsembleModel:
    config = Config(kind="ensemble", ensemble_size=size)
    members = [models.build_network(Config(kind="ensemble", seed=seed), num_train=1000) for seed in range(size)]
    return predict.EnsembleModel(members, ModelCard.untrained(config))


def test_an_ensemble_answers_with_one_sample_per_member_whatever_t_is_asked(images):
    model = ensemble_model(3)
    prediction = model.predict(images, num_samples=100)
    assert prediction.num_samples == 3 and prediction.samples.shape == (3, 4, 10) and answers_with_samples(model.kind)
    for index, member in enumerate(model.members):
        np.testing.assert_allclose(prediction.samples[index], tf.nn.softmax(member(images)).numpy(), atol=1e-5)
    assert not np.allclose(prediction.samples[0], prediction.samples[1])  # different seeds, different members


def test_ensemble_arrays_round_trip_per_member():
    members = [models.weight_arrays(models.build_network(Config(kind="ensemble", seed=s), 100)) for s in range(2)]
    stored = models.ensemble_arrays(members)
    assert set(stored) == {f"member_{i}/{key}" for i in range(2) for key in members[0]}
    for index, arrays in enumerate(members):
        back = models.member_arrays(stored, index)
        assert set(back) == set(arrays) and all(np.array_equal(back[key], arrays[key]) for key in arrays)


@pytest.mark.parametrize(("change", "message"), [({"dropout_rate": 1.0}, "dropout_rate"), ({"ensemble_size": 1}, "2")])
def test_bad_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Config(**change)
