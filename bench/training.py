"""Training speed: seconds per 55,000-image epoch of the ELBO training, against a batch-size-1 eager loop.

Fast path: the network, loss and optimiser exactly as ``bnn.model.train.train`` compiles them, trained with
Keras ``fit`` at batch 128 (its per-epoch Monte Carlo validation callback left out, as that is not
training). Baseline: the same Bayesian network and the same loss (cross-entropy + KL / 55,000), one image per
step in an eager ``tf.GradientTape`` loop, timed over a fixed number of steps and extrapolated to 55,000.
Both report the validation accuracy they reached (posterior predictive from as many weight samples as
bnn.model.train validates with, ``Config.validation_samples``).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from bench.text import verdict
from bnn.config import NUM_TRAIN, Config, assets_dir
from bnn.data import DataNotFoundError, load_mnist
from bnn.data.augment import training_dataset
from bnn.model import uncertainty  # bnn first: it sets TF_USE_LEGACY_KERAS before TensorFlow loads
from bnn.model import weights as assets
from bnn.model.card import ModelCard
from bnn.model.predict import DigitModel
from bnn.model.train import EpochTimer, compile_network

# isort: split
import tensorflow as tf
import tf_keras as keras

TARGET_SPEEDUP = 20.0  # Keras fit against the eager batch-1 loop: how much the fast path must gain
TITLE = "Training (seconds per 55,000-image epoch)"


def _validation_accuracy(network: keras.Model, config: Config, validation, count: int) -> dict:
    """Accuracy of the posterior predictive on the first ``count`` validation images, from as many weight
    samples as ``bnn.model.train`` validates with every epoch (``config.validation_samples``)."""
    model = DigitModel(network, ModelCard.untrained(config))
    prediction = model.predict(validation.images[:count], config.validation_samples, seed=config.seed)
    return {
        "accuracy": uncertainty.accuracy(prediction.mean_probs, validation.labels[:count]),
        "images": count,
        "num_samples": config.validation_samples,
    }


def fast_path(config: Config, data, quick: bool) -> dict:
    """Keras ``fit`` at batch 128 on bnn.model.train's input pipeline (augmented when ``config.augment``): whole
    epochs over the 55,000 images, or a few steps when quick."""
    images = 5 * config.batch_size if quick else len(data.train)
    epochs = 2 if quick else 3  # the first epoch traces the training step and is not counted
    network = compile_network(config, NUM_TRAIN)
    timer = EpochTimer()
    batches = training_dataset(
        data.train.images[:images], data.train.labels[:images], config.batch_size, config.seed, config.augmentation()
    )
    network.fit(batches, epochs=epochs, callbacks=[timer], verbose=0)
    timed = timer.seconds[1:]
    seconds = float(np.median(timed))
    return {
        "how": "bnn.model.train's compile (Adam, cross-entropy + KL/55,000) and Keras fit, batch 128, shuffled, "
        + ("augmented as bnn.data.augment" if config.augment else "not augmented"),
        "batch_size": config.batch_size,
        "images_per_timed_epoch": images,
        "timed_epochs_seconds": timed,
        "untimed_first_epoch_seconds": timer.seconds[0],
        "epoch_seconds": seconds * NUM_TRAIN / images,
        "extrapolated": images != NUM_TRAIN,
        "validation_after": {
            "epochs": epochs,
            **_validation_accuracy(network, config, data.validation, 200 if quick else 5000),
        },
    }


def batch_one(config: Config, data, quick: bool, compiled: bool = False) -> dict:
    """The same network and loss, one image per GradientTape step, timed over a fixed number of steps.

    ``compiled=False`` is the baseline the speed-up target is set against (eager, as tutorials write it);
    ``compiled=True`` wraps the same step in ``tf.function``, to show how much of the gap is batching rather than
    Python overhead.
    """
    network = compile_network(config, NUM_TRAIN)  # for bnn.model.train's network, optimiser and loss, not for fit
    optimizer, cross_entropy = network.optimizer, network.loss
    order = np.random.default_rng(config.seed).permutation(len(data.train))

    def step(image: tf.Tensor, label: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            logits = network(image, training=True)
            loss = cross_entropy(label, logits) + tf.add_n(network.losses)  # network.losses: KL / 55,000
        gradients = tape.gradient(loss, network.trainable_variables)
        optimizer.apply_gradients(zip(gradients, network.trainable_variables))

    step = tf.function(step) if compiled else step
    warmup, timed = (1, 3) if quick else (20, 2000 if compiled else 300)
    seconds = []
    for count, index in enumerate(order[: warmup + timed]):
        image, label = (
            tf.constant(data.train.images[index : index + 1]),
            tf.constant(data.train.labels[index : index + 1]),
        )
        start = time.perf_counter()
        step(image, label)
        if count >= warmup:
            seconds.append(time.perf_counter() - start)
    total = float(np.sum(seconds))
    return {
        "how": f"same network and loss, batch size 1, {'tf.function' if compiled else 'eager'} GradientTape step, Adam",
        "batch_size": 1,
        "warmup_steps": warmup,
        "timed_steps": timed,
        "timed_seconds": total,
        "step_ms_p50": float(np.median(seconds) * 1e3),
        "epoch_seconds": total / timed * NUM_TRAIN,
        "extrapolated": True,
        "validation_after": {
            "images_trained_on": warmup + timed,
            **_validation_accuracy(network, config, data.validation, 200 if quick else 5000),
        },
    }


def run(quick: bool = False) -> dict:
    try:
        data = load_mnist()
    except DataNotFoundError as error:
        return {"skipped": f"MNIST not found ({str(error).splitlines()[0]})"}
    config = Config()  # the shipped Bayesian MLP's settings
    card = assets.read_card(assets_dir(), config.name)
    fast = fast_path(config, data, quick)
    plain = fast_path(dataclasses.replace(config, augment=False), data, quick)
    baseline = batch_one(config, data, quick)
    compiled = batch_one(config, data, quick, compiled=True)
    speedup = baseline["epoch_seconds"] / fast["epoch_seconds"]
    return {
        "model": config.name,
        "train_images": NUM_TRAIN,
        "fast": fast,
        "fast_without_augmentation": plain,
        "augmentation_cost": fast["epoch_seconds"] / plain["epoch_seconds"],  # distorting on the fly
        "baseline": baseline,
        "speedup": speedup,
        "baseline_compiled": compiled,  # context only: the target is against the eager baseline
        "speedup_vs_baseline_compiled": compiled["epoch_seconds"] / fast["epoch_seconds"],
        "speedup_min": TARGET_SPEEDUP,
        "speedup_met": speedup >= TARGET_SPEEDUP,
        "shipped_model_card": {
            "best_validation_accuracy": card.best_validation_accuracy,
            "best_epoch": card.best_epoch,
            "epoch_seconds_median": card.epoch_seconds_median,
            "note": "the fast path's full training run that produced the shipped weights",
        },
    }


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: fit against the batch-1 loops, and the speed-up."""
    fast, baseline = result["fast"], result["baseline"]
    lines = []
    lines.append(
        f"  Keras fit, batch {fast['batch_size']}: {fast['epoch_seconds']:.1f} s"
        f"{' (extrapolated)' if fast['extrapolated'] else ''}; validation accuracy "
        f"{fast['validation_after']['accuracy']:.4f} after {fast['validation_after']['epochs']} epochs"
    )
    lines.append(
        f"  eager GradientTape, batch 1: {baseline['epoch_seconds']:.0f} s (extrapolated from "
        f"{baseline['timed_steps']} steps, p50 {baseline['step_ms_p50']:.1f} ms/step); validation accuracy "
        f"{baseline['validation_after']['accuracy']:.4f} after {baseline['validation_after']['images_trained_on']} images"
    )
    if "fast_without_augmentation" in result:  # optional: a results file without it still prints
        lines.append(
            f"  the same without augmentation: {result['fast_without_augmentation']['epoch_seconds']:.1f} s; "
            f"augmentation costs {result['augmentation_cost']:.2f}x"
        )
    compiled = result["baseline_compiled"]
    lines.append(
        f"  (same batch-1 step in tf.function: {compiled['epoch_seconds']:.0f} s, p50 "
        f"{compiled['step_ms_p50']:.1f} ms/step, {result['speedup_vs_baseline_compiled']:.0f}x slower than fit; "
        f"validation accuracy {compiled['validation_after']['accuracy']:.4f} after "
        f"{compiled['validation_after']['images_trained_on']} images)"
    )
    card = result["shipped_model_card"]
    lines.append(
        f"  speed-up {result['speedup']:.0f}x (target >= {result['speedup_min']:.0f}x: "
        f"{verdict(result['speedup_met'])}); the shipped fast-path run reached validation "
        f"accuracy {card['best_validation_accuracy']:.4f} (epoch {card['best_epoch']})"
    )
    return lines
