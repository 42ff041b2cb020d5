"""Monte Carlo posterior predictive: images -> a :class:`Prediction` of T sampled class distributions.

All T weight samples are drawn in one compiled TensorFlow call:
- dense layers use the local reparameterisation trick (Kingma, Salimans & Welling 2015): for a
  fixed input h the pre-activation h @ W with W ~ N(mu, sigma^2) is exactly N(h @ mu, h^2 @ sigma^2),
  so we sample (T, N, units) activations instead of T weight matrices;
- convolutions sample T kernels and apply them as one grouped convolution, sample t's kernel on
  sample t's feature maps (the trick above would drop the correlation between neighbouring output pixels);
- a dense layer fed the images themselves reads only the kernel rows of pixels that are not blank in
  every image (exact: a zero input adds nothing), which saves much of the cost of one digit;
- a served network (`DigitModel.frozen`) computes its posterior's scales once instead of on every call;
- MC dropout (Gal & Ghahramani 2016) draws T dropout masks at once; a deep ensemble runs its members in the
  same graph, one per "sample".
Each example's T outputs therefore follow the same distribution as T full forward passes with
sampled weights (what :func:`sample_naively` does), at a fraction of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras as keras

from bnn.config import IMAGE_SIZE, NUM_CLASSES, PREDICTION_SAMPLES, Config, answers_with_samples
from bnn.config import assets_dir as default_assets_dir
from bnn.model import uncertainty
from bnn.model import weights as assets
from bnn.model.card import ModelCard
from bnn.model.networks import (
    CONV_LAYERS,
    DENSE_LAYERS,
    assign_weight_arrays,
    build_network,
    ensemble_arrays,
    member_arrays,
    weight_arrays,
)

MAX_SAMPLES = 10_000  # T beyond this is refused: ten times the slider's most, and memory grows with T
_ACTIVATION_BUDGET = 1 << 24  # floats per intermediate tensor; images are processed in chunks below it (bounded memory)
_DENSE_TYPES = tuple(DENSE_LAYERS.values())
_CONV_TYPES = tuple(CONV_LAYERS.values())


@dataclass(frozen=True)
class Prediction:
    """The posterior predictive of N images from T weight samples.

    ``samples`` is (T, N, 10): each sample's class probabilities. Everything else derives from it.
    Entropies are in nats; ``predictive_entropy = expected_entropy + mutual_information`` (aleatoric + epistemic).
    """

    samples: np.ndarray

    @property
    def num_samples(self) -> int:
        return self.samples.shape[0]

    def __len__(self) -> int:
        return self.samples.shape[1]

    def __getitem__(self, index) -> Prediction:
        """The prediction of some of the images (an int keeps the image axis, with length 1)."""
        index = [index] if isinstance(index, (int, np.integer)) else index
        return Prediction(self.samples[:, index])

    @cached_property
    def mean_probs(self) -> np.ndarray:
        """(N, 10) posterior predictive probabilities: the mean over samples."""
        return self.samples.mean(axis=0, dtype=np.float64).astype(np.float32)

    @cached_property
    def label(self) -> np.ndarray:
        """(N,) the most probable digit under the posterior predictive."""
        return np.argmax(self.mean_probs, axis=-1)

    @cached_property
    def probability(self) -> np.ndarray:
        """(N,) posterior predictive probability of ``label``."""
        return np.max(self.mean_probs, axis=-1)

    @cached_property
    def votes(self) -> np.ndarray:
        """(N, 10) how many of the T samples voted for each digit."""
        return uncertainty.vote_counts(self.samples)

    @cached_property
    def predictive_entropy(self) -> np.ndarray:
        """(N,) total uncertainty: entropy of ``mean_probs``."""
        return uncertainty.predictive_entropy(self.samples)

    @cached_property
    def expected_entropy(self) -> np.ndarray:
        """(N,) expected entropy over weight samples: ambiguity in the image itself."""
        return uncertainty.expected_entropy(self.samples)

    @cached_property
    def mutual_information(self) -> np.ndarray:
        """(N,) mutual information between the label and the weights: the model's own doubt."""
        return uncertainty.mutual_information(self.samples)

    @property
    def aleatoric(self) -> np.ndarray:
        """`expected_entropy` by its other name: the aleatoric part of the uncertainty."""
        return self.expected_entropy

    @property
    def epistemic(self) -> np.ndarray:
        """`mutual_information` by its other name: the epistemic part of the uncertainty."""
        return self.mutual_information


class DigitModel:
    """A trained network with its model card; ``predict`` gives the posterior predictive."""

    def __init__(self, network: keras.Model, card: ModelCard, frozen: bool = False):
        """``frozen``: the network's weights will not change (a served network; see :meth:`frozen`)."""
        self.network = network
        self.card = card
        self.kind: str = card.kind
        self.arch: str = card.arch
        self.name = card.name
        self._widest = max(int(np.prod(layer.output_shape[1:])) for layer in network.layers)
        self._scales = {layer.name: _posterior_scale(layer) for layer in network.layers if frozen}
        self._sample_probs = tf.function(
            self._sample_probs_graph,
            input_signature=(
                tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([2], tf.int64),
            ),
        )

    def frozen(self) -> DigitModel:
        """This model for weights that will not change: the variational layers' posterior scales (a softplus of
        each weight's parameter) are computed once, not on every call, where they are a sizeable part of one
        digit's prediction. The samples are the same. Training, pruning or any other change of the weights is then
        not seen: keep the model :func:`load_model` gives for that."""
        if self._scales or not any(isinstance(layer, _DENSE_TYPES + _CONV_TYPES) for layer in self.network.layers):
            return self  # already frozen, or nothing to freeze (deterministic layers read their weights directly)
        return DigitModel(self.network, self.card, frozen=True)

    @cached_property
    def _sampler(self):
        """The sampler's one concrete function: called directly, it skips the per-call argument binding and trace
        lookup of ``tf.function``, CPU a stroke in the app would otherwise spend on each of its two calls."""
        return self._sample_probs.get_concrete_function()

    @property
    def trace_count(self) -> int:
        """How many times the sampler has been traced (compiled): once per process when shapes stay within its signature."""
        return int(self._sample_probs.experimental_get_tracing_count())

    def predict(
        self, images: np.ndarray, num_samples: int = PREDICTION_SAMPLES, seed: int | None = None, progress: bool = False
    ) -> Prediction:
        """Posterior predictive of ``images`` (N, 28, 28) floats in [0, 1].

        ``num_samples`` weight samples (T) for a Bayesian model or dropout masks for MC dropout; a deterministic
        model always uses T = 1 and an ensemble always T = its number of members, whatever is asked (the
        result's ``num_samples`` says which). The same ``seed`` gives the same samples; ``None`` draws fresh ones. ``progress`` shows
        Keras's progress bar over the images, for long runs such as the evaluation.
        """
        images = _check_images(images)
        num_samples = self.samples_used(_check_num_samples(num_samples))
        base_seed = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0]
        chunk = max(1, _ACTIVATION_BUDGET // (num_samples * self._widest))
        bar = keras.utils.Progbar(len(images), unit_name="image") if progress else None
        parts = []
        for index, start in enumerate(range(0, len(images), chunk)):
            probs = self._sampler(
                tf.constant(images[start : start + chunk]),
                tf.constant(num_samples, tf.int32),
                tf.constant([base_seed, index], tf.int64),
            )
            parts.append(probs.numpy())
            if bar is not None:
                bar.add(parts[-1].shape[1])
        samples = np.concatenate(parts, axis=1) if parts else np.zeros((num_samples, 0, NUM_CLASSES), np.float32)
        return Prediction(samples)

    def samples_used(self, asked: int) -> int:
        """T of a prediction asked for ``asked`` samples: itself, 1 for the deterministic network."""
        return asked if answers_with_samples(self.kind) else 1  # an ensemble overrides this

    def _sample_probs_graph(self, images: tf.Tensor, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        hidden = images[tf.newaxis]  # (1, N, 28, 28); the sample axis grows to T at the first random layer
        for index, layer in enumerate(self.network.layers):
            layer_seed = tf.random.experimental.stateless_fold_in(seed, index)
            hidden = _sampled_layer(layer, hidden, num_samples, layer_seed, self._scales.get(layer.name))
        return tf.nn.softmax(hidden, axis=-1)


class EnsembleModel(DigitModel):
    """A deep ensemble: its members' softmax outputs are the T = ``len(members)`` samples of the prediction."""

    def __init__(self, members: list[keras.Model], card: ModelCard):
        self.members = members
        super().__init__(members[0], card)

    def samples_used(self, asked: int) -> int:
        """An ensemble always answers with all its members."""
        return len(self.members)

    def _sample_probs_graph(self, images: tf.Tensor, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        outputs = []
        for member in self.members:
            hidden = images[tf.newaxis]
            for layer in member.layers:
                hidden = _sampled_layer(layer, hidden, num_samples, seed)  # deterministic layers: no randomness
            outputs.append(hidden[0])
        return tf.nn.softmax(tf.stack(outputs), axis=-1)


def _posterior_scale(layer: keras.layers.Layer) -> tf.Tensor | None:
    """A variational layer's kernel posterior scale as a constant (None for other layers): for frozen weights."""
    if isinstance(layer, _DENSE_TYPES + _CONV_TYPES):
        return tf.constant(tf.convert_to_tensor(layer.kernel_posterior.distribution.scale))
    return None


def _sampled_layer(
    layer: keras.layers.Layer,
    hidden: tf.Tensor,
    num_samples: tf.Tensor,
    seed: tf.Tensor,
    frozen_scale: tf.Tensor | None = None,
):
    """Apply ``layer`` to ``hidden`` of shape (S, N, ...) with S = 1 or T; returns (S or T, N, ...).
    ``frozen_scale``: a variational layer's kernel posterior scale computed beforehand (`_posterior_scale`)."""
    if isinstance(layer, keras.layers.Dropout):  # MC dropout: a fresh mask per sample, scaled as in training
        shape = tf.concat([[num_samples], tf.shape(hidden)[1:]], axis=0)
        keep = tf.random.stateless_uniform(shape, seed, dtype=hidden.dtype) >= layer.rate
        return tf.where(keep, hidden / (1.0 - layer.rate), tf.zeros_like(hidden))
    if isinstance(layer, _DENSE_TYPES):
        posterior = layer.kernel_posterior.distribution  # Normal(loc, scale) per weight: networks.mean_field_posterior
        loc, scale = posterior.loc, posterior.scale if frozen_scale is None else frozen_scale
        if hidden.shape[0] == 1:  # still the images themselves (no random layer yet)
            # Pixels blank in every image add nothing to either moment; skipping their kernel rows saves most
            # of the softplus over a 784 x 256 scale, the largest cost of predicting one image.
            used = tf.where(tf.reduce_any(tf.not_equal(hidden, 0), axis=[0, 1]))[:, 0]
            hidden, loc, scale = tf.gather(hidden, used, axis=-1), tf.gather(loc, used), _gather_rows(scale, used)
        mean = tf.einsum("sni,io->sno", hidden, loc) + layer.bias_posterior.mean()
        variance = tf.einsum("sni,io->sno", tf.square(hidden), tf.square(tf.convert_to_tensor(scale)))
        shape = tf.concat([[num_samples], tf.shape(mean)[1:]], axis=0)
        noise = tf.random.stateless_normal(shape, seed, dtype=mean.dtype)
        return layer.activation(mean + tf.sqrt(variance) * noise)
    if isinstance(layer, _CONV_TYPES):
        kernel = layer.kernel_posterior
        kernel_shape = tf.shape(kernel.mean())
        noise = tf.random.stateless_normal(tf.concat([[num_samples], kernel_shape], 0), seed)
        stddev = kernel.stddev() if frozen_scale is None else frozen_scale
        kernels = kernel.mean() + stddev * noise  # (T, kh, kw, in, out)
        return layer.activation(_batched_conv(hidden, kernels, layer) + layer.bias_posterior.mean())
    if isinstance(layer, keras.layers.Dense):
        return layer.activation(tf.einsum("sni,io->sno", hidden, layer.kernel) + layer.bias)
    return _per_image(layer, hidden)  # weightless layers and deterministic convolutions


def _gather_rows(scale, rows: tf.Tensor) -> tf.Tensor:
    """Rows of a kernel's posterior scale, transforming only those rows when it is a softplus-deferred tensor."""
    if isinstance(scale, tfp.util.DeferredTensor):  # elementwise eps + softplus(rho) in TFP's mean-field posterior
        return scale.transform_fn(tf.gather(scale.pretransformed_input, rows))
    return tf.gather(tf.convert_to_tensor(scale), rows)


def _per_image(layer: keras.layers.Layer, hidden: tf.Tensor) -> tf.Tensor:
    """Apply a Keras layer with the sample and image axes merged into its batch axis."""
    shape = tf.shape(hidden)
    output = layer(tf.reshape(hidden, tf.concat([[-1], shape[2:]], 0)))
    return tf.reshape(output, tf.concat([shape[:2], tf.shape(output)[1:]], 0))


def _batched_conv(hidden: tf.Tensor, kernels: tf.Tensor, layer: keras.layers.Layer) -> tf.Tensor:
    """Convolve (S, N, H, W, C) with T kernels (T, kh, kw, C, F) in one grouped convolution -> (T, N, H', W', F).

    The S inputs are stacked on the channel axis and the T kernels on the filter axis, so sample t's
    kernel sees only sample t's channels (S = T: T groups) or the shared images (S = 1: one ordinary
    convolution with T * F filters).
    """
    shape = tf.shape(hidden)
    channels = tf.shape(kernels)[3]
    filters = tf.shape(kernels)[4]
    stacked = tf.reshape(tf.transpose(hidden, [1, 2, 3, 0, 4]), tf.concat([shape[1:4], [-1]], 0))  # (N, H, W, S*C)
    kh, kw = layer.kernel_size
    kernel_stack = tf.reshape(tf.transpose(kernels, [1, 2, 3, 0, 4]), [kh, kw, channels, -1])  # (kh, kw, C, T*F)
    output = tf.nn.conv2d(stacked, kernel_stack, strides=layer.strides, padding=layer.padding.upper())
    out_shape = tf.shape(output)
    output = tf.reshape(output, tf.concat([out_shape[:3], [-1, filters]], 0))  # (N, H', W', T, F)
    return tf.transpose(output, [3, 0, 1, 2, 4])


def sample_naively(network: keras.Model, images: np.ndarray, num_samples: int, compiled: bool = True) -> np.ndarray:
    """The tutorial baseline: T separate forward passes, each sampling fresh weights. Returns (T, N, 10).

    ``compiled`` runs each call as one ``tf.function`` graph, traced once per network and image count
    (a fairer baseline than the eager calls most tutorials make).
    """
    images = tf.constant(_check_images(images))
    forward = _compiled_forward if compiled else _forward
    return np.stack([forward(network, images).numpy() for _ in range(num_samples)])


def _forward(network: keras.Model, images: tf.Tensor) -> tf.Tensor:
    return tf.nn.softmax(network(images), axis=-1)


_compiled_forward = tf.function(_forward)  # the network is part of the trace key (held weakly): no retracing


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[-1] == IMAGE_SIZE * IMAGE_SIZE:
        images = images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"expected images of shape (N, {IMAGE_SIZE}, {IMAGE_SIZE}), got {images.shape}; "
            "run bnn.preprocess_image on each image and stack them"
        )
    if not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"expected numeric images, got dtype {images.dtype}")
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)) or images.min(initial=0) < 0 or images.max(initial=0) > 1:
        raise ValueError("image values must be finite and in [0, 1]; use bnn.preprocess_image")
    return images


def _check_num_samples(num_samples: int) -> int:
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise ValueError(f"num_samples must be an integer, got {num_samples!r}")  # noqa: TRY004 -- one error type for all bad arguments
    if not 1 <= num_samples <= MAX_SAMPLES:
        raise ValueError(f"num_samples must be between 1 and {MAX_SAMPLES}, got {num_samples}")
    return int(num_samples)


def load_model(kind: str = "bayesian", arch: str = "mlp", assets_dir: str | Path | None = None) -> DigitModel:
    """Load shipped weights (sha256-checked against the model card) as a :class:`DigitModel`.

    ``kind`` is one of ``config.ALL_KINDS``: "bayesian", "deterministic", "mc-dropout" or "ensemble".
    """
    directory = Path(assets_dir) if assets_dir is not None else default_assets_dir()
    name = Config(kind=kind, arch=arch).name  # also checks kind and arch
    arrays, card = assets.read_weights(directory, name)
    try:
        return model_from_arrays(arrays, card)
    except ValueError as error:
        raise assets.WeightsError(f"{assets.weights_path(directory, name)}: {error}") from None


def save_model(model: DigitModel, assets_dir: str | Path) -> Path:
    """Write ``model``'s weights and card into ``assets_dir`` as shipped networks are written (``<name>.weights.npz``
    and ``<name>.json``, the card recording the weights' sha256), so `load_model` reads it back; returns the card."""
    if isinstance(model, EnsembleModel):
        arrays = ensemble_arrays([weight_arrays(member) for member in model.members])
    else:
        arrays = weight_arrays(model.network)
    card = {key: value for key, value in model.card.raw.items() if key != "files"}
    assets.write_weights(arrays, card, Path(assets_dir), model.card.name)
    return assets.card_path(Path(assets_dir), model.card.name)


def model_from_arrays(arrays: dict[str, np.ndarray], card: ModelCard) -> DigitModel:
    """The network its ``card`` describes, holding ``arrays`` (``weight_arrays``' form; an ensemble's members
    prefixed ``member_<i>/``). Raises ValueError when the arrays do not fit the network."""
    config = card.config()
    if card.kind != "ensemble":
        network = build_network(config, num_train=card.num_train)
        assign_weight_arrays(network, arrays)
        return DigitModel(network, card)
    members = []
    for index in range(config.ensemble_size):
        member = build_network(config, num_train=card.num_train)
        assign_weight_arrays(member, member_arrays(arrays, index))
        members.append(member)
    return EnsembleModel(members, card)
