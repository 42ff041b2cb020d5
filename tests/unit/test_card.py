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


def full_card() -> dict:
    """A card with every field a reader looks up, each value distinct."""
    return {
        "name": "mlp-bayesian-taught",
        "architecture": {"kind": "bayesian", "arch": "mlp", "hidden_units": [16], "kl_weight": 0.5},
        "split": {"train": 55_000, "validation": 5_000},
        "uncertainty_thresholds": {"predictive_entropy": 0.25, "epistemic": 0.04, "rule": "0.95 quantile"},
        "metrics": {"accuracy": 0.99, "num_samples": 100},
        "training": {
            "history": {"nll": [0.3, 0.2]},
            "best_epoch": 2,
            "best_validation_accuracy": 0.985,
            "epoch_seconds": [11.0, 12.0],
            "epoch_seconds_median": 11.5,
        },
        "files": {"weights": {"path": "mlp-bayesian.weights.npz", "sha256": "ab" * 32, "bytes": 1234}},
        "taught": {"examples": 7},
    }


def test_every_field_is_read_from_its_place_in_the_card():
    recorded = full_card()
    card = ModelCard.from_dict(recorded)
    assert (card.name, card.kind, card.arch) == ("mlp-bayesian-taught", "bayesian", "mlp")
    assert card.network_settings == recorded["architecture"] and card.num_train == 55_000
    assert card.thresholds == Thresholds(0.25, 0.04, "0.95 quantile")
    assert card.metrics == {"accuracy": 0.99, "num_samples": 100}
    assert card.history == {"nll": [0.3, 0.2]} and card.best_epoch == 2 and card.best_validation_accuracy == 0.985
    assert card.epoch_seconds == (11.0, 12.0) and card.epoch_seconds_median == 11.5
    assert (card.weights_path, card.weights_sha256, card.weights_bytes) == ("mlp-bayesian.weights.npz", "ab" * 32, 1234)
    assert card.taught_examples == 7 and card.raw is recorded


def test_a_card_with_the_architecture_only_reads_as_empty_fields():
    card = ModelCard.from_dict({"architecture": {"kind": "ensemble", "arch": "conv"}})
    assert card.name == "conv-ensemble" and card.num_train is None and card.metrics == {}
    assert card.history is None and card.best_epoch is None and card.best_validation_accuracy is None
    assert card.epoch_seconds == () and card.epoch_seconds_median is None
    assert card.weights_path is card.weights_sha256 is card.weights_bytes is None
    assert card.taught_examples == 0 and card.thresholds == Thresholds()


@pytest.mark.parametrize("settings", [None, "mlp-bayesian", {"arch": "mlp"}, {"kind": "bayesian"}])
def test_an_architecture_without_both_kind_and_arch_is_refused(settings):
    with pytest.raises(ValueError, match=r"^it records no architecture \(kind and arch\)$"):
        ModelCard.from_dict({"architecture": settings})
    with pytest.raises(ValueError, match="no architecture"):
        ModelCard.from_dict(["not", "a", "card"])


def test_a_variational_card_without_a_kl_weight_was_trained_untempered():
    """network_settings records the KL weight only below 1, so its absence means 1, not the shipped default."""
    untempered = ModelCard.from_dict({"architecture": {"kind": "bayesian", "arch": "mlp", "hidden_units": [16]}})
    assert untempered.config().kl_weight == 1.0 and Config(kind="bayesian", arch="mlp").kl_weight != 1.0
    tempered = ModelCard.from_dict(full_card())
    assert tempered.config().kl_weight == 0.5 and tempered.config().hidden_units == (16,)
    dropout = ModelCard.from_dict({"architecture": {"kind": "mc-dropout", "arch": "mlp", "hidden_units": [16]}})
    assert dropout.config() == Config(kind="mc-dropout", arch="mlp", hidden_units=(16,))


def test_thresholds_by_score_use_the_scores_names():
    assert Thresholds(0.25, 0.04).by_score() == {"predictive_entropy": 0.25, "mutual_information": 0.04}
    assert Thresholds(predictive_entropy=0.25).by_score() == {"predictive_entropy": 0.25}


def test_the_sentence_on_when_a_network_is_not_sure():
    assert Thresholds(0.25, 0.04, "0.95 quantile").describe() == (
        '"Not sure" above these thresholds (0.95 quantile): total uncertainty 0.25 nats or epistemic 0.04 nats.'
    )
    assert (
        Thresholds(predictive_entropy=0.165).describe()
        == '"Not sure" above these thresholds: total uncertainty 0.17 nats.'
    )
    assert Thresholds(mutual_information=0.04).describe() == '"Not sure" above these thresholds: epistemic 0.04 nats.'
    assert Thresholds(rule="0.95 quantile").describe() == (
        "This network's model card records no uncertainty thresholds, so it is never called not sure."
    )
