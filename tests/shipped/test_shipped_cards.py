"""The shipped model cards (assets/*.json) read into today's ModelCard and record today's environment's fields."""

from __future__ import annotations

import json

import pytest

from bnn.config import ALL_KINDS, ASSETS_DIR, network_name
from bnn.model import weights as assets
from bnn.model.environment import environment


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


@pytest.mark.parametrize("name", ["mlp-bayesian", "mlp-deterministic"])
def test_shipped_model_cards_record_what_it_returns(name):
    card = json.loads((ASSETS_DIR / f"{name}.json").read_text())
    found = environment()
    assert set(card["versions"]) == set(found["versions"])
    assert set(card["training"]["machine"]) == {"cpus", "platform"}
