"""MNIST and Fashion-MNIST loading, and the fixed 55,000 / 5,000 / 10,000 split.

The validation images are the last 5,000 of a permutation of the official 60,000-image
training file drawn with ``numpy.random.default_rng(SPLIT_SEED)``; the other 55,000 (in
that permuted order) are the training set. The official 10,000-image test file is the test set.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnn import config

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_IDX_MAGIC = {3: 2051, 1: 2049}  # number of dimensions -> magic number


class DataNotFoundError(FileNotFoundError):
    """The data set is in none of the places we looked; the message lists them and the fix."""


@dataclass(frozen=True)
class Dataset:
    """Images as float32 in [0, 1], shape (N, 28, 28); labels as int64, shape (N,)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class MnistSplit:
    train: Dataset
    validation: Dataset
    test: Dataset
    source: str  # where the files were read from

    def describe(self) -> dict:
        """The split as recorded in model cards."""
        return {
            "source": "MNIST (LeCun, Cortes, Burges)",
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
            "validation_rule": (
                f"last {config.NUM_VALIDATION} of numpy.random.default_rng({config.SPLIT_SEED})"
                ".permutation(60000) over the official training file; the other 55,000 are training"
            ),
            "split_seed": config.SPLIT_SEED,
            "validation_indices_sha256": hashlib.sha256(validation_indices().tobytes()).hexdigest(),
        }


def split_permutation() -> np.ndarray:
    """Permutation of the 60,000 official training indices; training first, validation last."""
    rng = np.random.default_rng(config.SPLIT_SEED)
    return rng.permutation(config.NUM_TRAIN + config.NUM_VALIDATION).astype(np.int64)


def validation_indices() -> np.ndarray:
    """Indices into the official training file of the 5,000 validation images."""
    return split_permutation()[config.NUM_TRAIN :]


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        raw = stream.read()
    if len(raw) < 8:
        raise ValueError(f"{path} is too short to be an IDX file")
    magic, count = struct.unpack(">II", raw[:8])
    ndim = {value: key for key, value in _IDX_MAGIC.items()}.get(magic)
    if ndim is None:
        raise ValueError(f"{path} is not an IDX file of images or labels (magic number {magic})")
    header = 4 * (ndim + 1)
    dims = (count, *struct.unpack(">" + "I" * (ndim - 1), raw[8:header]))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(dims))} values, found {data.size}")
    return data.reshape(dims)


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (directory / name).is_file():
            return directory / name
    return None


def _read_directory(directory: Path) -> dict[str, np.ndarray] | None:
    """The four arrays from idx files or an ``mnist.npz`` in ``directory``; None if absent."""
    paths = {key: _find_idx(directory, stem) for key, stem in IDX_FILES.items()}
    if all(paths.values()):
        return {key: read_idx(path) for key, path in paths.items()}
    npz = directory / "mnist.npz"
    if npz.is_file():
        with np.load(npz, allow_pickle=False) as archive:
            return {
                "train_images": archive["x_train"],
                "train_labels": archive["y_train"],
                "test_images": archive["x_test"],
                "test_labels": archive["y_test"],
            }
    return None


def _as_dataset(images: np.ndarray, labels: np.ndarray) -> Dataset:
    return Dataset(images.astype(np.float32) / 255.0, labels.astype(np.int64))


def _candidates(explicit: str | Path | None, env_var: str, fixed: list[Path]) -> list[tuple[str, Path]]:
    """An explicit folder or the environment variable, when given, is the only place looked in."""
    if explicit is not None:
        return [("given explicitly", Path(explicit))]
    if os.environ.get(env_var):
        return [(f"${env_var}", Path(os.environ[env_var]))]
    return [("default", path) for path in fixed]


def _find_mnist(places: list[tuple[str, Path]]) -> tuple[dict[str, np.ndarray], Path] | None:
    """MNIST's arrays from the first of ``places`` that holds them, with that folder; None if none does."""
    for _, directory in places:
        arrays = _read_directory(directory) if directory.is_dir() else None
        if arrays is not None:
            return arrays, directory
    return None


def _not_found(what: str, places: list[tuple[str, Path]], fix: str) -> DataNotFoundError:
    tried = "\n".join(f"  - {path} ({origin})" for origin, path in places)
    return DataNotFoundError(f"{what} not found. Looked in:\n{tried}\n{fix}")


def load_mnist(data_dir: str | Path | None = None, download: bool = False) -> MnistSplit:
    """Load MNIST and split it 55,000 / 5,000 / 10,000.

    Looks in ``data_dir``, else ``$BNN_DATA_DIR``, else the Keras cache (``~/.keras/datasets``).
    With ``download=True`` and none found, the Keras copy is downloaded into that cache.
    """
    places = _candidates(data_dir, config.DATA_DIR_ENV, [config.KERAS_CACHE_DIR])
    found = _find_mnist(places)
    if found is None and download:
        _download_mnist()
        found = _find_mnist(places)
    if found is None:
        raise _not_found(
            "MNIST",
            places,
            f"Point --data-dir or ${config.DATA_DIR_ENV} at a folder holding the four files "
            f"{', '.join(stem + '.gz' for stem in IDX_FILES.values())} (or mnist.npz), "
            "or pass --download to fetch it into the Keras cache.",
        )
    arrays, directory = found
    _check_shapes(arrays, expected_train=config.NUM_TRAIN + config.NUM_VALIDATION, where=directory)
    order = split_permutation()
    train_images, train_labels = arrays["train_images"][order], arrays["train_labels"][order]
    cut = config.NUM_TRAIN
    return MnistSplit(
        train=_as_dataset(train_images[:cut], train_labels[:cut]),
        validation=_as_dataset(train_images[cut:], train_labels[cut:]),
        test=_as_dataset(arrays["test_images"], arrays["test_labels"]),
        source=str(directory),
    )


def load_mnist_test(data_dir: str | Path | None = None) -> Dataset:
    """Only the 10,000 MNIST test images (same search as :func:`load_mnist`)."""
    return load_mnist(data_dir).test


def load_fashion_mnist_test(ood_dir: str | Path | None = None) -> Dataset:
    """Fashion-MNIST's 10,000 test images, for out-of-distribution evaluation only.

    Looks in ``ood_dir``, else ``$BNN_OOD_DIR``, else Debian's ``dataset-fashion-mnist``
    (``/usr/share/datasets/fashion-mnist``) and the Keras cache.
    """
    fixed = [config.FASHION_MNIST_SYSTEM_DIR, config.KERAS_CACHE_DIR / "fashion-mnist"]
    places = _candidates(ood_dir, config.OOD_DIR_ENV, fixed)
    for _, directory in places:
        test_images = _find_idx(directory, IDX_FILES["test_images"])
        test_labels = _find_idx(directory, IDX_FILES["test_labels"])
        if test_images and test_labels:
            return _as_dataset(read_idx(test_images), read_idx(test_labels))
    raise _not_found(
        "Fashion-MNIST",
        places,
        f"Install Debian's package dataset-fashion-mnist (apt install dataset-fashion-mnist), or "
        f"point --ood-dir or ${config.OOD_DIR_ENV} at a folder holding t10k-images-idx3-ubyte.gz "
        "and t10k-labels-idx1-ubyte.gz.",
    )


def _check_shapes(arrays: dict[str, np.ndarray], expected_train: int, where: Path) -> None:
    expected = {
        "train_images": (expected_train, config.IMAGE_SIZE, config.IMAGE_SIZE),
        "train_labels": (expected_train,),
        "test_images": (config.NUM_TEST, config.IMAGE_SIZE, config.IMAGE_SIZE),
        "test_labels": (config.NUM_TEST,),
    }
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            raise ValueError(f"{key} in {where} has shape {arrays[key].shape}, expected {shape}")


def _download_mnist() -> None:
    """Fetch Keras's mnist.npz into the Keras cache (needs internet; never used by the tests)."""
    import urllib.request

    config.KERAS_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    urllib.request.urlretrieve(MNIST_URL, config.KERAS_CACHE_DIR / "mnist.npz")
