"""The one pipeline that reads a digit, for the page and the CLI alike: preprocess, predict with the sampled
network and its deterministic twin, and judge both by their model cards' thresholds.

    networks = load_networks("mlp")
    answer = read_digit(image, networks)             # any image of one digit
    answer.verdict.headline(), answer.sampled.votes
"""

from __future__ import annotations

from dataclasses import dataclass

from bnn.config import PREDICTION_SAMPLES
from bnn.image import ImageInput, NetworkInput, PreprocessSteps, preprocess_steps
from bnn.model.predict import Prediction
from bnn.reading.networks import Networks
from bnn.reading.verdict import Verdict, summarise


@dataclass(frozen=True)
class DigitAnswer:
    """One input read: the network input, how it was prepared (None for an input given ready), both networks'
    predictions and the verdict on them."""

    network_input: NetworkInput  # (28, 28) float32 in [0, 1]
    steps: PreprocessSteps | None
    sampled: Prediction  # the sampling kind's: T samples
    deterministic: Prediction
    verdict: Verdict


def read_digit(
    image: ImageInput | PreprocessSteps,
    networks: Networks,
    kind: str = "bayesian",
    num_samples: int = PREDICTION_SAMPLES,
    seed: int | None = 0,
    true_label: int | None = None,
) -> DigitAnswer:
    """Any image of one digit (or its `preprocess_steps`, made already) read by ``kind`` beside the deterministic
    network. Raises InvalidImageError or BlankImageError as `preprocess_image` does."""
    steps = image if isinstance(image, PreprocessSteps) else preprocess_steps(image)
    return answer_digit(steps.final, networks, kind, num_samples, seed, true_label, steps)


def answer_digit(
    network_input: NetworkInput,
    networks: Networks,
    kind: str = "bayesian",
    num_samples: int = PREDICTION_SAMPLES,
    seed: int | None = 0,
    true_label: int | None = None,
    steps: PreprocessSteps | None = None,
) -> DigitAnswer:
    """A ready (28, 28) network input (an MNIST digit, or `read_digit`'s) answered by ``kind`` and the
    deterministic network, each judged by its own model card's thresholds."""
    sampled = networks.predict(network_input, kind, num_samples, seed)
    deterministic = networks.predict(network_input, "deterministic", num_samples, seed)
    thresholds = networks.thresholds
    verdict = summarise(
        sampled, deterministic, thresholds[kind], thresholds["deterministic"], true_label=true_label, kind=kind
    )
    return DigitAnswer(network_input, steps, sampled, deterministic, verdict)
