"""The committed ablation (assets/ablation.json) is the shipped recipe and the shipped network."""

from __future__ import annotations

import pytest

import bnn
from bnn.config import ASSETS_DIR, Config
from bnn.evaluation import ablation as ablate
from bnn.evaluation import confirmation

SHIPPED = ASSETS_DIR / "ablation.json"


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_the_defaults_are_the_recipe_the_committed_ablation_ships(arch):
    report = ablate.read_ablation(SHIPPED)
    assert report["winner"] == ablate.choose_winner(report)
    assert report["split"].endswith("the test set is never used")
    shipped = confirmation.shipped_recipe(report, arch)
    candidate = next(row for row in report["candidates"] if row["name"] == shipped)
    recipe = {**ablate.RECIPE_BEFORE, **candidate["settings"]}
    del recipe["epochs"]  # the shipped network trains to Config.epochs with early stopping, not the ablation's budget
    defaults = Config(kind="bayesian", arch=arch)
    assert {name: getattr(defaults, name) for name in recipe} == recipe
    assert bnn.load_model("bayesian", arch).card.weights_sha256 == confirmation.shipped_weights_sha256(report, arch)


def test_the_committed_confirmation_is_the_shipped_network():
    report = ablate.read_ablation(SHIPPED)
    recorded = report["confirmation"]["mlp"]
    assert report["winner"] in recorded["candidates"]  # the winner was checked at full length
    shipped = bnn.load_model("bayesian", "mlp")
    assert confirmation.shipped_weights_sha256(report, "mlp") == shipped.card.weights_sha256
    assert recorded["twin"]["weights_sha256"] == bnn.load_model("deterministic", "mlp").card.weights_sha256
    baseline, twin = recorded["shipped"]["validation"], recorded["twin"]["validation"]
    assert (
        set(baseline["shift_rows"]) == set(confirmation.CONFIRMATION_CORRUPTIONS) and len(baseline["shift_rows"]) == 38
    )
    for row in recorded["candidates"].values():
        assert row["passed"] is confirmation.confirms(row["validation"], baseline, twin)
    assert recorded["rule"] == confirmation.CONFIRMATION_RULE
