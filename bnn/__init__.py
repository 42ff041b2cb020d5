"""Bayesian digit recogniser: variational networks on MNIST with honest uncertainty.

    import bnn
    model = bnn.load_model("bayesian")                 # or "deterministic"
    x = bnn.preprocess_image(image)                    # -> (28, 28) float32 in [0, 1]
    pred = model.predict(x[None], num_samples=100)     # -> bnn.Prediction
    reading = bnn.read_number(image, model)            # a whole number -> bnn.NumberReading
    taught = bnn.teach(model, [x], [7])                # a new model that has learned x is a 7

Names are imported on first use, so ``import bnn`` stays fast and TensorFlow loads only when a
model does.
"""

import importlib
import os

# TensorFlow Probability's layers need Keras 2 (tf-keras); this must be set before TensorFlow loads.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_EXPORTS = {
    "load_model": "bnn.model.predict",
    "DigitModel": "bnn.model.predict",
    "Prediction": "bnn.model.predict",
    "preprocess_image": "bnn.image",
    "preprocess_steps": "bnn.image",
    "BlankImageError": "bnn.image",
    "InvalidImageError": "bnn.image",
    "read_digit": "bnn.reading.digit",
    "DigitAnswer": "bnn.reading.digit",
    "load_networks": "bnn.reading.networks",
    "Networks": "bnn.reading.networks",
    "Verdict": "bnn.reading.verdict",
    "read_number": "bnn.reading.number",
    "teach": "bnn.model.teach",
    "TeachingError": "bnn.model.teach",
    "NumberReading": "bnn.reading.number",
    "TooManyDigitsError": "bnn.image.segment",
    "load_mnist": "bnn.data",
    "load_fashion_mnist_test": "bnn.data",
    "DataNotFoundError": "bnn.data",
    "WeightsError": "bnn.model.weights",
    "Config": "bnn.config",
}
__all__ = [
    "BlankImageError",
    "Config",
    "DataNotFoundError",
    "DigitAnswer",
    "DigitModel",
    "InvalidImageError",
    "Networks",
    "NumberReading",
    "Prediction",
    "TeachingError",
    "TooManyDigitsError",
    "Verdict",
    "WeightsError",
    "load_fashion_mnist_test",
    "load_mnist",
    "load_model",
    "load_networks",
    "preprocess_image",
    "preprocess_steps",
    "read_digit",
    "read_number",
    "teach",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'bnn' has no attribute {name!r}")
