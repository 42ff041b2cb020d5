import json

import numpy as np
import pytest

from bnn.config import ALL_KINDS, ARCHITECTURES, network_name, parse_network_name
from bnn.model import weights as assets

CARD = {"name": "mlp-bayesian", "architecture": {"kind": "bayesian", "arch": "mlp"}}


@pytest.fixture
def written(tmp_path):
    arrays = {"layer/kernel": np.arange(12, dtype=np.float32).reshape(3, 4), "layer/bias": np.ones(4, np.float32)}
    card = assets.write_weights(arrays, CARD, tmp_path, "mlp-bayesian")
    return tmp_path, arrays, card


def test_round_trip_with_recorded_hash(written):
    folder, arrays, card = written
    loaded, loaded_card = assets.read_weights(folder, "mlp-bayesian")
    assert loaded_card.raw == card and card["files"]["weights"]["path"] == "mlp-bayesian.weights.npz"
    assert loaded_card.weights_path == "mlp-bayesian.weights.npz" and loaded_card.weights_sha256 == assets.sha256_of(
        assets.weights_path(folder, "mlp-bayesian")
    )
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)


def test_altered_weights_are_refused_naming_the_file_and_the_fix(written):
    folder, _, _ = written
    path = assets.weights_path(folder, "mlp-bayesian")
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(assets.WeightsError, match="sha256") as error:
        assets.read_weights(folder, "mlp-bayesian")
    assert str(path) in str(error.value) and "git checkout -- assets/" in str(error.value)
    assert "python -m bnn train --kind bayesian --arch mlp" in str(error.value)


def test_truncated_weights_are_refused(written):
    folder, _, _ = written
    path = assets.weights_path(folder, "mlp-bayesian")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(assets.WeightsError, match="damaged or altered"):
        assets.read_weights(folder, "mlp-bayesian")


def test_missing_weights_and_missing_card(written):
    folder, _, _ = written
    assets.weights_path(folder, "mlp-bayesian").unlink()
    with pytest.raises(assets.WeightsError, match="missing"):
        assets.read_weights(folder, "mlp-bayesian")
    with pytest.raises(assets.WeightsError, match="Model card .* is missing"):
        assets.read_weights(folder, "conv-bayesian")


def test_card_that_is_not_json(written):
    folder, _, _ = written
    assets.card_path(folder, "mlp-bayesian").write_text("{not json")
    with pytest.raises(assets.WeightsError, match="not valid JSON"):
        assets.read_weights(folder, "mlp-bayesian")


def test_a_card_without_its_architecture_or_weights_file_is_refused(written):
    folder, _, _ = written
    assets.card_path(folder, "mlp-bayesian").write_text(json.dumps({"name": "mlp-bayesian"}))
    with pytest.raises(assets.WeightsError, match="not a model card: it records no architecture"):
        assets.read_card(folder, "mlp-bayesian")
    assets.card_path(folder, "mlp-bayesian").write_text(json.dumps(CARD))
    with pytest.raises(assets.WeightsError, match="does not record its weights file"):
        assets.read_weights(folder, "mlp-bayesian")


def test_pickled_objects_are_never_loaded_even_with_a_matching_hash(tmp_path):
    path = assets.weights_path(tmp_path, "mlp-bayesian")
    np.savez(path, evil=np.array([{"runs": "code"}], dtype=object))  # object arrays are stored as pickles
    card = {**CARD, "files": {"weights": {"path": path.name, "sha256": assets.sha256_of(path)}}}
    assets.card_path(tmp_path, "mlp-bayesian").write_text(json.dumps(card))
    with pytest.raises(assets.WeightsError, match="cannot be read"):
        assets.read_weights(tmp_path, "mlp-bayesian")


def test_network_names_parse_back_to_their_arch_and_kind():
    for arch in ARCHITECTURES:
        for kind in ALL_KINDS:
            assert parse_network_name(network_name(arch, kind)) == (arch, kind)  # "mc-dropout" keeps its dash
    with pytest.raises(ValueError, match="ARCH-KIND"):
        parse_network_name("mlp")
