import gzip
import struct

import numpy as np
import pytest

from bnn import config
from bnn.data import mnist as data


def test_split_sizes_and_value_range(mnist):
    assert (len(mnist.train), len(mnist.validation), len(mnist.test)) == (55_000, 5_000, 10_000)
    for part in (mnist.train, mnist.validation, mnist.test):
        assert part.images.shape[1:] == (28, 28) and part.images.dtype == np.float32
        assert part.images.min() == 0.0 and part.images.max() == 1.0
        assert set(np.unique(part.labels)) == set(range(10))


def test_train_and_validation_are_disjoint_parts_of_the_official_training_file(mnist):
    order = data.split_permutation()
    train_indices, validation_indices = order[: config.NUM_TRAIN], data.validation_indices()
    assert len(set(train_indices) & set(validation_indices)) == 0
    assert sorted(np.concatenate([train_indices, validation_indices])) == list(range(60_000))
    raw = data.read_idx(_mnist_dir() / "train-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(mnist.validation.images * 255, raw[validation_indices].astype(np.float32))
    np.testing.assert_array_equal(mnist.train.images[:100] * 255, raw[train_indices[:100]].astype(np.float32))


def test_test_set_is_the_official_test_file(mnist):
    raw = data.read_idx(_mnist_dir() / "t10k-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(mnist.test.labels, raw)


def test_split_is_fixed_and_documented(mnist):
    description = mnist.describe()
    assert description["split_seed"] == config.SPLIT_SEED
    assert (description["train"], description["validation"], description["test"]) == (55_000, 5_000, 10_000)
    # Recomputing the permutation gives the same validation set, whatever else ran before.
    np.random.seed(123)
    np.testing.assert_array_equal(data.validation_indices(), data.split_permutation()[55_000:])
    assert len(description["validation_indices_sha256"]) == 64


def test_missing_data_lists_the_places_tried_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_mnist()
    message = str(error.value)
    assert str(tmp_path) in message and "$BNN_DATA_DIR" in message and "train-images-idx3-ubyte.gz" in message


def test_explicit_folder_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(_mnist_dir()))
    with pytest.raises(data.DataNotFoundError, match=str(tmp_path)):
        data.load_mnist(tmp_path)


def test_keras_npz_is_read(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (60_000, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 60_000, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (10_000, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 10_000, dtype=np.uint8),
    }
    np.savez(tmp_path / "mnist.npz", **arrays)
    split = data.load_mnist(tmp_path)
    order = data.split_permutation()
    np.testing.assert_array_equal(split.validation.labels, arrays["y_train"][order[55_000:]])
    np.testing.assert_array_equal(split.test.images * 255, arrays["x_test"].astype(np.float32))


def test_truncated_idx_file_is_reported(tmp_path):
    header = struct.pack(">IIII", 2051, 10, 28, 28)
    with gzip.open(tmp_path / "images.gz", "wb") as stream:
        stream.write(header + bytes(28 * 28 * 3))
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "images.gz")


def test_not_an_idx_file_is_reported(tmp_path):
    (tmp_path / "labels").write_bytes(b"this is not an idx file")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "labels")


def test_fashion_mnist_test_set_loads(tmp_path, monkeypatch):
    monkeypatch.delenv(config.OOD_DIR_ENV, raising=False)
    fashion = data.load_fashion_mnist_test()
    assert fashion.images.shape == (10_000, 28, 28) and fashion.labels.shape == (10_000,)
    with pytest.raises(data.DataNotFoundError, match="dataset-fashion-mnist"):
        data.load_fashion_mnist_test(tmp_path)


def _mnist_dir():
    import os
    from pathlib import Path

    return Path(os.environ[config.DATA_DIR_ENV])
