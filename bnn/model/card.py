"""A network's model card, read once: the JSON beside its weights as a typed :class:`ModelCard`.

``bnn.model.train`` writes the card as a plain dict (``bnn.model.weights.write_weights``); everything that reads one goes
through :meth:`ModelCard.from_dict` (``bnn.model.weights.read_card`` for a file), so each field is looked up in one
place. ``ModelCard.raw`` keeps the dict as written, for the fields no reader needs a name for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bnn.config import Config, network_name


@dataclass(frozen=True)
class Thresholds:
    """Uncertainty (nats) above which a prediction is flagged; chosen on the validation set (model card)."""

    predictive_entropy: float | None = None
    mutual_information: float | None = None
    rule: str = ""

    def by_score(self) -> dict[str, float]:
        """The thresholds keyed by score name, as ``bnn.evaluation.insight`` stores them: mutual information is ``epistemic``."""
        scores = {"predictive_entropy": self.predictive_entropy, "mutual_information": self.mutual_information}
        return {score: value for score, value in scores.items() if value is not None}

    def describe(self) -> str:
        """One sentence on when the page says "not sure"."""
        limits = [
            f"{name} {value:.2f} nats"
            for name, value in (("total uncertainty", self.predictive_entropy), ("epistemic", self.mutual_information))
            if value is not None
        ]
        if not limits:
            return "This network's model card records no uncertainty thresholds, so it is never called not sure."
        rule = f" ({self.rule})" if self.rule else ""
        return f'"Not sure" above these thresholds{rule}: {" or ".join(limits)}.'


@dataclass(frozen=True)
class ModelCard:
    """What readers use of a model card. Optional fields are None (or empty) on a card that does not record them,
    e.g. :meth:`untrained`'s; values are the card's own, unconverted, so numbers written from them stay the same."""

    name: str  # e.g. "mlp-bayesian"
    kind: str  # one of config.ALL_KINDS
    arch: str  # one of config.ARCHITECTURES
    network_settings: (
        dict  # the settings the network was built with (``Config.network_settings()``; the card's "architecture")
    )
    num_train: int | None = None  # training images: the N of the KL term
    thresholds: Thresholds = Thresholds()  # "not sure"; none recorded: never flagged
    metrics: dict = field(default_factory=dict)  # the test set's accuracy, NLL, Brier, ECE, ... and num_samples
    history: dict | None = None  # per epoch: nll, kl, accuracy, val_nll, val_accuracy (an ensemble: per member)
    best_epoch: int | None = None  # 1-based
    best_validation_accuracy: float | None = None
    epoch_seconds: tuple[float, ...] = ()  # every epoch trained (an ensemble: every member's)
    epoch_seconds_median: float | None = None
    weights_path: str | None = None  # the weights file, relative to the card's folder
    weights_sha256: str | None = None
    weights_bytes: int | None = None
    taught_examples: int = 0  # examples taught after training (``bnn.model.teach``), every lesson's
    raw: dict = field(default_factory=dict, repr=False)  # the card as written

    @classmethod
    def from_dict(cls, card: dict) -> ModelCard:
        """Read a card's dict (as ``bnn.model.train`` writes it). Raises ValueError when it records no architecture."""
        network_settings = card.get("architecture") if isinstance(card, dict) else None
        if not isinstance(network_settings, dict) or "kind" not in network_settings or "arch" not in network_settings:
            raise ValueError("it records no architecture (kind and arch)")
        kind, arch = network_settings["kind"], network_settings["arch"]
        training = card.get("training") or {}
        weights = (card.get("files") or {}).get("weights") or {}
        return cls(
            name=card.get("name") or network_name(arch, kind),
            kind=kind,
            arch=arch,
            network_settings=network_settings,
            num_train=(card.get("split") or {}).get("train"),
            thresholds=_thresholds(card.get("uncertainty_thresholds") or {}),
            metrics=card.get("metrics") or {},
            history=training.get("history"),
            best_epoch=training.get("best_epoch"),
            best_validation_accuracy=training.get("best_validation_accuracy"),
            epoch_seconds=tuple(training.get("epoch_seconds") or ()),
            epoch_seconds_median=training.get("epoch_seconds_median"),
            weights_path=weights.get("path"),
            weights_sha256=weights.get("sha256"),
            weights_bytes=weights.get("bytes"),
            taught_examples=int((card.get("taught") or {}).get("examples", 0)),
            raw=card,
        )

    @classmethod
    def untrained(cls, config: Config) -> ModelCard:
        """The card of a network built from ``config`` and not trained yet: its architecture only."""
        return cls.from_dict({"architecture": config.network_settings()})

    def config(self) -> Config:
        """The settings to rebuild the network with (the rest are ``Config``'s defaults)."""
        settings = dict(self.network_settings)
        settings["hidden_units"] = tuple(settings["hidden_units"])
        if settings["kind"] == "bayesian":
            settings.setdefault("kl_weight", 1.0)  # absent means untempered: network_settings records it only below 1
        return Config(**settings)


def _thresholds(recorded: dict) -> Thresholds:
    """The card's ``uncertainty_thresholds``; missing or non-positive values flag nothing."""
    return Thresholds(
        predictive_entropy=_positive_or_none(recorded.get("predictive_entropy")),
        mutual_information=_positive_or_none(recorded.get("epistemic")),
        rule=str(recorded.get("rule", "")),
    )


def _positive_or_none(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value > 0 else None
