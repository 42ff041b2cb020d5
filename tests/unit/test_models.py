import numpy as np
import pytest
import tensorflow as tf

from bnn.config import Config
from bnn.model import networks as models


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("kind", ["bayesian", "deterministic"])
def test_networks_map_images_to_ten_logits(arch, kind):
    network = models.build_network(Config(kind=kind, arch=arch), num_train=1000)
    assert network(np.zeros((3, 28, 28), np.float32)).shape == (3, 10)
    bayesian_layers = [layer for layer in network.layers if isinstance(layer, models.VARIATIONAL_TYPES)]
    assert (len(bayesian_layers) > 0) == (kind == "bayesian")


def test_default_mlp_is_784_256_256_10():
    network = models.build_network(Config(), num_train=1000)
    kernels = [p["kernel_mean"].shape for p in models.posterior_parameters(network)]
    assert kernels == [(784, 256), (256, 256), (256, 10)]


def test_reparameterization_layers_can_be_chosen():
    network = models.build_network(Config(variational_layer="reparameterization"), num_train=1000)
    assert any(isinstance(layer, models.DENSE_LAYERS["reparameterization"]) for layer in network.layers)


def test_kl_term_is_the_closed_form_divided_by_the_training_set_size():
    prior_scale, num_train = 0.5, 1234
    network = models.build_network(Config(prior_scale=prior_scale, kl_weight=1.0), num_train=num_train)  # untempered
    network(np.zeros((1, 28, 28), np.float32))
    expected = 0.0
    for layer in models.posterior_parameters(network):
        mu, sigma = layer["kernel_mean"].astype(np.float64), layer["kernel_std"].astype(np.float64)
        expected += np.sum(np.log(prior_scale / sigma) + (sigma**2 + mu**2) / (2 * prior_scale**2) - 0.5)
    assert float(tf.add_n(network.losses)) == pytest.approx(expected / num_train, rel=1e-4)


def test_kl_weight_scales_the_kl_term():
    network = models.build_network(Config(kl_weight=1.0), num_train=100)
    network(np.zeros((1, 28, 28), np.float32))
    full = float(tf.add_n(network.losses))
    network.kl_weight.assign(0.25)
    network(np.zeros((1, 28, 28), np.float32))
    assert float(tf.add_n(network.losses)) == pytest.approx(full / 4, rel=1e-5)


def test_deterministic_twin_has_no_kl_term():
    network = models.build_network(Config(kind="deterministic"), num_train=100)
    network(np.zeros((1, 28, 28), np.float32))
    assert network.losses == []


def test_posterior_starts_near_the_configured_scale():
    network = models.build_network(Config(posterior_init_scale=0.01), num_train=100)
    stds = np.concatenate([p["kernel_std"].ravel() for p in models.posterior_parameters(network)])
    assert 0.007 < np.median(stds) < 0.013


def test_same_seed_same_initial_weights_and_different_layers_differ():
    first = models.weight_arrays(models.build_network(Config(seed=3), num_train=100))
    second = models.weight_arrays(models.build_network(Config(seed=3), num_train=100))
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    other = models.weight_arrays(models.build_network(Config(seed=4), num_train=100))
    assert not np.array_equal(first["hidden_1/kernel_posterior_loc"], other["hidden_1/kernel_posterior_loc"])


def test_weight_arrays_round_trip_and_mismatch_is_refused():
    source = models.build_network(Config(seed=1), num_train=100)
    target = models.build_network(Config(seed=2), num_train=100)
    arrays = models.weight_arrays(source)
    models.assign_weight_arrays(target, arrays)
    for key, value in models.weight_arrays(target).items():
        np.testing.assert_array_equal(value, arrays[key])
    with pytest.raises(ValueError, match="missing"):
        models.assign_weight_arrays(target, {k: v for k, v in arrays.items() if "hidden_2" not in k})
    wide = models.weight_arrays(models.build_network(Config(hidden_units=(300, 256)), num_train=100))
    with pytest.raises(ValueError, match="shape"):
        models.assign_weight_arrays(target, wide)


def test_config_kl_weight_tempers_the_kl_term():
    zeros = np.zeros((1, 28, 28), np.float32)
    untempered = models.build_network(Config(kl_weight=1.0), num_train=100)
    tempered = models.build_network(Config(kl_weight=0.1), num_train=100)
    untempered(zeros), tempered(zeros)
    assert float(tempered.kl_weight.numpy()) == pytest.approx(0.1)
    # the same seed, so the same posterior: only the weight on its KL differs
    assert float(tf.add_n(tempered.losses)) == pytest.approx(0.1 * float(tf.add_n(untempered.losses)), rel=1e-5)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kl_weight": 0.0}, "kl_weight"),
        ({"kl_weight": 1.5}, "kl_weight"),
        ({"posterior_init": "laplace"}, "posterior_init"),
        ({"posterior_init": "twin", "posterior_init_fraction": 0.0}, "fraction"),
    ],
)
def test_config_refuses_a_bad_variational_recipe(settings, message):
    with pytest.raises(ValueError, match=message):
        Config(**settings)


def _twin_arrays(config: Config, seed: int) -> dict[str, np.ndarray]:
    twin = models.build_network(Config(kind="deterministic", hidden_units=config.hidden_units, seed=seed), 100)
    return models.weight_arrays(twin)


def test_twin_initialisation_copies_the_twin_into_the_posterior_means():
    config = Config(hidden_units=(32,), posterior_init="twin", posterior_init_scale=0.002)
    network = models.build_network(config, num_train=100)
    before = models.posterior_parameters(network)
    twin = _twin_arrays(config, seed=7)
    twin = {key: value + (0.5 if key.endswith("bias") else 0.0) for key, value in twin.items()}  # biases not 0
    models.initialise_from_twin(network, twin)
    after = models.posterior_parameters(network)
    arrays = models.weight_arrays(network)
    for layer, start in zip(after, before, strict=True):
        np.testing.assert_array_equal(layer["kernel_mean"], twin[f"{layer['name']}/kernel"])
        np.testing.assert_array_equal(arrays[f"{layer['name']}/bias_posterior_loc"], twin[f"{layer['name']}/bias"])
        np.testing.assert_array_equal(layer["kernel_std"], start["kernel_std"])  # no fraction: sigma as built
        assert 0.0015 < np.median(layer["kernel_std"]) < 0.0025


def test_moped_initial_sigma_is_the_fraction_of_the_twin_weight():
    config = Config(hidden_units=(32,), posterior_init="twin", posterior_init_fraction=0.1)
    network = models.build_network(config, num_train=100)
    twin = _twin_arrays(config, seed=7)
    twin["hidden_1/kernel"][0, 0] = 0.0  # a zero weight still gets a positive sigma
    models.initialise_from_twin(network, twin, config.posterior_init_fraction)
    for layer in models.posterior_parameters(network):
        mu = twin[f"{layer['name']}/kernel"]
        np.testing.assert_allclose(layer["kernel_mean"], mu)
        np.testing.assert_allclose(layer["kernel_std"], np.maximum(0.1 * np.abs(mu), 1e-6), rtol=1e-3, atol=2e-7)
    assert models.posterior_parameters(network)[0]["kernel_std"][0, 0] > 0


def test_twin_initialisation_refuses_a_twin_of_another_shape():
    network = models.build_network(Config(hidden_units=(32,), posterior_init="twin"), num_train=100)
    with pytest.raises(ValueError, match="shape"):
        models.initialise_from_twin(network, _twin_arrays(Config(hidden_units=(16,)), seed=7))
