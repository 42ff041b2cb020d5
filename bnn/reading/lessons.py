"""One person's lessons: the examples they taught and the networks those lessons made, kept per page (its Streamlit
session) so that no one else's answers change. Each lesson starts from the networks the last one made (`bnn.teach`).

    lessons = Lessons("mlp")
    networks = lessons.networks(shipped)                      # the shipped networks until something is taught
    lesson = lessons.teach(shipped, x, 7, "bayesian")        # x: (28, 28); the sampled kind and its twin learn it
    lesson.before.verdict, lesson.after.verdict               # the same input, answered before and after
    lessons.forget()                                          # back to the shipped networks
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bnn.config import PREDICTION_SAMPLES
from bnn.model.predict import DigitModel
from bnn.model.teach import MAX_EXAMPLES, TEACH_STEPS, TeachingError, teach
from bnn.reading.digit import DigitAnswer, answer_digit
from bnn.reading.networks import PREDICTIONS_KEPT, Networks, PredictionMemo

CHECK_DIGITS = 1000  # MNIST test digits read before and after the lessons: what was forgotten, at a glance


@dataclass(frozen=True)
class Lesson:
    """One example taught: the input, its true digit, and how the two networks answered it before and after."""

    image: np.ndarray  # (28, 28) network input
    label: int
    before: DigitAnswer
    after: DigitAnswer


@dataclass
class Lessons:
    """Every example one page taught one architecture, and the networks they made (by kind; the kinds not
    taught are the shipped ones)."""

    arch: str
    images: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    taught: dict[str, DigitModel] = field(default_factory=dict)
    _networks: Networks | None = field(default=None, repr=False)
    _checked: dict = field(default_factory=dict, repr=False)

    @property
    def count(self) -> int:
        return len(self.labels)

    def networks(self, shipped: Networks) -> Networks:
        """The networks this page answers with: the shipped ones, the taught kinds replaced."""
        if not self.taught:
            return shipped
        if self._networks is None or any(
            self._networks.models.get(kind) is not model for kind, model in self.taught.items()
        ):
            models = {**shipped.models, **self.taught}
            self._networks = Networks(shipped.arch, models, PredictionMemo(models, maxsize=PREDICTIONS_KEPT))
        return self._networks

    def teach(
        self,
        shipped: Networks,
        image: np.ndarray,
        label: int,
        kind: str = "bayesian",
        num_samples: int = PREDICTION_SAMPLES,
        seed: int | None = 0,
        progress: Callable[[int, int], None] | None = None,
        coreset: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Lesson:
        """Teach ``image`` as ``label`` to ``kind`` and the deterministic twin, each starting from this page's
        current network; returns the input answered before and after. TeachingError past MAX_EXAMPLES.
        ``coreset``: the digits replayed (default: `bnn.model.teach.training_coreset`, from MNIST)."""
        if self.count >= MAX_EXAMPLES:
            raise TeachingError(
                f"This page has taught {MAX_EXAMPLES} examples, the most one page may: forget what was "
                "taught to start again, or download the taught network to keep it."
            )
        current = self.networks(shipped)
        before = answer_digit(image, current, kind, num_samples, seed, true_label=label)
        names = list(dict.fromkeys((kind, "deterministic")))
        total, done = TEACH_STEPS * len(names), [0]

        def advance(step: int, steps: int) -> None:  # the networks learn in turn: one bar over all their steps
            done[0] += 1
            if progress is not None:
                progress(done[0], total)

        # in turn, not side by side: a lesson then takes one of the process's two running operations, and the
        # other pages' answers keep the other
        taught = {
            name: teach(
                current.models[name], image[None], [label], seed=self.count, coreset=coreset, progress=advance
            ).frozen()
            for name in names
        }
        self.taught.update(taught)
        self.images.append(np.asarray(image, np.float32))
        self.labels.append(int(label))
        after = answer_digit(image, self.networks(shipped), kind, num_samples, seed, true_label=label)
        return Lesson(np.asarray(image, np.float32), int(label), before, after)

    def check(self, networks: Networks, kind: str, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """``kind``'s and the twin's accuracy on ``images`` (the forgetting check), computed once per lesson."""
        key = (self.count, id(networks), kind, len(labels))
        if self._checked.get("key") != key:
            scores = {
                name: accuracy(networks.models[name], images, labels) for name in dict.fromkeys((kind, "deterministic"))
            }
            self._checked = {"key": key, "scores": scores}
        return self._checked["scores"]

    def forget(self) -> None:
        """Back to the shipped networks: every lesson of this page undone."""
        self.images.clear()
        self.labels.clear()
        self.taught.clear()
        self._networks = None

    def adopt(self, models: dict[str, DigitModel]) -> None:
        """Answer with ``models`` (a taught network uploaded, by kind) from now on; the examples behind them are not
        known, so the page's own list starts empty."""
        self.forget()
        self.taught.update({kind: model.frozen() for kind, model in models.items()})


def accuracy(model: DigitModel, images: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """The share of ``images`` ``model`` reads right at T = PREDICTION_SAMPLES (the forgetting check's score)."""
    return float(np.mean(model.predict(images, PREDICTION_SAMPLES, seed=seed).label == labels))
