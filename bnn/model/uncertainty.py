"""The maths of predictive uncertainty and of scoring predictions, in plain NumPy.

Shapes: ``samples`` is (T, N, K) class probabilities from T weight samples; ``probs`` is (N, K);
``labels`` is (N,) integers. Entropies are in nats.

Decomposition (Depeweg et al. 2018; Smith & Gal 2018):
    predictive entropy  H[ E_w p(y|x,w) ]           total uncertainty
  = expected entropy    E_w H[ p(y|x,w) ]           aleatoric: noise the data itself carries
  + mutual information  I[y; w | x]                 epistemic: disagreement between weight samples
"""

from __future__ import annotations

import numpy as np

_TINY = np.finfo(np.float64).tiny


def entropy(probs: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats along ``axis``, with 0 log 0 = 0."""
    probs = np.asarray(probs, dtype=np.float64)
    return -np.sum(probs * np.log(np.clip(probs, _TINY, None)), axis=axis)


def predictive_entropy(samples: np.ndarray) -> np.ndarray:
    """(T, N, K) -> (N,): entropy of the posterior predictive (the mean over samples)."""
    return entropy(np.mean(samples, axis=0, dtype=np.float64))


def expected_entropy(samples: np.ndarray) -> np.ndarray:
    """(T, N, K) -> (N,): mean over samples of each sample's entropy (aleatoric part)."""
    return np.mean(entropy(samples), axis=0)


def mutual_information(samples: np.ndarray) -> np.ndarray:
    """(T, N, K) -> (N,): predictive entropy minus expected entropy (epistemic part), >= 0."""
    return np.maximum(predictive_entropy(samples) - expected_entropy(samples), 0.0)


def vote_counts(samples: np.ndarray) -> np.ndarray:
    """(T, N, K) -> (N, K): how many of the T samples give each class the highest probability."""
    samples = np.asarray(samples)
    winners = np.argmax(samples, axis=-1)  # (T, N)
    num_classes = samples.shape[-1]
    return np.stack([np.bincount(column, minlength=num_classes) for column in winners.T]).astype(np.int64)


def negative_log_likelihood(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean over examples of -log p(true label), in nats."""
    probs, labels = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], _TINY, None))))


def brier_score(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean over examples of the squared distance to the one-hot label, summed over classes (0 to 2)."""
    probs = np.asarray(probs, dtype=np.float64)
    one_hot = np.eye(probs.shape[-1])[np.asarray(labels)]
    return float(np.mean(np.sum((probs - one_hot) ** 2, axis=-1)))


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=-1) == np.asarray(labels)))


def reliability_bins(probs: np.ndarray, labels: np.ndarray, num_bins: int = 15) -> dict[str, np.ndarray]:
    """Equal-width confidence bins over [0, 1]: per bin mean confidence, accuracy and count."""
    probs = np.asarray(probs, dtype=np.float64)
    confidence = np.max(probs, axis=-1)
    correct = (np.argmax(probs, axis=-1) == np.asarray(labels)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    # Bins are (lo, hi]; a confidence of exactly 0 cannot happen for a probability vector.
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, num_bins - 1)
    counts = np.bincount(index, minlength=num_bins)
    safe = np.maximum(counts, 1)
    return {
        "edges": edges,
        "confidence": np.bincount(index, weights=confidence, minlength=num_bins) / safe,
        "accuracy": np.bincount(index, weights=correct, minlength=num_bins) / safe,
        "count": counts,
    }


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, num_bins: int = 15) -> float:
    """ECE (Guo et al. 2017): count-weighted mean |accuracy - confidence| over equal-width bins."""
    bins = reliability_bins(probs, labels, num_bins)
    weights = bins["count"] / max(int(bins["count"].sum()), 1)
    return float(np.sum(weights * np.abs(bins["accuracy"] - bins["confidence"])))


def auroc(negative_scores: np.ndarray, positive_scores: np.ndarray) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting half.

    Computed exactly as the Mann-Whitney U statistic from average ranks.
    """
    negative = np.asarray(negative_scores, dtype=np.float64).ravel()
    positive = np.asarray(positive_scores, dtype=np.float64).ravel()
    if negative.size == 0 or positive.size == 0:
        raise ValueError("auroc needs at least one negative and one positive score")
    scores = np.concatenate([negative, positive])
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # Average 1-based rank of each distinct value: ranks below it, plus the middle of its tie group.
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    positive_rank_sum = np.sum(average_rank[inverse[negative.size :]])
    u_statistic = positive_rank_sum - positive.size * (positive.size + 1) / 2.0
    return float(u_statistic / (positive.size * negative.size))


def accuracy_at_coverage(
    probs: np.ndarray, labels: np.ndarray, uncertainty: np.ndarray, coverage: float = 0.95
) -> float:
    """Accuracy on the ``coverage`` fraction of examples with the lowest ``uncertainty``."""
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    keep = max(1, int(np.ceil(coverage * len(labels))))
    most_certain = np.argsort(np.asarray(uncertainty), kind="stable")[:keep]
    return accuracy(np.asarray(probs)[most_certain], np.asarray(labels)[most_certain])
