"""Training and network settings (``Config``), paths, and the settings more than one sub-package or the page share.

A tuning constant of one algorithm lives at the top of its own module; docs/development.md says where each is.
"""

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
CANVAS_SIZE = 280  # px per side of the app's drawing canvas: ten canvas pixels per input pixel
# The Draw tab's pen-width slider and canvas (st.slider's and streamlit-drawable-canvas's st_canvas arguments,
# the pen width aside), shared by app.py and the benchmark's floor page so that both draw on the same canvas.
BRUSH_SLIDER = {
    "label": "Brush width",
    "min_value": 4,
    "max_value": 40,
    "value": 18,
    "help": "Pen width in canvas pixels; on a Number canvas narrowed to fit the screen, narrower in proportion.",
}
CANVAS = {
    "stroke_color": "#FFFFFF",
    "background_color": "#000000",
    "update_streamlit": True,
    "height": CANVAS_SIZE,
    "width": CANVAS_SIZE,
    "drawing_mode": "freedraw",
    "return_image_data": True,
    "key": "canvas",
}
# Reading a whole number (bnn.image.segment, bnn.reading.number, the app's Number tab).
MAX_DIGITS = 12  # more separate digits than this is not read as one number
CUT_SAMPLES = 10  # weight samples per candidate when touching digits are cut where the network reads them best
READINGS_SHOWN = 5  # the most frequent readings of the sampled networks that are listed and charted
NUMBER_CANVAS = {**CANVAS, "width": 3 * CANVAS_SIZE, "key": "number-canvas"}  # the Number tab's wide canvas
NARROWEST_NUMBER_CANVAS = 200  # px: a narrower column (never seen on a phone) gets this and scrolls sideways
NUM_TRAIN = 55_000
NUM_VALIDATION = 5_000
NUM_TEST = 10_000
SPLIT_SEED = 0  # seeds the permutation of the official 60k training file that picks the 5k validation images

# Images from users: limits checked in code (and mirrored in .streamlit/config.toml for uploads).
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # encoded file size
MAX_IMAGE_PIXELS = 40_000_000  # decoded width x height; guards against decompression bombs
IMAGE_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")  # checked from the file's content, not its name
IMAGE_SUFFIXES = ("png", "jpg", "jpeg", "bmp", "gif", "webp")  # file names the upload widget and the CLI take
PROGRESS_MIN_FILES = 5  # `python -m bnn predict` shows a progress bar (stderr) from this many files on

KINDS = ("bayesian", "deterministic")  # the pair every shipped architecture has: variational and its plain twin
BASELINE_KINDS = ("mc-dropout", "ensemble")  # the cheap approximate-Bayesian methods compared with variational
ALL_KINDS = KINDS + BASELINE_KINDS
UNCERTAINTY_KINDS = ("bayesian", *BASELINE_KINDS)  # answer with T samples, so with a mutual information
ARCHITECTURES = ("mlp", "conv")
VARIATIONAL_LAYERS = ("flipout", "reparameterization")
FLAGGED_FRACTION = 0.05  # share of validation digits the "not sure" thresholds flag (their 95 % quantile)
PREDICTION_SAMPLES = 100  # weight samples T per image: predict's default, the app's start value, the model card's
SAMPLES_SLIDER = {"min_value": 10, "max_value": 1000, "value": PREDICTION_SAMPLES, "step": 10}  # the app's T slider
# TensorFlow's threads in a served process: one per operation, since a stroke's predictions are a few small
# operations and the sessions of one process already run side by side (larger pools spend more server CPU per
# answer without answering more), and two running operations at once, so that a lesson taught in one session runs
# beside the answers of the others instead of before them (docs/serving.md).
SERVING_THREADS = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "2"}
THUMBNAIL_SIZE = 56  # px per side of each "What if?" variant on the page


def is_variational(kind: str) -> bool:
    """A variational network: a posterior over every weight (``bnn.model.networks``), not one of the baselines."""
    return kind == "bayesian"


def answers_with_samples(kind: str) -> bool:
    """Answers with T sampled networks (variational, MC dropout or ensemble), so with a mutual information."""
    return kind in UNCERTAINTY_KINDS


def number_canvas(column_width: object = None, pen_width: int = BRUSH_SLIDER["value"]) -> dict:
    """The Number tab's canvas (st_canvas's arguments) in a content column ``column_width`` CSS px wide, as the
    browser reports it (None: not reported), for a pen ``pen_width`` px wide on the wide canvas: as wide as the
    column, between NARROWEST_NUMBER_CANVAS and the wide canvas, with the Draw tab's height so a digit can be written
    as large as there. A number across a narrower canvas is written smaller, so the pen is narrower in proportion
    and the ink keeps its thickness against the digits (with the full pen, a long number written across a phone's
    canvas is a row of blobs). Anything but a positive whole number of pixels is taken as not reported: the wide
    canvas."""
    widest = NUMBER_CANVAS["width"]
    width = widest
    if isinstance(column_width, int) and not isinstance(column_width, bool) and column_width > 0:
        width = max(NARROWEST_NUMBER_CANVAS, min(column_width, widest))
    return {**NUMBER_CANVAS, "width": width, "stroke_width": max(1, round(pen_width * width / widest))}


# The observation model of the variational network's NLL term: the categorical (softmax cross-entropy), or the
# noisy Dirichlet of Milios et al. 2018, which Kapoor et al. 2022 propose against augmentation's under-confidence.
LIKELIHOODS = ("categorical", "noisy-dirichlet")
POSTERIOR_INITS = ("none", "twin")  # posterior means He-normal from scratch, or copied from the deterministic twin
# The KL weight each architecture's shipped variational network is trained with: the recipe the ablation's
# full-length check confirms (docs/results/ablation.md; why, docs/decisions.md).
SHIPPED_KL_WEIGHT = {"mlp": 0.3, "conv": 1.0}
MIN_POSTERIOR_INIT_SCALE = 1e-6  # MOPED floor: a twin weight of exactly 0 still gets a positive sigma


def network_name(arch: str, kind: str) -> str:
    """File stem of a network's weights and model card, e.g. ``mlp-bayesian``."""
    return f"{arch}-{kind}"


def parse_network_name(name: str) -> tuple[str, str]:
    """``(arch, kind)`` of a :func:`network_name`, e.g. ``mlp-mc-dropout`` -> ``("mlp", "mc-dropout")``."""
    arch, separator, kind = name.partition("-")
    if not separator:
        raise ValueError(f"{name!r} is not a network name: expected ARCH-KIND, e.g. {network_name('mlp', 'bayesian')}")
    return arch, kind


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the training-time distortions of ``bnn.data.augment`` (each drawn uniformly per image)."""

    probability: float = 0.5  # each geometric and thickness distortion is applied to this share of images
    rotation_degrees: float = 40.0  # rotation in [-40, 40] degrees
    shear: float = 0.5  # slant: x += shear * y, shear in [-0.5, 0.5]
    aspect: float = 1.7  # width stretched or squeezed by a factor in [1/1.7, 1.7] (log-uniform)
    min_scale: float = 0.9  # longest side of the digit in [0.9, 1.0] x 20 px (preprocess fits it to 20 px)
    thickening: float = 1.0  # blend up to this far towards a 3x3 dilation (about 1 px more on each side)
    thinning: float = 0.5  # ... or up to this far towards a 3x3 erosion
    elastic_pixels: float = 1.0  # standard deviation of the smooth displacement field's control points, pixels
    elastic_grid: int = 5  # control points per side, interpolated bicubically (smoothness like Simard's sigma 4)
    hard_stroke_probability: float = 0.2  # share redrawn as hard-edged uniform strokes, as a canvas paints
    blur_probability: float = 0.2  # share blended (by up to 100 %) towards a 1 px Gaussian blur: a soft photo
    ink_noise: float = 0.05  # every pixel's ink scaled by a factor in [0.95, 1.05]: uneven pressure, sensor noise

    def describe(self) -> dict:
        """The ranges as recorded in the model card."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Config:
    """One training run: network, prior / posterior, optimiser and bookkeeping."""

    kind: str = "bayesian"  # "bayesian" (variational), "deterministic" (its plain twin), "mc-dropout" or "ensemble"
    arch: str = "mlp"  # "mlp" (784-256-256-10) or "conv" (LeNet-5)
    hidden_units: tuple[int, ...] = (256, 256)  # MLP widths
    variational_layer: str = "flipout"  # TFP estimator of the ELBO gradient
    prior_scale: float = 3.0  # std of the zero-mean normal prior on every weight: narrower priors cost accuracy
    posterior_init_scale: float = 1e-3  # initial std of the mean-field normal posterior
    # The variational recipe of the shipped networks: bnn.evaluation.confirmation.shipped_recipe of
    # assets/ablation.json (docs/results/ablation.md), per architecture. Tempering (Wenzel et al. 2020): the loss is
    # NLL + kl_weight x KL / N_train; 1 is the textbook ELBO. None: SHIPPED_KL_WEIGHT of the architecture.
    kl_weight: float | None = None
    # "twin": posterior means start at the shipped deterministic twin's weights (MOPED, Krishnan et al. 2020)
    posterior_init: str = "none"
    # with "twin" (unused otherwise): initial sigma = fraction x |mu| per weight (MOPED); None: posterior_init_scale
    posterior_init_fraction: float | None = None
    # "noisy-dirichlet": the logits regress, by a Gaussian per class, on the log of a Dirichlet whose pseudo-counts
    # are dirichlet_alpha plus the one-hot label (Milios et al. 2018; Kapoor et al. 2022); for ablation candidates only
    likelihood: str = "categorical"
    dirichlet_alpha: float = 0.01
    kl_warmup_epochs: int = 0  # linear ramp of the KL weight from 0 to kl_weight over these epochs
    batch_size: int = 128
    epochs: int = 60
    learning_rate: float = 1e-3
    learning_rate_decay: float = 0.95  # multiplied into the learning rate after every epoch
    patience: int = 20  # epochs without a better validation NLL before stopping
    dropout_rate: float = 0.02  # mc-dropout: share of each dense layer's inputs dropped (the best of a validation grid)
    ensemble_size: int = 5  # ensemble: deterministic members, seeds seed .. seed + ensemble_size - 1
    augment: bool = True  # distort training digits on the fly as people write (ranges: Augmentation)
    validation_samples: int = 10  # weight samples per validation image each epoch
    evaluation_samples: int = PREDICTION_SAMPLES  # weight samples per test image in the model card metrics
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ALL_KINDS:
            raise ValueError(f"kind must be one of {ALL_KINDS}, got {self.kind!r}")
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"arch must be one of {ARCHITECTURES}, got {self.arch!r}")
        if self.variational_layer not in VARIATIONAL_LAYERS:
            raise ValueError(f"variational_layer must be one of {VARIATIONAL_LAYERS}, got {self.variational_layer!r}")
        if self.prior_scale <= 0 or self.posterior_init_scale <= 0:
            raise ValueError("prior_scale and posterior_init_scale must be positive")
        if self.kl_weight is None:
            object.__setattr__(self, "kl_weight", SHIPPED_KL_WEIGHT[self.arch])  # frozen: set once, here
        if not 0 < self.kl_weight <= 1:
            raise ValueError(f"kl_weight (the tempering of the KL term) must be in (0, 1], got {self.kl_weight}")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.dirichlet_alpha <= 0:
            raise ValueError(
                f"dirichlet_alpha (the Dirichlet's pseudo-count) must be positive, got {self.dirichlet_alpha}"
            )
        if self.posterior_init not in POSTERIOR_INITS:
            raise ValueError(f"posterior_init must be one of {POSTERIOR_INITS}, got {self.posterior_init!r}")
        if self.posterior_init_fraction is not None and not 0 < self.posterior_init_fraction <= 1:
            raise ValueError(f"posterior_init_fraction must be in (0, 1], got {self.posterior_init_fraction}")
        if not 0 < self.dropout_rate < 1:
            raise ValueError(f"dropout_rate must be between 0 and 1, got {self.dropout_rate}")
        if self.ensemble_size < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {self.ensemble_size}")

    @property
    def name(self) -> str:
        """File stem of the weights and model card, e.g. ``mlp-bayesian``."""
        return network_name(self.arch, self.kind)

    def augmentation(self) -> Augmentation | None:
        """The distortions applied to training digits, or None when ``augment`` is off."""
        return Augmentation() if self.augment else None

    def network_settings(self) -> dict:
        """The settings needed to rebuild the network; the model card stores them under "architecture"."""
        settings = {
            "kind": self.kind,
            "arch": self.arch,
            "hidden_units": list(self.hidden_units),
            "variational_layer": self.variational_layer,
            "prior_scale": self.prior_scale,
            "posterior_init_scale": self.posterior_init_scale,
        }
        if self.kind == "bayesian" and self.kl_weight != 1.0:  # absent means untempered: such cards stay as written
            settings["kl_weight"] = self.kl_weight
        if self.kind == "mc-dropout":
            settings["dropout_rate"] = self.dropout_rate
        if self.kind == "ensemble":
            settings["ensemble_size"] = self.ensemble_size
        return settings


def assets_dir() -> Path:
    """Where shipped weights live: ``$BNN_ASSETS_DIR`` or the repository's ``assets/``."""
    return Path(os.environ.get(ASSETS_DIR_ENV, ASSETS_DIR))
