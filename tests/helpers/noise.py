"""How far a Monte Carlo number may move from one run to another: the tolerances of tests/shipped/.

A sampled network's metric at T weight samples is a random number: another seed draws other weights. How much it
moves is measured on the fresh run itself by the bootstrap (Efron 1979) over its T weight samples: ``DRAWS`` times,
T samples are drawn from the T with replacement and the metric recomputed; the standard deviation of those values
is the metric's sampling spread at that T (the weight samples are independent draws, so resampling them whole keeps
whatever the images share). The committed number is another run of the same kind, so the difference of the two has
a spread sqrt(2) times that. A number measured on n of a set's N images moves besides with the images drawn: the
bootstrap over those images, times sqrt(1 - n / N) (without replacement from a finite set). A test allows ``Z`` times
the spread of the difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from bnn.model import uncertainty
from bnn.model.predict import Prediction

Z = 4.0  # standard deviations: a normal difference falls outside in 6 of 100,000 runs
DRAWS = 200  # resamples: the spread's own error is about 1 / sqrt(2 * DRAWS), 5 %


def resampled_indices(num_samples: int, seed: int = 0) -> Iterator[np.ndarray]:
    """``DRAWS`` bootstrap resamples of range(``num_samples``): each (num_samples,) indices drawn with replacement."""
    rng = np.random.default_rng(seed)
    for _ in range(DRAWS):
        yield rng.integers(0, num_samples, num_samples)


@dataclass(frozen=True, eq=False)
class Averaged:
    """What the metrics read of T weight samples: their posterior predictive and their expected entropy."""

    mean_probs: np.ndarray  # (N, 10) float64
    expected_entropy: np.ndarray  # (N,) nats

    @classmethod
    def of(cls, prediction: Prediction) -> Averaged:
        """All T samples of ``prediction``, as they are."""
        return cls(prediction.mean_probs.astype(np.float64), prediction.expected_entropy)

    def __getitem__(self, images: np.ndarray) -> Averaged:
        """Some of the images (an index array), e.g. a bootstrap resample of them."""
        return Averaged(self.mean_probs[images], self.expected_entropy[images])

    @cached_property
    def predictive_entropy(self) -> np.ndarray:
        return uncertainty.entropy(self.mean_probs)

    @property
    def mutual_information(self) -> np.ndarray:
        return np.maximum(self.predictive_entropy - self.expected_entropy, 0.0)

    @property
    def probability(self) -> np.ndarray:
        return self.mean_probs.max(axis=-1)

    def prediction(self) -> Prediction:
        """The posterior predictive as a Prediction of one sample: what `prediction_metrics` scores (accuracy, NLL,
        Brier, ECE and coverage all read the mean probabilities and their entropy only)."""
        return Prediction(self.mean_probs[None].astype(np.float32))


def averaged_resamples(prediction: Prediction, seed: int = 0) -> Iterator[Averaged]:
    """The `Averaged` of each of ``DRAWS`` bootstrap resamples of the T weight samples of ``prediction`` (T, N, 10),
    computed from per-sample counts without copying the samples (a whole test set at T = 100 stays cheap)."""
    samples = prediction.samples
    num_samples = samples.shape[0]
    flat = samples.reshape(num_samples, -1).astype(np.float64)
    entropies = uncertainty.entropy(samples)  # (T, N)
    for indices in resampled_indices(num_samples, seed):
        weights = np.bincount(indices, minlength=num_samples) / num_samples
        yield Averaged((weights @ flat).reshape(samples.shape[1:]), weights @ entropies)


def spread(values) -> float:
    """The standard deviation of a metric's resampled values."""
    return float(np.std(np.asarray(values, np.float64), ddof=1))


def allowed_difference(sampling: float, images: float = 0.0, images_fraction: float = 1.0) -> float:
    """``Z`` spreads of the difference between a fresh run and the committed one: both runs' sampling spread
    (``sampling`` each), and when the fresh run saw ``images_fraction`` of the committed images, the spread
    ``images`` of those images' bootstrap, shrunk by the finite set."""
    return Z * float(np.sqrt(2 * sampling**2 + (1 - images_fraction) * images**2))
