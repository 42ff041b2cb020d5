"""MNIST and Fashion-MNIST: loading, the fixed 55,000 / 5,000 / 10,000 split, and training-time augmentation
(`bnn.data.augment`, which loads TensorFlow, so it is imported on its own).

    split = load_mnist()              # split.train, split.validation, split.test: Dataset(images, labels)
    fashion = load_fashion_mnist_test()
"""

from bnn.data.mnist import (
    DataNotFoundError,
    Dataset,
    MnistSplit,
    load_fashion_mnist_test,
    load_mnist,
    load_mnist_test,
    validation_indices,
)

__all__ = [
    "DataNotFoundError",
    "Dataset",
    "MnistSplit",
    "load_fashion_mnist_test",
    "load_mnist",
    "load_mnist_test",
    "validation_indices",
]
