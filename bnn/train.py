"""ELBO training with Keras ``fit``: validation from several weight samples, early stopping,
best checkpoint on validation NLL, and a model card written beside the weights.

Loss per example = cross-entropy NLL + KL(q || p) / N_train: the Keras loss is the NLL and each
variational layer adds its scaled KL to ``model.losses``, which ``fit`` adds to the loss.
"""

from __future__ import annotations

import datetime
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras as keras

from bnn import assets, evaluate, uncertainty
from bnn.augment import training_dataset
from bnn.config import Config
from bnn.data import Dataset, MnistSplit
from bnn.environment import environment
from bnn.models import build_network, weight_arrays
from bnn.predict import DigitModel


@dataclass
class TrainResult:
    model: DigitModel
    card: dict
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
    """Ramp the KL weight linearly from 1/epochs to 1 over the first ``epochs`` epochs."""

    def __init__(self, kl_weight: tf.Variable, epochs: int):
        super().__init__()
        self.kl_weight, self.epochs = kl_weight, epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.kl_weight.assign(min(1.0, (epoch + 1) / self.epochs))


def compile_network(config: Config, num_train: int) -> keras.Model:
    """The network of ``config``, built after seeding with ``config.seed`` and compiled for the ELBO.

    Adam at ``config.learning_rate``; the loss is the cross-entropy NLL from logits, and each variational
    layer adds its KL / ``num_train`` to ``model.losses``, which Keras adds to it; metric: accuracy.
    """
    keras.utils.set_random_seed(config.seed)
    network = build_network(config, num_train=num_train)
    network.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return network


def train(
    config: Config,
    data: MnistSplit,
    output_dir: Path | None = None,
    checkpoint_dir: Path | None = None,
    verbose: int = 1,
) -> TrainResult:
    """Train one network on ``data.train``; with ``output_dir``, write its weights and model card there."""
    network = compile_network(config, num_train=len(data.train))
    model = DigitModel(network, {"architecture": config.architecture()})
    checkpoint_dir = Path(checkpoint_dir or tempfile.mkdtemp(prefix="bnn-"))
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
        callbacks.insert(0, _KlWarmup(network.kl_weight, config.kl_warmup_epochs))
    batches = training_dataset(
        data.train.images, data.train.labels, config.batch_size, config.seed, config.augmentation()
    )
    history = network.fit(batches, epochs=config.epochs, callbacks=callbacks, verbose=verbose).history
    network.load_weights(checkpoint)  # the epoch with the best validation NLL
    network.kl_weight.assign(1.0)

    best_epoch = int(np.argmin(history["val_nll"]))
    card = _model_card(config, data, history, timer.seconds, best_epoch)
    model = DigitModel(network, card)
    test_prediction = model.predict(data.test.images, config.evaluation_samples, seed=config.seed)
    card["metrics"] = {
        "num_samples": test_prediction.num_samples,
        "split": "test",
        **evaluate.prediction_metrics(test_prediction, data.test.labels),
    }
    validation_prediction = model.predict(data.validation.images, config.evaluation_samples, seed=config.seed)
    card["uncertainty_thresholds"] = evaluate.uncertainty_thresholds(validation_prediction, data.validation.labels)
    if output_dir is not None:
        card = assets.write_weights(weight_arrays(network), card, Path(output_dir), config.name)
    model.card = card
    return TrainResult(model=model, card=card, history={k: [float(v) for v in vs] for k, vs in history.items()})


def _model_card(config: Config, data: MnistSplit, history: dict, epoch_seconds: list[float], best_epoch: int) -> dict:
    ran_on = environment()
    return {
        "name": config.name,
        "architecture": config.architecture(),
        "objective": (
            "negative ELBO per example: cross-entropy NLL + KL(q||p) / N_train"
            if config.kind == "bayesian"
            else "cross-entropy NLL"
        ),
        "prior": {"kernel": f"N(0, {config.prior_scale}^2) per weight", "bias": "none (point estimate)"}
        if config.kind == "bayesian"
        else None,
        "posterior": {
            "kernel": "mean-field normal N(mu, softplus(rho)^2), mu He-normal initialised, "
            f"sigma initialised near {config.posterior_init_scale}",
            "bias": "point estimate",
            "gradient_estimator": config.variational_layer,
        }
        if config.kind == "bayesian"
        else None,
        "split": data.describe(),
        "seed": config.seed,
        "training": {
            "optimizer": "Adam",
            "learning_rate": config.learning_rate,
            "learning_rate_decay_per_epoch": config.learning_rate_decay,
            "batch_size": config.batch_size,
            "augmentation": config.augmentation().describe() if config.augment else None,
            "max_epochs": config.epochs,
            "epochs_trained": len(history["val_nll"]),
            "best_epoch": best_epoch + 1,
            "best_validation_nll": float(history["val_nll"][best_epoch]),
            "best_validation_accuracy": float(history["val_accuracy"][best_epoch]),
            "validation_samples": config.validation_samples,
            "kl_warmup_epochs": config.kl_warmup_epochs,
            "early_stopping_patience": config.patience,
            "epoch_seconds_median": float(np.median(epoch_seconds)),
            "epoch_seconds": [round(s, 3) for s in epoch_seconds],
            "machine": {"cpus": ran_on["cpus"], "platform": ran_on["platform"]},
        },
        "versions": ran_on["versions"],
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
