"""The served networks of one architecture: every shipped kind loaded once, frozen, warmed up, with the "not
sure" thresholds of its model card and one memo of predictions for the whole process.

    networks = load_networks("mlp")
    prediction = networks.predict(x, "bayesian", num_samples=100, seed=0)   # x: (28, 28); memoised
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bnn.config import IMAGE_SIZE, PREDICTION_SAMPLES
from bnn.model.card import Thresholds
from bnn.model.predict import DigitModel, Prediction, load_model
from bnn.model.weights import shipped_kinds

PREDICTIONS_KEPT = 1024  # predictions memoised per process, the most recent ones: every open page's and more
WARM_UP_SAMPLES = 10  # T of the first call that compiles each sampler: small, as T is an argument of the one trace


class PredictionMemo:
    """Predictions of single (28, 28) inputs by named models, each made once per (input, model, T, seed) and kept,
    the least recently used dropped first: for a page that shows the same input again on every rerun. A plain
    LRU memo: a framework's argument hashing can cost more than a small network's prediction."""

    def __init__(self, models: dict[str, DigitModel], maxsize: int = 1024):
        self.models = models
        self._predict = lru_cache(maxsize=maxsize)(self._predict_pixels)

    def __call__(self, image: np.ndarray, kind: str, num_samples: int, seed: int | None) -> Prediction:
        """``models[kind]``'s prediction of ``image`` (28, 28); the same object each time (nothing modifies it)."""
        pixels = np.ascontiguousarray(image, np.float32)
        return self._predict(pixels.tobytes(), pixels.shape, kind, num_samples, seed)

    def _predict_pixels(self, pixels: bytes, shape: tuple, kind: str, num_samples: int, seed: int | None):
        image = np.frombuffer(pixels, np.float32).reshape(shape)
        return self.models[kind].predict(image[None], num_samples=num_samples, seed=seed)


@dataclass(frozen=True)
class Networks:
    """Every loaded network of one architecture by kind, their "not sure" thresholds, and one memo of their
    predictions (a page shows the same input again on every rerun; the memo costs next to nothing)."""

    arch: str
    models: dict[str, DigitModel]
    predictions: PredictionMemo

    @property
    def thresholds(self) -> dict[str, Thresholds]:
        """Each kind's thresholds from its model card (the 0.95 quantiles on validation digits)."""
        return {kind: model.card.thresholds for kind, model in self.models.items()}

    def predict(self, image: np.ndarray, kind: str, num_samples: int = PREDICTION_SAMPLES, seed: int | None = 0):
        """``kind``'s prediction of one (28, 28) input (T where the kind samples); the same object each time."""
        return self.predictions(image, kind, num_samples, seed)


def load_networks(
    arch: str = "mlp",
    assets_dir: str | Path | None = None,
    kinds: Iterable[str] | None = None,
    warm: bool = True,
) -> Networks:
    """The shipped networks of ``arch`` (``kinds``, default every shipped one), sha256-checked and frozen (their
    weights never change while served, so each posterior's scales are computed once). ``warm``: one prediction
    each now compiles its sampler, so the first real input is answered as fast as the rest."""
    kinds = tuple(kinds) if kinds is not None else shipped_kinds(arch, assets_dir)
    models = {kind: load_model(kind, arch, assets_dir).frozen() for kind in kinds}
    if warm:
        warm_up = np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32)
        warm_up[0, 8:20, 13:15] = 1  # a stroke: the blank rows of an empty image would be skipped
        for model in models.values():
            model.predict(warm_up, num_samples=WARM_UP_SAMPLES)
    return Networks(arch, models, PredictionMemo(models, maxsize=PREDICTIONS_KEPT))
