"""bnn.model.card: the model card read once into a ModelCard, the shipped cards' numbers unchanged."""

from __future__ import annotations

import json

import pytest

from bnn.config import ALL_KINDS, ASSETS_DIR, Config, network_name
from bnn.model import weights as assets
from bnn.model.card import ModelCard, Thresholds


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_shipped_card_reads_into_its_fields(kind):
    name = network_name("mlp", kind)
    raw = json.loads(assets.card_path(ASSETS_DIR, name).read_text())
    card = assets.read_card(ASSETS_DIR, name)
    assert (card.name, card.kind, card.arch) == (name, kind, "mlp") and card.raw == raw
    assert card.network_settings == raw["architecture"] and card.num_train == raw["split"]["train"]
    assert card.metrics == raw["metrics"] and card.epoch_seconds == tuple(raw["training"]["epoch_seconds"])
    assert card.epoch_seconds_median == raw["training"]["epoch_seconds_median"]
    assert card.best_epoch == raw["training"].get("best_epoch")  # an ensemble's are per member
    assert card.history == raw["training"].get("history")
    weights = raw["files"]["weights"]
    assert (card.weights_path, card.weights_sha256, card.weights_bytes) == tuple(weights.values())
    assert card.thresholds.predictive_entropy == raw["uncertainty_thresholds"]["predictive_entropy"]
    assert card.config().network_settings() == raw["architecture"]


def test_thresholds_that_are_missing_or_not_positive_flag_nothing():
    network_settings = {"kind": "bayesian", "arch": "mlp"}
    recorded = {"predictive_entropy": 0.0, "epistemic": None, "rule": "q"}
    card = ModelCard.from_dict({"architecture": network_settings, "uncertainty_thresholds": recorded})
    assert card.thresholds == Thresholds(rule="q") and card.thresholds.by_score() == {}


def test_an_untrained_card_has_the_architecture_only():
    card = ModelCard.untrained(Config(kind="mc-dropout", arch="conv"))
    assert (card.name, card.kind, card.arch) == ("conv-mc-dropout", "mc-dropout", "conv")
    assert card.thresholds == Thresholds() and card.history is None and card.weights_path is None
    assert card.config() == Config(kind="mc-dropout", arch="conv")


def test_a_card_without_an_architecture_is_refused():
    with pytest.raises(ValueError, match="no architecture"):
        ModelCard.from_dict({"name": "mlp-bayesian"})
