"""Bayesian networks from TensorFlow Probability variational layers, and their deterministic twins.

Bayesian layers (Blundell et al. 2015, "Weight Uncertainty in Neural Networks"):
- every kernel weight has a mean-field normal posterior q(w) = N(mu, sigma^2), sigma = softplus(rho);
- every kernel weight has the prior p(w) = N(0, prior_scale^2);
- biases are point estimates (TFP's default), so they add no KL term;
- each layer adds KL(q || p) * kl_weight / N_train to ``model.losses``, so Keras ``fit`` minimises
  the per-example negative ELBO: cross-entropy NLL + KL / N_train (kl_weight = 1), or with kl_weight < 1
  a tempered one (Wenzel et al. 2020), whose minimiser is no longer the textbook Bayes posterior.
Posterior means start He-normal, or at the deterministic twin's weights (MOPED, Krishnan et al. 2020).
Gradients use Flipout (Wen et al. 2018) or the plain reparameterisation trick (Kingma & Welling 2014).

The two cheap baselines are built from the deterministic layers: MC dropout (Gal & Ghahramani 2016) puts a
Dropout layer before every dense layer and keeps it on at prediction (``bnn.model.predict``); a deep ensemble
(Lakshminarayanan et al. 2017) is ``ensemble_size`` deterministic networks from different seeds.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras as keras

from bnn.config import IMAGE_SIZE, MIN_POSTERIOR_INIT_SCALE, NUM_CLASSES, Config

tfd = tfp.distributions
# TFP 0.25's layers still call Keras's deprecated add_variable; harmless, and not ours to fix.
warnings.filterwarnings("ignore", message=".*add_variable.* is deprecated", category=UserWarning)

DENSE_LAYERS = {"flipout": tfp.layers.DenseFlipout, "reparameterization": tfp.layers.DenseReparameterization}
CONV_LAYERS = {
    "flipout": tfp.layers.Convolution2DFlipout,
    "reparameterization": tfp.layers.Convolution2DReparameterization,
}
VARIATIONAL_TYPES = tuple(DENSE_LAYERS.values()) + tuple(CONV_LAYERS.values())


def normal_prior(scale: float):
    """A TFP ``kernel_prior_fn``: independent N(0, scale^2) on every weight."""

    def prior_fn(dtype, shape, name, trainable, add_variable_fn):
        del name, trainable, add_variable_fn  # the prior has no trainable parameters
        normal = tfd.Normal(loc=tf.zeros(shape, dtype), scale=tf.constant(scale, dtype))
        return tfd.Independent(normal, reinterpreted_batch_ndims=len(shape))

    return prior_fn


def mean_field_posterior(init_scale: float, seed: int):
    """A TFP ``kernel_posterior_fn``: N(mu, softplus(rho)^2) with sigma starting near ``init_scale``."""
    rho = float(np.log(np.expm1(init_scale)))  # inverse softplus
    return tfp.layers.default_mean_field_normal_fn(
        loc_initializer=keras.initializers.HeNormal(seed=seed),
        untransformed_scale_initializer=keras.initializers.RandomNormal(mean=rho, stddev=0.1, seed=seed + 1),
    )


def _variational_kwargs(config: Config, num_train: int, kl_weight: tf.Variable, layer_index: int) -> dict:
    scale = 1.0 / float(num_train)

    def kl_divergence(posterior, prior, _sample):
        return kl_weight * scale * tfd.kl_divergence(posterior, prior)

    return {
        "bias_posterior_fn": tfp.layers.default_mean_field_normal_fn(
            is_singular=True, loc_initializer=keras.initializers.Zeros()
        ),
        "kernel_prior_fn": normal_prior(config.prior_scale),
        "kernel_posterior_fn": mean_field_posterior(config.posterior_init_scale, config.seed + 2 * layer_index),
        "kernel_divergence_fn": kl_divergence,
    }


def build_network(config: Config, num_train: int) -> keras.Sequential:
    """The network described by ``config``, built for (N, 28, 28) inputs and returning logits (N, 10).

    An ensemble's members are built one by one: each is the deterministic network of its own seed.

    For Bayesian networks the KL weight (``config.kl_weight`` unless warmed up) is ``model.kl_weight``.
    """
    kl_weight = tf.Variable(config.kl_weight, trainable=False, name="kl_weight", dtype=tf.float32)
    layer_count = itertools.count()

    variational_kind = config.kind == "bayesian"

    def dense(units: int, name: str, activation: str | None = "relu") -> list[keras.layers.Layer]:
        index = next(layer_count)
        if not variational_kind:
            init = keras.initializers.GlorotUniform(seed=config.seed + 2 * index)
            layer = keras.layers.Dense(units, activation=activation, name=name, kernel_initializer=init)
            if config.kind != "mc-dropout":
                return [layer]
            return [
                keras.layers.Dropout(config.dropout_rate, seed=config.seed + 2 * index + 1, name=f"{name}_dropout"),
                layer,
            ]
        variational = _variational_kwargs(config, num_train, kl_weight, index)
        return [DENSE_LAYERS[config.variational_layer](units, activation=activation, name=name, **variational)]

    def conv(filters: int, name: str, padding: str) -> keras.layers.Layer:
        index = next(layer_count)
        settings = {"kernel_size": 5, "padding": padding, "activation": "relu", "name": name}
        if not variational_kind:
            init = keras.initializers.GlorotUniform(seed=config.seed + 2 * index)
            return keras.layers.Conv2D(filters, kernel_initializer=init, **settings)
        variational = _variational_kwargs(config, num_train, kl_weight, index)
        return CONV_LAYERS[config.variational_layer](filters, **settings, **variational)

    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE), name="image")
    if config.arch == "mlp":
        layers = [keras.layers.Flatten(name="flatten")]
        layers += [layer for i, units in enumerate(config.hidden_units) for layer in dense(units, f"hidden_{i + 1}")]
    else:  # LeNet-5 (LeCun et al. 1998), as in TFP's Bayesian network example
        layers = [
            keras.layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1), name="channels"),
            conv(6, "conv_1", "same"),
            keras.layers.MaxPooling2D(2, name="pool_1"),
            conv(16, "conv_2", "valid"),
            keras.layers.MaxPooling2D(2, name="pool_2"),
            keras.layers.Flatten(name="flatten"),
            *dense(120, "hidden_1"),
            *dense(84, "hidden_2"),
        ]
    layers += dense(NUM_CLASSES, "logits", activation=None)
    model = keras.Sequential([inputs, *layers], name=config.name.replace("-", "_"))
    model.kl_weight = kl_weight
    return model


def weight_arrays(model: keras.Model) -> dict[str, np.ndarray]:
    """Every variable of ``model`` as ``{"layer/variable": array}``, the form written to disk."""
    return {_key(variable): variable.numpy() for variable in model.weights if variable.trainable}


def assign_weight_arrays(model: keras.Model, arrays: dict[str, np.ndarray]) -> None:
    """Load arrays written by :func:`weight_arrays`; every variable must be present with its shape."""
    expected = {_key(variable): variable for variable in model.weights if variable.trainable}
    missing = sorted(set(expected) - set(arrays))
    unexpected = sorted(set(arrays) - set(expected))
    if missing or unexpected:
        raise ValueError(f"weights do not fit the network: missing {missing}, unexpected {unexpected}")
    for key, variable in expected.items():
        if tuple(arrays[key].shape) != tuple(variable.shape):
            raise ValueError(f"weight {key} has shape {arrays[key].shape}, the network needs {variable.shape}")
        variable.assign(arrays[key])


def initialise_from_twin(network: keras.Model, twin: dict[str, np.ndarray], init_fraction: float | None = None) -> None:
    """Start a Bayesian ``network``'s posterior at its deterministic twin (MOPED, Krishnan et al. 2020).

    ``twin`` holds the twin's arrays (``weight_arrays`` keys ``layer/kernel``, ``layer/bias``): each kernel
    becomes the posterior mean mu and each bias the bias. With ``init_fraction`` every kernel weight's initial
    sigma is init_fraction x |mu| (floored at MIN_POSTERIOR_INIT_SCALE); without it sigma stays as built.
    """
    arrays = weight_arrays(network)
    for key, value in twin.items():
        layer, variable = key.split("/")
        if variable == "bias":
            arrays[f"{layer}/bias_posterior_loc"] = value
            continue
        arrays[f"{layer}/kernel_posterior_loc"] = value
        if init_fraction is not None:
            sigma = np.maximum(init_fraction * np.abs(value.astype(np.float64)), MIN_POSTERIOR_INIT_SCALE)
            arrays[f"{layer}/kernel_posterior_untransformed_scale"] = np.log(np.expm1(sigma))  # inverse softplus
    assign_weight_arrays(network, arrays)


def ensemble_arrays(members: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays of several networks (each from :func:`weight_arrays`) in one file: ``member_<i>/layer/variable``."""
    return {f"member_{index}/{key}": array for index, arrays in enumerate(members) for key, array in arrays.items()}


def member_arrays(arrays: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    """Member ``index``'s arrays out of :func:`ensemble_arrays`, with their own keys."""
    prefix = f"member_{index}/"
    return {key[len(prefix) :]: array for key, array in arrays.items() if key.startswith(prefix)}


def _key(variable: tf.Variable) -> str:
    return variable.name.split(":")[0]


def posterior_parameters(model: keras.Model) -> list[dict[str, np.ndarray]]:
    """Per layer with weights: kernel mean and standard deviation (zero for deterministic layers).

    Returns ``[{"name", "kernel_mean", "kernel_std"}, ...]`` in layer order, for plots and reports.
    """
    result = []
    for layer in model.layers:
        if isinstance(layer, VARIATIONAL_TYPES):
            posterior = layer.kernel_posterior.distribution
            mean, std = posterior.loc.numpy(), tf.convert_to_tensor(posterior.scale).numpy()
        elif getattr(layer, "kernel", None) is not None:
            mean = layer.kernel.numpy()
            std = np.zeros_like(mean)
        else:
            continue
        result.append({"name": layer.name, "kernel_mean": mean, "kernel_std": std})
    return result
