"""A taught network leaves the process as shipped networks do: ``python -m bnn teach`` writes weights and cards that
`bnn.load_model` reads, and the page's zip (`bnn.model.archive`) comes back only when every check passes."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

import bnn
from bnn.cli import main
from bnn.model.archive import MAX_ARCHIVE_BYTES, ArchiveError, pack_networks, unpack_networks
from bnn.model.teach import teach


@pytest.fixture(scope="module")
def ones(mnist):
    """Three test digits 1, each read as 1 by both shipped MLPs."""
    return mnist.test.images[np.flatnonzero(mnist.test.labels == 1)[:3]]


@pytest.fixture(scope="module")
def taught(ones):
    models = {kind: bnn.load_model(kind, "mlp") for kind in ("bayesian", "deterministic")}
    return {kind: teach(model, ones, [7, 7, 7], seed=0) for kind, model in models.items()}


def _png_files(folder, images):
    for index, image in enumerate(images):
        Image.fromarray((image * 255).astype(np.uint8)).resize((112, 112)).save(folder / f"digit{index}.png")
    return folder


def test_the_cli_teaches_both_networks_and_load_model_reads_them(tmp_path, ones, capsys):
    files = _png_files(tmp_path / "ones", ones) if (tmp_path / "ones").mkdir() is None else None
    output = tmp_path / "taught"
    assert main(["teach", str(files), "--labels", "7,7,7", "--output", str(output), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["examples"] == 3 and summary["taught_examples"] == {"bayesian": 3, "deterministic": 3}
    assert summary["read_before"]["bayesian"] == [1, 1, 1] and summary["read_after"]["bayesian"] == [7, 7, 7]
    for kind in ("bayesian", "deterministic"):
        model = bnn.load_model(kind, "mlp", assets_dir=output)
        assert model.card.taught_examples == 3
        assert list(model.predict(ones, 20, seed=0).label) == [7, 7, 7]
    csv = tmp_path / "labels.csv"
    csv.write_text("file,label\n" + "".join(f"digit{index}.png,7\n" for index in range(3)))
    assert main(["teach", str(files), "--labels-csv", str(csv), "--output", str(tmp_path / "again")]) == 0


@pytest.mark.parametrize(
    ("labels", "message"),
    [("7,7", "one label per image"), ("7,7,12", "digits 0 to 9"), ("7,x,7", "digits separated by commas")],
)
def test_the_cli_refuses_wrong_labels_and_teaches_nothing(tmp_path, ones, capsys, labels, message):
    (tmp_path / "ones").mkdir()
    files = _png_files(tmp_path / "ones", ones)
    assert main(["teach", str(files), "--labels", labels, "--output", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_the_cli_refuses_a_blank_image_with_the_usual_message(tmp_path, capsys):
    Image.new("L", (100, 100), 255).save(tmp_path / "blank.png")
    assert main(["teach", str(tmp_path / "blank.png"), "--labels", "3", "--output", str(tmp_path / "out")]) == 2
    assert "blank" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_a_packed_network_comes_back_with_the_same_answers(taught, ones):
    data = pack_networks(taught)
    assert len(data) < MAX_ARCHIVE_BYTES
    back = unpack_networks(data, "mlp")
    assert set(back) == {"bayesian", "deterministic"} and back["bayesian"].card.taught_examples == 3
    for kind, model in taught.items():
        np.testing.assert_array_equal(
            back[kind].predict(ones, 20, seed=1).samples, model.predict(ones, 20, seed=1).samples
        )


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _members(taught) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pack_networks(taught))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _npz(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with_weights(taught, change) -> bytes:
    """The taught zip with mlp-bayesian's arrays changed by ``change`` and its card's sha256 made to match."""
    import hashlib

    files = _members(taught)
    with np.load(io.BytesIO(files["mlp-bayesian.weights.npz"])) as archive:
        arrays = {key: archive[key] for key in archive.files}
    files["mlp-bayesian.weights.npz"] = _npz(change(arrays))
    card = json.loads(files["mlp-bayesian.json"])
    card["files"]["weights"]["sha256"] = hashlib.sha256(files["mlp-bayesian.weights.npz"]).hexdigest()
    files["mlp-bayesian.json"] = json.dumps(card).encode()
    return _zip(files)


def _first_key(arrays: dict) -> str:
    return next(key for key in arrays if key.endswith("kernel_posterior_loc"))


HOSTILE = {
    "truncated zip": (lambda taught: pack_networks(taught)[:-300], "damaged|not a taught network"),
    "not a zip": (lambda taught: b"PK\x03\x04 nothing more", "not a taught network"),
    "empty zip": (lambda taught: _zip({}), "empty"),
    "a stray file": (lambda taught: _zip({**_members(taught), "run_me.py": b"print(1)"}), "holds 'run_me.py'"),
    "a path outside": (lambda taught: _zip({**_members(taught), "../mlp-bayesian.json": b"{}"}), "holds"),
    "a card without weights": (
        lambda taught: _zip({"mlp-bayesian.json": _members(taught)["mlp-bayesian.json"]}),
        "without its weights",
    ),
    "another architecture": (
        lambda taught: _zip({name.replace("mlp", "conv"): data for name, data in _members(taught).items()}),
        "choose that network",
    ),
    "weights not as the card says": (
        lambda taught: _zip({**_members(taught), "mlp-bayesian.weights.npz": _npz({"x": np.zeros(3, np.float32)})}),
        "sha256",
    ),
    "NaN weights": (
        lambda taught: _with_weights(taught, lambda a: {**a, _first_key(a): a[_first_key(a)] * np.nan}),
        "NaN",
    ),
    "float64 weights": (
        lambda taught: _with_weights(taught, lambda a: {**a, _first_key(a): a[_first_key(a)].astype(np.float64)}),
        "float64",
    ),
    "wrong shapes": (
        lambda taught: _with_weights(taught, lambda a: {**a, _first_key(a): a[_first_key(a)][:10]}),
        "shape",
    ),
    "a pickle": (
        lambda taught: _with_weights(taught, lambda a: {**a, _first_key(a): np.array([{"code": 1}], dtype=object)}),
        "cannot be read|pickle",
    ),
    "huge arrays": (
        lambda taught: _zip({**_members(taught), "mlp-bayesian.weights.npz": b"\0" * (110 * 1024 * 1024)}),
        "more than a taught network",
    ),
    "over the size limit": (lambda taught: b"\0" * (MAX_ARCHIVE_BYTES + 1), "over"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_broken_or_hostile_upload_is_refused_with_a_message(taught, name):
    build, message = HOSTILE[name]
    with pytest.raises(ArchiveError, match=message):
        unpack_networks(build(taught), "mlp")
