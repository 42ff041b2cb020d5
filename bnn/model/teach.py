"""Teaching a network a person's style: Bayes' rule, the current posterior becoming the prior.

A variational network is updated by variational continual learning (Nguyen et al. 2018, "Variational Continual
Learning"): the new mean-field posterior q maximises the tempered ELBO of the new examples and of a small fixed
coreset of training digits, with the current posterior q_old as the prior,

    loss = mean NLL(batch) + kl_weight * KL(q || q_old) / batch size,

KL(q || q_old) summed over every kernel weight, each Gaussian against its own old mean and sigma, and kl_weight the
network's own tempering (its model card). Weights the old posterior is sure of (small sigma) barely move; uncertain
ones follow the new examples. Teaching again starts from the taught posterior: the prior keeps moving.

A deterministic network (the twin, MC dropout, each member of an ensemble) is fine-tuned on the same batches for
the same number of steps with plain cross-entropy: the same evidence, without a posterior to keep it in place.

    taught = teach(model, images, labels)       # images (N, 28, 28) in [0, 1], labels (N,) ints 0-9
    taught.card.taught_examples                 # every example taught so far

Each step's batch holds the coreset (augmented as training digits are) and the new examples, and the two halves
of the loss weigh the same, so a handful of examples counts as much as the replayed digits. Every random choice is seeded: the same
model, examples and seed give the same taught weights.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from bnn.config import IMAGE_SIZE, NUM_CLASSES, Augmentation
from bnn.data.augment import augment_batch
from bnn.model.card import ModelCard
from bnn.model.networks import VARIATIONAL_TYPES, build_network, ensemble_arrays, weight_arrays
from bnn.model.predict import DigitModel, EnsembleModel, _sampled_layer, model_from_arrays

TEACH_STEPS = 30  # Adam steps per lesson: enough to follow 10 examples per class, short enough for a page
LEARNING_RATE = 3e-3  # Adam's step size, chosen with the steps on validation digits of a generated style
NEW_SHARE = 0.5  # the new examples' share of the loss, the replayed digits the rest: more learns more from a lesson
#                 of many examples and forgets more from one (docs/decisions.md)
KL_SCALE = 1.0  # times the KL to the old posterior, on top of the card's kl_weight: less learns and forgets more
CORESET_PER_CLASS = 10  # replayed training digits per class: VCL's random coreset, the smallest that kept
#                         validation accuracy from falling on the generated style (the choice is in docs/decisions.md)
CORESET_SEED = 0  # which training digits form the coreset: fixed, so every lesson replays the same ones
MAX_EXAMPLES = 200  # examples one session may teach: beyond them a lesson is refused with a message
ADAM = (0.9, 0.999, 1e-8)  # beta_1, beta_2, epsilon: Keras's defaults

tfd = tfp.distributions


class TeachingError(ValueError):
    """The examples cannot be taught (wrong shapes, labels outside 0-9, too many); the message says what to do."""


def teach(
    model: DigitModel,
    images: np.ndarray,
    labels,
    *,
    seed: int = 0,
    coreset: tuple[np.ndarray, np.ndarray] | None = None,
    steps: int = TEACH_STEPS,
    progress: Callable[[int, int], None] | None = None,
) -> DigitModel:
    """A new model taught ``images`` (N, 28, 28) in [0, 1] (what `bnn.preprocess_image` returns) with ``labels``
    (N,) ints 0-9; ``model`` is left untouched. ``coreset``: (images, labels) replayed beside them (default:
    `training_coreset`, which needs MNIST). ``progress(step, steps)`` is called after every step."""
    images, labels = _checked(images, labels, model.card)
    replay = coreset if coreset is not None else training_coreset()
    arrays_in = _arrays(model)
    teacher = _teacher(model.card)
    members = arrays_in if isinstance(model, EnsembleModel) else [arrays_in]
    with teacher.lock:
        taught_members = [
            teacher.run(member, images, labels, replay, seed=seed + index, steps=steps, progress=progress)
            for index, member in enumerate(members)
        ]
    arrays = ensemble_arrays(taught_members) if isinstance(model, EnsembleModel) else taught_members[0]
    return model_from_arrays(arrays, taught_card(model.card, len(labels), steps, len(replay[1]), seed))


def posterior_kl(model: DigitModel, prior: DigitModel) -> float:
    """KL(q_model || q_prior) in nats, summed over every kernel weight of two variational networks of one shape:
    how far a lesson moved the posterior from the one it started from (0 for the same posterior)."""
    total = 0.0
    pairs = zip(_kernel_posteriors(model), _kernel_posteriors(prior), strict=True)
    for (loc, scale), (prior_loc, prior_scale) in pairs:
        total += float(tf.reduce_sum(tfd.kl_divergence(tfd.Normal(loc, scale), tfd.Normal(prior_loc, prior_scale))))
    return total


def _kernel_posteriors(model: DigitModel) -> list[tuple[tf.Tensor, tf.Tensor]]:
    return [
        (layer.kernel_posterior.distribution.loc, tf.convert_to_tensor(layer.kernel_posterior.distribution.scale))
        for layer in model.network.layers
        if isinstance(layer, VARIATIONAL_TYPES)
    ]


def taught_card(card: ModelCard, examples: int, steps: int, coreset_size: int, seed: int) -> ModelCard:
    """``card`` after a lesson of ``examples``: the count of every example taught so far, and how it was taught.
    The weights' file entry is dropped: the taught weights are not the file's until they are written."""
    raw = {key: value for key, value in card.raw.items() if key != "files"}
    earlier = raw.get("taught", {})
    raw["taught"] = {
        "examples": int(earlier.get("examples", 0)) + examples,
        "lessons": int(earlier.get("lessons", 0)) + 1,
        "method": "variational continual learning" if card.kind == "bayesian" else "fine-tuning",
        "steps_per_lesson": steps,
        "learning_rate": LEARNING_RATE,
        "coreset": coreset_size,
        "seed": seed,
    }
    return ModelCard.from_dict(raw)


@functools.cache
def training_coreset(data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CORESET_PER_CLASS training digits of each class, drawn once with CORESET_SEED: (100, 28, 28), (100,)."""
    from bnn.data import load_mnist

    train = load_mnist(data_dir).train
    rng = np.random.default_rng(CORESET_SEED)
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(train.labels == digit), CORESET_PER_CLASS, replace=False) for digit in range(10)]
    )
    return train.images[chosen].astype(np.float32), train.labels[chosen].astype(np.int32)


def _checked(images, labels, card: ModelCard) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(images, np.float32)
    if images.ndim == 2:
        images = images[None]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(images) == 0:
        raise TeachingError(
            f"Teach (N, 28, 28) network inputs (what bnn.preprocess_image returns), got shape {images.shape}."
        )
    if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise TeachingError("Teach images with finite values in [0, 1] (what bnn.preprocess_image returns).")
    labels = np.atleast_1d(np.asarray(labels))
    if labels.shape != (len(images),):
        raise TeachingError(f"Give one label per image: {len(images)} images, {labels.size} labels.")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise TeachingError(f"Labels are the digits 0 to 9, got {sorted(set(labels.tolist()))[:12]}.")
    earlier = card.taught_examples
    if earlier + len(labels) > MAX_EXAMPLES:
        raise TeachingError(
            f"A network learns at most {MAX_EXAMPLES} examples here ({earlier} taught already): forget what was "
            "taught, or teach fewer."
        )
    return images, labels.astype(np.int32)


def _arrays(model: DigitModel):
    """The model's arrays: one dict, or one per member of an ensemble."""
    if isinstance(model, EnsembleModel):
        return [weight_arrays(member) for member in model.members]
    return weight_arrays(model.network)


@functools.cache
def _teacher_for(settings: str, num_train: int) -> _Teacher:
    import json

    return _Teacher(ModelCard.from_dict({"architecture": json.loads(settings)}), num_train)


def _teacher(card: ModelCard) -> _Teacher:
    """One teacher per network shape and process: its update is compiled once and reused by every lesson."""
    import json

    settings = dict(card.network_settings)
    if card.kind == "ensemble":
        settings["kind"] = "deterministic"  # an ensemble's members are deterministic networks
    return _teacher_for(json.dumps(settings, sort_keys=True), card.num_train or 1)


class _Teacher:
    """A working copy of one network shape, its compiled update and Adam's moments. Lessons take turns (``lock``):
    the variables are loaded from the model taught, updated and read back."""

    def __init__(self, card: ModelCard, num_train: int):
        self.network = build_network(card.config(), num_train=num_train)
        self.variational = [layer for layer in self.network.layers if isinstance(layer, VARIATIONAL_TYPES)]
        self.priors = [
            (
                tf.Variable(layer.kernel_posterior.distribution.loc, trainable=False),
                tf.Variable(tf.convert_to_tensor(layer.kernel_posterior.distribution.scale), trainable=False),
            )
            for layer in self.variational
        ]
        self.variables = self.network.trainable_variables
        self.moments = [
            (
                tf.Variable(tf.zeros_like(variable), trainable=False),
                tf.Variable(tf.zeros_like(variable), trainable=False),
            )
            for variable in self.variables
        ]
        self.count = tf.Variable(0.0, trainable=False)
        self.kl_weight = KL_SCALE * float(card.network_settings.get("kl_weight", 1.0))
        self.augmentation = Augmentation()
        self.lock = threading.Lock()

    def run(self, arrays, images, labels, replay, seed: int, steps: int, progress=None) -> dict[str, np.ndarray]:
        self._load(arrays)
        replay_images = tf.constant(np.asarray(replay[0], np.float32))
        replay_labels = tf.constant(np.asarray(replay[1], np.int32))
        new_images, new_labels = tf.constant(images), tf.constant(labels)
        for step in range(steps):
            self._step(new_images, new_labels, replay_images, replay_labels, tf.constant([seed, step], tf.int32))
            if progress is not None:
                progress(step + 1, steps)
        return weight_arrays(self.network)

    def _load(self, arrays: dict[str, np.ndarray]) -> None:
        from bnn.model.networks import assign_weight_arrays

        assign_weight_arrays(self.network, arrays)
        for layer, (loc, scale) in zip(self.variational, self.priors, strict=True):
            loc.assign(layer.kernel_posterior.distribution.loc)
            scale.assign(tf.convert_to_tensor(layer.kernel_posterior.distribution.scale))
        for first, second in self.moments:
            first.assign(tf.zeros_like(first))
            second.assign(tf.zeros_like(second))
        self.count.assign(0.0)

    @tf.function(reduce_retracing=True)
    def _step(self, new_images, new_labels, replay_images, replay_labels, seed):
        images = tf.concat([new_images, augment_batch(replay_images, seed, self.augmentation)], axis=0)
        labels = tf.concat([new_labels, tf.cast(replay_labels, tf.int32)], axis=0)
        new = tf.shape(new_labels)[0]
        with tf.GradientTape() as tape:
            hidden = images[tf.newaxis]
            for index, layer in enumerate(self.network.layers):
                hidden = _sampled_layer(layer, hidden, tf.constant(1), seed + 1 + index)
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=hidden[0])
            # the new examples weigh a fixed share, however few they are
            loss = NEW_SHARE * tf.reduce_mean(losses[:new]) + (1 - NEW_SHARE) * tf.reduce_mean(losses[new:])
            if self.variational:
                kl = tf.add_n(
                    [
                        tf.reduce_sum(
                            tfd.kl_divergence(tfd.Normal(posterior.loc, posterior.scale), tfd.Normal(loc, scale))
                        )
                        for posterior, (loc, scale) in (
                            (layer.kernel_posterior.distribution, prior)
                            for layer, prior in zip(self.variational, self.priors, strict=True)
                        )
                    ]
                )
                # per example of a batch in which both halves count as many as the replayed digits
                loss += self.kl_weight * kl / tf.cast(2 * tf.shape(replay_labels)[0], tf.float32)
        gradients = tape.gradient(loss, self.variables)
        beta_1, beta_2, epsilon = ADAM
        self.count.assign_add(1.0)
        for variable, gradient, (first, second) in zip(self.variables, gradients, self.moments, strict=True):
            first.assign(beta_1 * first + (1 - beta_1) * gradient)
            second.assign(beta_2 * second + (1 - beta_2) * tf.square(gradient))
            corrected = first / (1 - beta_1**self.count)
            scale = tf.sqrt(second / (1 - beta_2**self.count)) + epsilon
            variable.assign_sub(LEARNING_RATE * corrected / scale)
        return loss
