import numpy as np
import pytest
import tensorflow as tf

from bnn import models
from bnn.config import Config


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
    network = models.build_network(Config(prior_scale=prior_scale), num_train=num_train)
    network(np.zeros((1, 28, 28), np.float32))
    expected = 0.0
    for layer in models.posterior_parameters(network):
        mu, sigma = layer["kernel_mean"].astype(np.float64), layer["kernel_std"].astype(np.float64)
        expected += np.sum(np.log(prior_scale / sigma) + (sigma**2 + mu**2) / (2 * prior_scale**2) - 0.5)
    assert float(tf.add_n(network.losses)) == pytest.approx(expected / num_train, rel=1e-4)


def test_kl_weight_scales_the_kl_term():
    network = models.build_network(Config(), num_train=100)
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
