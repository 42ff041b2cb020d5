"""ELBO training with Keras ``fit``: validation from several weight samples, early stopping,
best checkpoint on validation NLL, and a model card written beside the weights.

Loss per example = cross-entropy NLL + KL(q || p) / N_train: the Keras loss is the NLL and each
variational layer adds its scaled KL to ``model.losses``, which ``fit`` adds to the loss.
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

from bnn import assets, evaluate, uncertainty
from bnn.augment import training_dataset
from bnn.config import Config
from bnn.data import Dataset, MnistSplit
from bnn.environment import environment
from bnn.models import build_network, ensemble_arrays, weight_arrays
from bnn.predict import DigitModel, EnsembleModel


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
    layer adds its KL / ``num_train`` to ``model.losses``, which Keras adds to it; metrics: accuracy and the NLL.
    """
    keras.utils.set_random_seed(config.seed)
    network = build_network(config, num_train=num_train)
    network.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        # the epoch's mean training NLL on its own; the loss minus it is the mean KL / N (the ELBO's two terms)
        metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(from_logits=True, name="nll")],
    )
    return network


def train(
    config: Config,
    data: MnistSplit,
    output_dir: Path | None = None,
    checkpoint_dir: Path | None = None,
    verbose: int = 1,
) -> TrainResult:
    """Train one network on ``data.train``; with ``output_dir``, write its weights and model card there.

    An ensemble trains ``config.ensemble_size`` deterministic networks with seeds ``seed``, ``seed + 1``, ...
    one after the other (each with its own early stopping) and ships them as one file and one card.
    """
    checkpoint_dir = Path(checkpoint_dir or tempfile.mkdtemp(prefix="bnn-"))
    if config.kind != "ensemble":
        network, fitted = _fit(config, data, checkpoint_dir, verbose)
        card = _model_card(config, data, fitted)
        return _finish(DigitModel(network, card), config, data, weight_arrays(network), output_dir, fitted.history)
    members, runs = [], []
    for index in range(config.ensemble_size):
        member_config = dataclasses.replace(config, seed=config.seed + index)
        network, fitted = _fit(member_config, data, checkpoint_dir / f"member_{index}", verbose)
        members.append(network)
        runs.append(fitted)
    card = _model_card(config, data, runs[0])
    card["training"]["members"] = [_training_record(run) | {"seed": config.seed + i} for i, run in enumerate(runs)]
    for key in ("epochs_trained", "best_epoch", "best_validation_nll", "best_validation_accuracy", "history"):
        del card["training"][key]  # per member, above
    card["training"]["epoch_seconds"] = [seconds for run in runs for seconds in run.epoch_seconds]
    card["training"]["epoch_seconds_median"] = float(np.median(card["training"]["epoch_seconds"]))
    arrays = ensemble_arrays([weight_arrays(member) for member in members])
    history = {f"member_{i}/{key}": values for i, run in enumerate(runs) for key, values in run.history.items()}
    return _finish(EnsembleModel(members, card), config, data, arrays, output_dir, history)


@dataclass
class _Fitted:
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    best_epoch: int  # 0-based


def _fit(config: Config, data: MnistSplit, checkpoint_dir: Path, verbose: int) -> tuple[keras.Model, _Fitted]:
    """Fit one network with early stopping on the Monte Carlo validation NLL; the best epoch's weights are kept."""
    network = compile_network(config, num_train=len(data.train))
    model = DigitModel(network, {"architecture": config.architecture()})
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
    history = {key: [float(value) for value in values] for key, values in history.items()}
    return network, _Fitted(history, timer.seconds, int(np.argmin(history["val_nll"])))


def _finish(
    model: DigitModel, config: Config, data: MnistSplit, arrays: dict, output_dir: Path | None, history: dict
) -> TrainResult:
    """Test metrics and "not sure" thresholds into the card; with ``output_dir``, the weights and card written."""
    card = model.card
    test_prediction = model.predict(data.test.images, config.evaluation_samples, seed=config.seed)
    card["metrics"] = {
        "num_samples": test_prediction.num_samples,
        "split": "test",
        **evaluate.prediction_metrics(test_prediction, data.test.labels),
    }
    validation_prediction = model.predict(data.validation.images, config.evaluation_samples, seed=config.seed)
    card["uncertainty_thresholds"] = evaluate.uncertainty_thresholds(validation_prediction, data.validation.labels)
    if output_dir is not None:
        card = assets.write_weights(arrays, card, Path(output_dir), config.name)
    model.card = card
    return TrainResult(model=model, card=card, history=history)


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


def _per_epoch(history: dict) -> dict[str, list[float]]:
    """The training curves: per epoch, the training NLL and KL / N (their sum is the loss Keras minimised, both
    averaged over the epoch's batches), the training accuracy, and the Monte Carlo validation NLL and accuracy."""
    curves = {
        "nll": history["nll"],
        "kl": [loss - nll for loss, nll in zip(history["loss"], history["nll"], strict=True)],
        "accuracy": history["accuracy"],
        "val_nll": history["val_nll"],
        "val_accuracy": history["val_accuracy"],
    }
    return {name: [round(float(value), 6) for value in values] for name, values in curves.items()}


def _model_card(config: Config, data: MnistSplit, fitted: _Fitted) -> dict:
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
            **_training_record(fitted),
            "validation_samples": config.validation_samples,
            "kl_warmup_epochs": config.kl_warmup_epochs,
            "early_stopping_patience": config.patience,
            "epoch_seconds_median": float(np.median(fitted.epoch_seconds)),
            "epoch_seconds": [round(s, 3) for s in fitted.epoch_seconds],
            "machine": {"cpus": ran_on["cpus"], "platform": ran_on["platform"]},
        },
        "versions": ran_on["versions"],
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
