"""What the page says about one prediction: a :class:`Verdict` in plain data and plain words.

Turns the sampled network's (the uncertainty method's: variational, MC dropout or ensemble) and the
deterministic network's :class:`~bnn.model.predict.Prediction` of the same image, and the uncertainty thresholds
recorded in their model cards (``ModelCard.thresholds``: a ``bnn.model.card.Thresholds``, importable from here too),
into the digit, its probability, an uncertainty level in words and, when a threshold is exceeded, an honest
"not sure" with the reason. The app only lays this out; everything here is unit-tested without Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bnn.config import NUM_CLASSES, is_variational
from bnn.model.card import Thresholds

if TYPE_CHECKING:  # the type only: importing bnn.model.predict loads TensorFlow
    from bnn.model.predict import Prediction

MAX_ENTROPY = math.log(NUM_CLASSES)  # nats: entropy of the uniform distribution over 10 digits
# Uncertainty in words, by the larger of (measure / its threshold): below 1 nothing is flagged.
LEVELS = ((0.1, "very low"), (0.4, "low"), (1.0, "moderate"), (2.0, "high"))
TOP_LEVEL = "very high"
# The page's names of the network kinds, and what one "sample" of each is.
KIND_NAMES = {
    "bayesian": "Variational (Flipout)",
    "mc-dropout": "MC dropout",
    "ensemble": "Deep ensemble",
    "deterministic": "Deterministic",
}
KIND_SAMPLES = {"mc-dropout": "dropout masks", "ensemble": "ensemble members"}
OVERCONFIDENCE_GAP = 0.2  # the deterministic answer is "more confident" when its probability is this much higher


def answer_name(kind: str) -> str:
    """The page's word for the answer of ``method`` (a kind id): "Bayesian" for the variational network, else the
    method's name, e.g. "MC dropout"."""
    return "Bayesian" if is_variational(kind) else KIND_NAMES[kind]


@dataclass(frozen=True)
class Verdict:
    """The page's reading of one image: the sampled network's answer, its uncertainty, and the deterministic answer."""

    digit: int  # most probable digit under the posterior predictive
    probability: float  # its posterior predictive probability
    votes: int  # how many of the weight samples voted for ``digit``
    num_samples: int  # T
    predictive_entropy: float  # nats; = aleatoric + epistemic
    expected_entropy: float  # nats: expected entropy
    mutual_information: float  # nats: mutual information
    level: str  # uncertainty in words, from "very low" to "very high"
    not_sure: bool  # a threshold from the model card is exceeded
    reasons: tuple[str, ...]  # one sentence per exceeded threshold
    deterministic_digit: int
    deterministic_probability: float
    deterministic_flagged: bool  # above the deterministic network's own entropy threshold
    true_label: int | None = None  # known for MNIST test digits
    kind: str = "bayesian"  # the kind that answered with samples: "bayesian" (variational), "mc-dropout", "ensemble"

    @property
    def agree(self) -> bool:
        return self.digit == self.deterministic_digit

    @property
    def name(self) -> str:
        """The page's word for the sampled network's answer (`answer_name`)."""
        return answer_name(self.kind)

    def headline(self) -> str:
        """One Markdown line: both answers, with "not sure" when the sampled network is."""
        sampled = f"**{self.name}: {self.digit}** with probability {self.probability:.2f}, uncertainty {self.level}"
        if self.not_sure:
            sampled += " (**not sure**)"
        deterministic = f"**Deterministic: {self.deterministic_digit}** with probability "
        deterministic += f"{self.deterministic_probability:.2f}"
        return f"{sampled} · {deterministic}"

    def brief(self) -> str:
        """The headline cut to both digits, for a narrow screen: one short Markdown line, "not sure" kept."""
        flag = " (**not sure**)" if self.not_sure else ""
        return f"**{self.name}: {self.digit}**{flag} · **Deterministic: {self.deterministic_digit}**"

    def explanation(self) -> str:
        """Why the verdict is what it is, in one or two sentences."""
        if self.not_sure:
            return "The network is not sure about this image: " + " ".join(self.reasons)
        return "The network is fairly sure: its uncertainty is below the thresholds chosen on the validation set."

    def deterministic_note(self) -> str:
        """How the deterministic network's answer compares, when there is something worth saying."""
        if self.deterministic_probability >= self.probability + OVERCONFIDENCE_GAP:
            return (
                f"The deterministic network is much more confident ({self.deterministic_probability:.2f} for "
                f"{self.deterministic_digit}) than the {self.name} average ({self.probability:.2f} for {self.digit}): "
                "a single set of weights cannot tell what it has never seen."
            )
        if not self.agree:
            return f"The two networks disagree: {self.digit} ({self.name}) against {self.deterministic_digit}."
        if self.deterministic_flagged:
            return "The deterministic network's own entropy threshold flags this image too."
        return ""

    def truth_note(self) -> str:
        """For an image with a known label: which network got it right."""
        if self.true_label is None:
            return ""
        sampled, deterministic = ("right" if digit == self.true_label else "wrong" for digit in self._digits())
        return f"True label: **{self.true_label}**. {self.name} {sampled}, deterministic {deterministic}."

    def _digits(self) -> tuple[int, int]:
        return self.digit, self.deterministic_digit

    def uncertainty_sentences(self) -> dict[str, str]:
        """One sentence each on the total uncertainty and its two parts, with this image's numbers."""
        return {
            "total": (
                f"Total uncertainty (predictive entropy) is {self.predictive_entropy:.3f} nats out of at most "
                f"{MAX_ENTROPY:.2f}: how spread out the averaged answer is over the ten digits."
            ),
            "aleatoric": (
                f"Aleatoric uncertainty (expected entropy) is {self.expected_entropy:.3f} nats: the doubt each sampled "
                "network has on its own, from an image that is ambiguous in itself; more training would not remove it."
            ),
            "epistemic": (
                f"Epistemic uncertainty (mutual information) is {self.mutual_information:.3f} nats: how much the sampled "
                "networks disagree with each other, the model's own ignorance; it grows on things unlike the training "
                "digits."
            ),
        }

    def votes_sentence(self) -> str:
        samples = KIND_SAMPLES.get(self.kind, "weight samples")
        return f"{self.votes} of the {self.num_samples} {samples} voted for {self.digit}."

    def record(self, name: str) -> dict:
        """This answer as plain JSON data (the CLI's ``--json``): both networks' digits, the uncertainty in nats."""
        return {
            "file": name,
            "kind": self.kind,
            "method": self.kind,  # the same under its other name, for scripts that read it
            "digit": self.digit,
            "probability": self.probability,
            "votes": self.votes,
            "num_samples": self.num_samples,
            "predictive_entropy": self.predictive_entropy,
            "expected_entropy": self.expected_entropy,
            "mutual_information": self.mutual_information,
            "uncertainty": self.level,
            "not_sure": self.not_sure,
            "reasons": list(self.reasons),
            "deterministic_digit": self.deterministic_digit,
            "deterministic_probability": self.deterministic_probability,
        }

    def row(self, name: str) -> dict[str, str]:
        """A row of the results table shown for several uploads (columns: TABLE_COLUMNS)."""
        return {
            "file": name,
            "digit": str(self.digit),
            "probability": f"{self.probability:.2f}",
            "uncertainty": self.level,
            "not sure": "not sure" if self.not_sure else "",
            "Deterministic": str(self.deterministic_digit),
            "det. probability": f"{self.deterministic_probability:.2f}",
            "problem": "",
        }


TABLE_COLUMNS = (
    "file",
    "digit",
    "probability",
    "uncertainty",
    "not sure",
    "Deterministic",
    "det. probability",
    "problem",
)


def failure_row(name: str, message: str) -> dict[str, str]:
    """The results-table row of a file that could not be read: empty answers, the message as the problem."""
    return {**dict.fromkeys(TABLE_COLUMNS, ""), "file": name, "problem": message}


def uncertainty_level(predictive_entropy: float, mutual_information: float, thresholds: Thresholds) -> str:
    """Uncertainty in words, from the larger of each measure divided by its threshold."""
    ratio = _threshold_ratio(predictive_entropy, mutual_information, thresholds)
    if ratio is None:  # no thresholds recorded: fall back to the share of the largest possible entropy
        ratio = predictive_entropy / (0.25 * MAX_ENTROPY)
    for upper, words in LEVELS:
        if ratio <= upper:  # a measure exactly at its threshold is not flagged, so at most "moderate"
            return words
    return TOP_LEVEL


def _threshold_ratio(predictive_entropy: float, mutual_information: float, thresholds: Thresholds) -> float | None:
    ratios = [
        value / threshold
        for value, threshold in (
            (predictive_entropy, thresholds.predictive_entropy),
            (mutual_information, thresholds.mutual_information),
        )
        if threshold is not None
    ]
    return max(ratios) if ratios else None


def not_sure_reasons(predictive_entropy: float, mutual_information: float, thresholds: Thresholds) -> tuple[str, ...]:
    """One sentence per threshold exceeded; empty when the network may call itself sure."""
    reasons = []
    if thresholds.mutual_information is not None and mutual_information > thresholds.mutual_information:
        reasons.append(
            f"its weight samples disagree (epistemic uncertainty {mutual_information:.2f} nats, above the threshold "
            f"{thresholds.mutual_information:.2f}), so the image is probably unlike anything it was trained on."
        )
    if thresholds.predictive_entropy is not None and predictive_entropy > thresholds.predictive_entropy:
        reasons.append(
            f"its averaged answer is spread over several digits (total uncertainty {predictive_entropy:.2f} nats, "
            f"above the threshold {thresholds.predictive_entropy:.2f})."
        )
    if len(reasons) == 2:
        reasons[0] = reasons[0][:-1] + ";"
        reasons[1] = "and " + reasons[1]
    return tuple(reasons)


def summarise(
    sampled: Prediction,
    deterministic: Prediction,
    thresholds: Thresholds,
    deterministic_thresholds: Thresholds | None = None,
    index: int = 0,
    true_label: int | None = None,
    kind: str = "bayesian",
) -> Verdict:
    """The :class:`Verdict` on image ``index`` of two predictions of the same images: ``sampled`` from the
    uncertainty ``method`` (a kind id: "bayesian", "mc-dropout" or "ensemble"), ``deterministic`` from its twin."""
    digit = int(sampled.label[index])
    predictive_entropy = float(sampled.predictive_entropy[index])
    mutual_information = float(sampled.mutual_information[index])
    reasons = not_sure_reasons(predictive_entropy, mutual_information, thresholds)
    deterministic_entropy = float(deterministic.predictive_entropy[index])
    deterministic_limit = (deterministic_thresholds or Thresholds()).predictive_entropy
    return Verdict(
        digit=digit,
        probability=float(sampled.probability[index]),
        votes=int(sampled.votes[index, digit]),
        num_samples=sampled.num_samples,
        predictive_entropy=predictive_entropy,
        expected_entropy=float(sampled.expected_entropy[index]),
        mutual_information=mutual_information,
        level=uncertainty_level(predictive_entropy, mutual_information, thresholds),
        not_sure=bool(reasons),
        reasons=reasons,
        deterministic_digit=int(deterministic.label[index]),
        deterministic_probability=float(deterministic.probability[index]),
        deterministic_flagged=deterministic_limit is not None and deterministic_entropy > deterministic_limit,
        true_label=None if true_label is None else int(true_label),
        kind=kind,
    )


COMPARISON_COLUMNS = ("method", "digit", "probability", "votes", "predictive entropy", "mutual information", "not sure")


def comparison_rows(answers: dict[str, tuple[Prediction, Thresholds]], index: int = 0) -> list[dict[str, str]]:
    """One row per network kind (``KIND_NAMES``' keys) for image ``index``: its digit, probability, the votes
    for that digit out of T, both uncertainties (nats) and "not sure" by that network's own thresholds."""
    rows = []
    for kind, (prediction, thresholds) in answers.items():
        digit = int(prediction.label[index])
        predictive_entropy, mutual_information = (
            float(prediction.predictive_entropy[index]),
            float(prediction.mutual_information[index]),
        )
        rows.append(
            {
                "method": KIND_NAMES.get(kind, kind),
                "digit": str(digit),
                "probability": f"{float(prediction.probability[index]):.2f}",
                "votes": f"{int(prediction.votes[index, digit])} / {prediction.num_samples}",
                "predictive entropy": f"{predictive_entropy:.3f}",
                "mutual information": f"{mutual_information:.3f}",
                "not sure": "not sure" if not_sure_reasons(predictive_entropy, mutual_information, thresholds) else "",
            }
        )
    return rows
