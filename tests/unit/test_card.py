"""bnn.model.card: the model card read once into a ModelCard (the shipped cards: tests/shipped/test_shipped_cards)."""

from __future__ import annotations

import pytest

from bnn.config import Config
from bnn.model.card import ModelCard, Thresholds


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
