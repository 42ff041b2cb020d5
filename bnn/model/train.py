"""ELBO training with Keras ``fit``: validation from several weight samples, early stopping,
best checkpoint on validation NLL, and a model card written beside the weights.

Loss per example = cross-entropy NLL + kl_weight x KL(q || p) / N_train: the Keras loss is the NLL and each
variational layer adds its scaled KL to ``model.losses``, which ``fit`` adds to the loss. kl_weight = 1 is
the ELBO; below 1 the posterior is tempered (Wenzel et al. 2020), which the model card says.
"""

from __future__ import annotations

import dataclasses
import datetime
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from bnn.config import Config, assets_dir, network_name
from bnn.data import Dataset, MnistSplit
from bnn.data.augment import training_dataset
from bnn.model import metrics, uncertainty
from bnn.model import weights as assets
from bnn.model.card import ModelCard
from bnn.model.environment import environment
from bnn.model.networks import build_network, ensemble_arrays, initialise_from_twin, weight_arrays
from bnn.model.predict import DigitModel, EnsembleModel


@dataclass
class TrainResult:
    model: DigitModel
    card: ModelCard  # the model's card, as written (``card.raw``: the dict)
    history: dict[str, list[float]]


class EpochTimer(keras.callbacks.Callback):
    """Seconds per epoch of training steps only (it runs before the validation callback)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        logs["epoch_seconds"] = self.seconds[-1]


class _MonteCarloValidation(keras.callbacks.Callback):
    """Validation NLL and accuracy of the posterior predictive from several weight samples."""

    def __init__(self, model: DigitModel, validation: Dataset, num_samples: int, seed: int):
        super().__init__()
        self.digit_model, self.validation = model, validation
        self.num_samples, self.seed = num_samples, seed

    def on_epoch_end(self, epoch, logs=None):
        prediction = self.digit_model.predict(self.validation.images, self.num_samples, seed=self.seed + epoch)
        logs["val_nll"] = uncertainty.negative_log_likelihood(prediction.mean_probs, self.validation.labels)
        logs["val_accuracy"] = uncertainty.accuracy(prediction.mean_probs, self.validation.labels)


class _KlWarmup(keras.callbacks.Callback):
    """Ramp the KL weight linearly from target/epochs to ``target`` (the tempering) over the first ``epochs`` epochs."""

    def __init__(self, kl_weight: tf.Variable, epochs: int, target: float = 1.0):
        super().__init__()
        self.kl_weight, self.epochs, self.target = kl_weight, epochs, target

    def on_epoch_begin(self, epoch, logs=None):
        self.kl_weight.assign(self.target * min(1.0, (epoch + 1) / self.epochs))


def noisy_dirichlet_nll(alpha: float):
    """The noisy-Dirichlet observation model (Milios et al. 2018) as a Keras loss of (labels, logits): each label
    becomes Dirichlet pseudo-counts ``alpha`` + one-hot, approximated per class by a log-normal, so logit i has a
    Gaussian likelihood N(log a_i - s_i / 2, s_i) with s_i = log(1 / a_i + 1). Its sum over the classes is the
    per-example negative log-likelihood (nats, up to the Jacobian of the log, which does not depend on the logits)."""

    def loss(labels, logits):
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        counts = alpha + tf.one_hot(labels, depth=tf.shape(logits)[-1], dtype=logits.dtype)
        variance = tf.math.log1p(1.0 / counts)
        target = tf.math.log(counts) - variance / 2
        return tf.reduce_sum(0.5 * tf.math.log(2 * np.pi * variance) + tf.square(logits - target) / (2 * variance), -1)

    return loss


def compile_network(config: Config, num_train: int) -> keras.Model:
    """The network of ``config``, built after seeding with ``config.seed`` and compiled for the ELBO.

    Adam at ``config.learning_rate``; the loss is the data term (the cross-entropy NLL from logits, or the
    noisy-Dirichlet NLL when ``config.likelihood`` says so), and each variational layer adds its KL /
    ``num_train`` to ``model.losses``, which Keras adds to it; metrics: accuracy, the cross-entropy NLL and,
    with the noisy Dirichlet, its own data term.
    """
    keras.utils.set_random_seed(config.seed)
    network = build_network(config, num_train=num_train)
    # the epoch's mean training NLL on its own; the loss minus the data term is the mean KL / N (the ELBO's two terms)
    metrics = ["accuracy", keras.metrics.SparseCategoricalCrossentropy(from_logits=True, name="nll")]
    if config.likelihood == "noisy-dirichlet":
        loss = noisy_dirichlet_nll(config.dirichlet_alpha)
        metrics.append(keras.metrics.MeanMetricWrapper(loss, name="data_nll"))
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    network.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss=loss, metrics=metrics)
    return network


def train(
    config: Config,
    data: MnistSplit,
    output_dir: Path | None = None,
    checkpoint_dir: Path | None = None,
    verbose: int = 1,
    twin_dir: Path | None = None,
) -> TrainResult:
    """Train one network on ``data.train``; with ``output_dir``, write its weights and model card there.

    With ``config.posterior_init == "twin"`` a Bayesian network starts at the deterministic twin's weights read
    (sha256-checked) from ``twin_dir`` (default: ``config.assets_dir()``); the card records that file's sha256.
    An ensemble trains ``config.ensemble_size`` deterministic networks with seeds ``seed``, ``seed + 1``, ...
    one after the other (each with its own early stopping) and ships them as one file and one card.
    """
    checkpoint_dir = Path(checkpoint_dir or tempfile.mkdtemp(prefix="bnn-"))
    if config.kind != "ensemble":
        twin = read_twin(config, twin_dir)
        network, fitted = fit(config, data, checkpoint_dir, verbose, twin=twin)
        card = _model_card(config, data, [fitted], twin)
        model = DigitModel(network, ModelCard.from_dict(card))
        return _finish(model, card, config, data, weight_arrays(network), output_dir, fitted.history)
    members, runs = [], []
    for index in range(config.ensemble_size):
        member_config = dataclasses.replace(config, seed=config.seed + index)
        network, fitted = fit(member_config, data, checkpoint_dir / f"member_{index}", verbose)
        members.append(network)
        runs.append(fitted)
    card = _model_card(config, data, runs)
    arrays = ensemble_arrays([weight_arrays(member) for member in members])
    history = {f"member_{i}/{key}": values for i, run in enumerate(runs) for key, values in run.history.items()}
    return _finish(EnsembleModel(members, ModelCard.from_dict(card)), card, config, data, arrays, output_dir, history)


@dataclass
class Twin:
    """The deterministic twin a Bayesian network starts from: its arrays and the sha256 of its weights file."""

    arrays: dict[str, np.ndarray]
    path: str
    sha256: str


def read_twin(config: Config, twin_dir: Path | None = None) -> Twin | None:
    """The twin of ``config`` from ``twin_dir`` (default: the assets folder) when it starts from one, else None."""
    if config.kind != "bayesian" or config.posterior_init != "twin":
        return None
    directory = Path(twin_dir) if twin_dir is not None else assets_dir()
    arrays, card = assets.read_weights(directory, network_name(config.arch, "deterministic"))
    return Twin(arrays, card.weights_path, card.weights_sha256)


@dataclass
class _Fitted:
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    best_epoch: int  # 0-based


def fit(
    config: Config, data: MnistSplit, checkpoint_dir: Path, verbose: int = 1, twin: Twin | None = None
) -> tuple[keras.Model, _Fitted]:
    """Fit one network with early stopping on the Monte Carlo validation NLL; the best epoch's weights are kept.

    Uses ``data.train`` and ``data.validation`` only. ``twin`` (from :func:`read_twin`): where the posterior starts.
    """
    network = compile_network(config, num_train=len(data.train))
    if twin is not None:
        initialise_from_twin(network, twin.arrays, config.posterior_init_fraction)
    model = DigitModel(network, ModelCard.untrained(config))
    checkpoint = checkpoint_dir / f"{config.name}.best.weights.h5"
    timer = EpochTimer()
    callbacks = [
        timer,
        _MonteCarloValidation(model, data.validation, config.validation_samples, config.seed),
        keras.callbacks.LearningRateScheduler(lambda epoch: config.learning_rate * config.learning_rate_decay**epoch),
        keras.callbacks.ModelCheckpoint(
            checkpoint, monitor="val_nll", mode="min", save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_nll", mode="min", patience=config.patience, start_from_epoch=config.kl_warmup_epochs
        ),
    ]
    if config.kl_warmup_epochs > 0 and config.kind == "bayesian":
        callbacks.insert(0, _KlWarmup(network.kl_weight, config.kl_warmup_epochs, config.kl_weight))
    batches = training_dataset(
        data.train.images, data.train.labels, config.batch_size, config.seed, config.augmentation()
    )
    history = network.fit(batches, epochs=config.epochs, callbacks=callbacks, verbose=verbose).history
    network.load_weights(checkpoint)  # the epoch with the best validation NLL
    network.kl_weight.assign(config.kl_weight)  # the tempering the final model was trained for
    history = {key: [float(value) for value in values] for key, values in history.items()}
    return network, _Fitted(history, timer.seconds, int(np.argmin(history["val_nll"])))


def _finish(
    model: DigitModel,
    card: dict,
    config: Config,
    data: MnistSplit,
    arrays: dict,
    output_dir: Path | None,
    history: dict,
) -> TrainResult:
    """Test metrics and "not sure" thresholds into ``card``; with ``output_dir``, the weights and card written."""
    test_prediction = model.predict(data.test.images, config.evaluation_samples, seed=config.seed)
    card["metrics"] = {
        "num_samples": test_prediction.num_samples,
        "split": "test",
        **metrics.prediction_metrics(test_prediction, data.test.labels),
    }
    validation_prediction = model.predict(data.validation.images, config.evaluation_samples, seed=config.seed)
    card["uncertainty_thresholds"] = metrics.uncertainty_thresholds(validation_prediction, data.validation.labels)
    if output_dir is not None:
        card = assets.write_weights(arrays, card, Path(output_dir), config.name)
    model.card = ModelCard.from_dict(card)
    return TrainResult(model=model, card=model.card, history=history)


def _training_record(fitted: _Fitted) -> dict:
    """What the card says about one fit: epochs, the best epoch (1-based) and its validation scores, the curves."""
    best = fitted.best_epoch
    return {
        "epochs_trained": len(fitted.history["val_nll"]),
        "best_epoch": best + 1,
        "best_validation_nll": fitted.history["val_nll"][best],
        "best_validation_accuracy": fitted.history["val_accuracy"][best],
        "history": _per_epoch(fitted.history),
    }


def _approximation(config: Config) -> str | None:
    """What stands in for the posterior, for the kinds without a variational one (model card)."""
    if config.kind == "mc-dropout":
        return (
            f"MC dropout (Gal & Ghahramani 2016): dropout at rate {config.dropout_rate} before every dense layer, "
            "kept on at prediction; each sample is one set of dropout masks"
        )
    if config.kind == "ensemble":
        return (
            f"deep ensemble (Lakshminarayanan et al. 2017): {config.ensemble_size} deterministic networks trained "
            f"independently from seeds {config.seed} to {config.seed + config.ensemble_size - 1} (no adversarial "
            "training); each member is one sample"
        )
    return None


def _recipe(config: Config, twin: Twin | None) -> dict:
    """The variational recipe's settings (model card's training section): tempering and where the posterior began."""
    return {
        "kl_weight": config.kl_weight,
        "posterior_init": config.posterior_init,
        "posterior_init_fraction": config.posterior_init_fraction if twin is not None else None,
        "twin_weights": {"path": twin.path, "sha256": twin.sha256} if twin is not None else None,
        # only where it is not the categorical, so the shipped cards stay as they are
        **(
            {"likelihood": config.likelihood, "dirichlet_alpha": config.dirichlet_alpha}
            if config.likelihood != "categorical"
            else {}
        ),
    }


def _per_epoch(history: dict) -> dict[str, list[float]]:
    """The training curves: per epoch, the training NLL and kl_weight x KL / N (their sum is the loss Keras minimised, both
    averaged over the epoch's batches), the training accuracy, and the Monte Carlo validation NLL and accuracy."""
    curves = {
        "nll": history["nll"],
        "kl": [
            loss - data for loss, data in zip(history["loss"], history.get("data_nll", history["nll"]), strict=True)
        ],
        "accuracy": history["accuracy"],
        "val_nll": history["val_nll"],
        "val_accuracy": history["val_accuracy"],
    }
    return {name: [round(float(value), 6) for value in values] for name, values in curves.items()}


def _objective(config: Config) -> str:
    """The loss the network minimised, in words (model card); a tempered posterior is named as such."""
    data = "cross-entropy NLL"
    if config.likelihood == "noisy-dirichlet":
        data = f"noisy-Dirichlet NLL (alpha {config.dirichlet_alpha:g}; Milios et al. 2018, Kapoor et al. 2022)"
    if config.kind != "bayesian":
        return data
    if config.kl_weight == 1.0:
        return f"negative ELBO per example: {data} + KL(q||p) / N_train"
    return (
        f"tempered negative ELBO per example: {data} + {config.kl_weight:g} x KL(q||p) / N_train "
        "(Wenzel et al. 2020); a tempered posterior is not the textbook Bayes posterior"
    )


def _posterior_start(config: Config, twin: Twin | None) -> str:
    """Where the posterior started, in words (model card)."""
    if twin is None:
        return f"mu He-normal initialised, sigma initialised near {config.posterior_init_scale}"
    sigma = (
        f"sigma initialised at {config.posterior_init_fraction:g} x |mu| per weight (MOPED, Krishnan et al. 2020)"
        if config.posterior_init_fraction is not None
        else f"sigma initialised near {config.posterior_init_scale}"
    )
    return f"mu initialised from the deterministic twin {twin.path} (sha256 {twin.sha256}), {sigma}"


def _model_card(config: Config, data: MnistSplit, runs: list[_Fitted], twin: Twin | None = None) -> dict:
    """The card of a network fitted once (``runs``: its one fit), or of an ensemble (one fit per member, listed
    under ``training.members``); metrics, thresholds and files are added by :func:`_finish`."""
    ran_on = environment()
    ensemble = config.kind == "ensemble"
    seconds = [second for run in runs for second in run.epoch_seconds]
    return {
        "name": config.name,
        "architecture": config.network_settings(),
        "objective": _objective(config),
        "prior": {"kernel": f"N(0, {config.prior_scale}^2) per weight", "bias": "none (point estimate)"}
        if config.kind == "bayesian"
        else None,
        "posterior": {
            "kernel": f"mean-field normal N(mu, softplus(rho)^2), {_posterior_start(config, twin)}",
            "bias": "point estimate",
            "gradient_estimator": config.variational_layer,
        }
        if config.kind == "bayesian"
        else None,
        "approximation": _approximation(config),
        "split": data.describe(),
        "seed": config.seed,
        "training": {
            "optimizer": "Adam",
            "learning_rate": config.learning_rate,
            "learning_rate_decay_per_epoch": config.learning_rate_decay,
            "batch_size": config.batch_size,
            "augmentation": config.augmentation().describe() if config.augment else None,
            "max_epochs": config.epochs,
            **({} if ensemble else _training_record(runs[0])),  # an ensemble's are per member, below
            "validation_samples": config.validation_samples,
            "kl_warmup_epochs": config.kl_warmup_epochs,
            **(_recipe(config, twin) if config.kind == "bayesian" else {}),
            "early_stopping_patience": config.patience,
            "epoch_seconds_median": float(np.median(seconds)),
            # rounded to the millisecond; an ensemble's unrounded, as its shipped card records them
            "epoch_seconds": seconds if ensemble else [round(s, 3) for s in seconds],
            "machine": {"cpus": ran_on["cpus"], "platform": ran_on["platform"]},
            **(
                {"members": [_training_record(run) | {"seed": config.seed + i} for i, run in enumerate(runs)]}
                if ensemble
                else {}
            ),
        },
        "versions": ran_on["versions"],
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
