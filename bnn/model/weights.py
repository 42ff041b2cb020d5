"""Shipped weights on disk: a NumPy ``.npz`` of named arrays (never pickle) beside a JSON model card.

The card records the sha256 of the weights file; :func:`read_weights` refuses a file that does not match.
:func:`read_card` is the one reader of a card file (a ``bnn.model.card.ModelCard``); :func:`write_weights` writes the
dict ``bnn.model.train`` builds.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from bnn.config import ALL_KINDS, ARCHITECTURES, KINDS, network_name, parse_network_name
from bnn.config import assets_dir as default_assets_dir
from bnn.model.card import ModelCard

WEIGHTS_SUFFIX = ".weights.npz"
CARD_SUFFIX = ".json"
SHIFT_FILE = "shift.json"  # python -m bnn shift --output assets/shift.json: every shipped network


class WeightsError(RuntimeError):
    """Shipped weights are missing, truncated or altered; the message names the file and the fix."""


def card_path(assets_dir: Path, name: str) -> Path:
    return Path(assets_dir) / f"{name}{CARD_SUFFIX}"


def weights_path(assets_dir: Path, name: str) -> Path:
    return Path(assets_dir) / f"{name}{WEIGHTS_SUFFIX}"


def report_path(assets_dir: str | Path, arch: str) -> Path:
    """The evaluation report of ``arch`` (``python -m bnn evaluate``): report.json for the MLP, report-ARCH.json else."""
    return Path(assets_dir) / ("report.json" if arch == "mlp" else f"report-{arch}.json")


def read_json(path: str | Path) -> dict | None:
    """A JSON file's content, or None when the file is not there."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def shipped_architectures(assets_dir: str | Path | None = None) -> tuple[str, ...]:
    """The architectures (of ``config.ARCHITECTURES``) whose Bayesian and deterministic model cards are both here."""
    directory = Path(assets_dir) if assets_dir is not None else default_assets_dir()
    return tuple(
        arch
        for arch in ARCHITECTURES
        if all(card_path(directory, network_name(arch, kind)).is_file() for kind in KINDS)
    )


def shipped_kinds(arch: str, assets_dir: str | Path | None = None) -> tuple[str, ...]:
    """The kinds of ``arch`` (of ``config.ALL_KINDS``, in that order) whose model cards are here."""
    directory = Path(assets_dir) if assets_dir is not None else default_assets_dir()
    return tuple(kind for kind in ALL_KINDS if card_path(directory, network_name(arch, kind)).is_file())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _restore_hint(name: str) -> str:
    arch, kind = parse_network_name(name)
    return (
        "Restore the shipped files with `git checkout -- assets/`, "
        f"or retrain them with `python -m bnn train --kind {kind} --arch {arch}`."
    )


def write_weights(arrays: dict[str, np.ndarray], card: dict, assets_dir: Path, name: str) -> dict:
    """Write ``name.weights.npz`` and ``name.json``; returns the card with the file's sha256 added."""
    assets_dir = Path(assets_dir)
    assets_dir.mkdir(parents=True, exist_ok=True)
    path = weights_path(assets_dir, name)
    np.savez(path, **{key: np.asarray(value, dtype=np.float32) for key, value in arrays.items()})
    card = {
        **card,
        "files": {"weights": {"path": path.name, "sha256": sha256_of(path), "bytes": path.stat().st_size}},
    }
    card_path(assets_dir, name).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return card


def read_card(assets_dir: Path, name: str) -> ModelCard:
    """The model card of ``name`` in ``assets_dir``; WeightsError when it is missing or not a model card."""
    path = card_path(assets_dir, name)
    try:
        return ModelCard.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise WeightsError(f"Model card {path} is missing. {_restore_hint(name)}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise WeightsError(f"Model card {path} is not valid JSON ({error}). {_restore_hint(name)}") from None
    except ValueError as error:
        raise WeightsError(f"Model card {path} is not a model card: {error}. {_restore_hint(name)}") from None


def read_weights(assets_dir: Path, name: str) -> tuple[dict[str, np.ndarray], ModelCard]:
    """The arrays and model card of ``name``, after checking the weights' sha256 against the card."""
    card = read_card(assets_dir, name)
    if card.weights_path is None or card.weights_sha256 is None:
        raise WeightsError(
            f"Model card {card_path(assets_dir, name)} does not record its weights file. {_restore_hint(name)}"
        )
    path = Path(assets_dir) / card.weights_path
    expected_sha256 = card.weights_sha256
    if not path.is_file():
        raise WeightsError(f"Weights file {path} is missing. {_restore_hint(name)}")
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise WeightsError(
            f"Weights file {path} is damaged or altered: its sha256 is {actual}, "
            f"the model card records {expected_sha256}. {_restore_hint(name)}"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:  # never unpickle: a weights file runs no code
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise WeightsError(f"Weights file {path} cannot be read ({error}). {_restore_hint(name)}") from None
    for key, array in arrays.items():
        if array.dtype != np.float32:
            raise WeightsError(f"Weights file {path} holds {key} as {array.dtype}, not float32. {_restore_hint(name)}")
        if not np.isfinite(array).all():
            raise WeightsError(f"Weights file {path} holds NaN or infinite values in {key}. {_restore_hint(name)}")
    return arrays, card
