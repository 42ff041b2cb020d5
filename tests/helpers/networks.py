"""Small networks for tests that train or predict without the shipped weights, and a record of what is predicted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bnn.config import Config
from bnn.data import Dataset
from bnn.model.card import ModelCard
from bnn.model.networks import build_network
from bnn.model.predict import DigitModel

# One hidden layer of 16 units, one epoch in batches of 100, two weight samples to validate and to evaluate, and
# no deterministic twin to start from (none is shipped at this size): seconds on a few hundred digits.
TINY = {
    "hidden_units": (16,),
    "epochs": 1,
    "batch_size": 100,
    "validation_samples": 2,
    "evaluation_samples": 2,
    "posterior_init": "none",
}


def tiny_config(**settings) -> Config:
    """A Config that trains in seconds (TINY); ``settings`` change any of its fields."""
    return Config(**{**TINY, **settings})


def untrained_model(config: Config, num_train: int = 1000) -> DigitModel:
    """A DigitModel of ``config``'s freshly initialised network (its KL term scaled for ``num_train`` examples)."""
    return DigitModel(build_network(config, num_train), ModelCard.untrained(config))


def record_predictions(
    monkeypatch: pytest.MonkeyPatch,
    note: Callable[[DigitModel, object], object] = lambda model, images: model.kind,
    into: list | None = None,
    model_class: type = DigitModel,
) -> list:
    """From now until the test ends, every ``model_class.predict`` call appends ``note(model, images)`` (by default
    the model's kind) to the list returned (``into``, when given); the predictions are the real ones."""
    calls = [] if into is None else into
    predict = model_class.predict

    def recording(self, images, *args, **kwargs):
        calls.append(note(self, images))
        return predict(self, images, *args, **kwargs)

    monkeypatch.setattr(model_class, "predict", recording)
    return calls


def first(dataset: Dataset, count: int) -> Dataset:
    """The first ``count`` images of ``dataset`` and their labels."""
    return Dataset(dataset.images[:count], dataset.labels[:count])
