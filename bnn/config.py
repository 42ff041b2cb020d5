"""Hyper-parameters and paths. Every default of the project lives here, and only here."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR.parent / "assets"

DATA_DIR_ENV = "BNN_DATA_DIR"  # folder holding MNIST (idx .gz files or mnist.npz)
OOD_DIR_ENV = "BNN_OOD_DIR"  # folder holding Fashion-MNIST
ASSETS_DIR_ENV = "BNN_ASSETS_DIR"  # folder holding shipped weights and model cards
FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian: dataset-fashion-mnist
KERAS_CACHE_DIR = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"

NUM_CLASSES = 10
IMAGE_SIZE = 28
NUM_TRAIN = 55_000
NUM_VALIDATION = 5_000
NUM_TEST = 10_000
SPLIT_SEED = 0  # seeds the permutation of the official 60k training file that picks the 5k validation images

# Images from users: limits checked in code (and mirrored in .streamlit/config.toml for uploads).
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # encoded file size
MAX_IMAGE_PIXELS = 40_000_000  # decoded width x height; guards against decompression bombs
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")  # checked from the file's content, not its name

KINDS = ("bayesian", "deterministic")
ARCHITECTURES = ("mlp", "conv")
VARIATIONAL_LAYERS = ("flipout", "reparameterization")


@dataclass(frozen=True)
class Config:
    """One training run: network, prior / posterior, optimiser and bookkeeping."""

    kind: str = "bayesian"  # "bayesian" (variational) or "deterministic" (its plain twin)
    arch: str = "mlp"  # "mlp" (784-256-256-10) or "conv" (LeNet-5)
    hidden_units: tuple[int, ...] = (256, 256)  # MLP widths
    variational_layer: str = "flipout"  # TFP estimator of the ELBO gradient
    prior_scale: float = 3.0  # std of the zero-mean normal prior on every weight (1.0 and 0.1 tried: less accurate)
    posterior_init_scale: float = 1e-3  # initial std of the mean-field normal posterior
    kl_warmup_epochs: int = 0  # linear ramp of the KL weight from 0 to 1 over these epochs
    batch_size: int = 128
    epochs: int = 60
    learning_rate: float = 1e-3
    learning_rate_decay: float = 0.95  # multiplied into the learning rate after every epoch
    patience: int = 20  # epochs without a better validation NLL before stopping
    validation_samples: int = 10  # weight samples per validation image each epoch
    evaluation_samples: int = 100  # weight samples per test image in the model card metrics
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {ARCHITECTURES}, got {self.arch!r}")
        if self.variational_layer not in VARIATIONAL_LAYERS:
            raise ValueError(f"variational_layer must be one of {VARIATIONAL_LAYERS}, got {self.variational_layer!r}")
        if self.prior_scale <= 0 or self.posterior_init_scale <= 0:
            raise ValueError("prior_scale and posterior_init_scale must be positive")

    @property
    def name(self) -> str:
        """File stem of the weights and model card, e.g. ``mlp-bayesian``."""
        return f"{self.arch}-{self.kind}"

    def replace(self, **changes) -> Config:
        return dataclasses.replace(self, **changes)

    def architecture(self) -> dict:
        """The settings needed to rebuild the network; stored in the model card."""
        return {
            "kind": self.kind,
            "arch": self.arch,
            "hidden_units": list(self.hidden_units),
            "variational_layer": self.variational_layer,
            "prior_scale": self.prior_scale,
            "posterior_init_scale": self.posterior_init_scale,
        }


def assets_dir() -> Path:
    """Where shipped weights live: ``$BNN_ASSETS_DIR`` or the repository's ``assets/``."""
    return Path(os.environ.get(ASSETS_DIR_ENV, ASSETS_DIR))
