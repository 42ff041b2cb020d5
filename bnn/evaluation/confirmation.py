"""Confirming an ablation's winner before it ships: the candidate trained to full length, scored against the
shipped network and its deterministic twin on the validation scores and every corrupted row (CONFIRMATION_RULE).

    confirm(report, shipped_model, twin_model, full_length_model, "kl-0.3", validation, ood)   # -> report["confirmation"]
"""

from __future__ import annotations

from bnn.data import Dataset
from bnn.evaluation import corruptions as corruptions_module
from bnn.evaluation.ablation import RECIPE, RECIPE_BEFORE, REFERENCE, score, shift_inputs

# The full-length check scores shift on every corrupted row of bnn.evaluation.corruptions (38), on the same
# validation digits: a mean over a few severe rows is decided by the two 90 degree turns alone (docs/decisions.md).
CONFIRMATION_CORRUPTIONS = tuple(item.key for item in corruptions_module.CORRUPTIONS if item.family != "clean")

ROWS_TO_WIN = (30, 38)  # a lower shift NLL than the shipped network's on at least 30 of 38 rows: nearly every shift

CONFIRMATION_RULE = (  # worded as assets/ablation.json records it (its module names too)
    "each candidate trained to full length is scored on the same validation scores as the shipped network and its "
    "deterministic twin, under shift on every corrupted row of bnn.corruptions (38) applied to validation digits; of "
    "those whose Fashion-MNIST AUROC by mutual information is at least the shipped network's, whose validation NLL "
    "is no worse, whose NLL is lower than the shipped network's on at least 30 of the 38 shift rows and whose mean "
    "shift NLL is no worse than the twin's, the one with the lowest validation NLL replaces it; if none, the "
    "shipped recipe stays"
)


def confirm(
    report: dict,
    shipped,
    twin,
    trained,
    name: str | None = None,
    validation: Dataset | None = None,
    ood: Dataset | None = None,
    shifted: dict | None = None,
) -> dict:
    """Score the ``shipped`` network, its deterministic ``twin`` and candidate ``name`` (default: the winner)
    ``trained`` to full length (``bnn.model.predict.DigitModel``s of one architecture) as the candidates were scored, and
    record them in ``report["confirmation"][arch]``: the rule, the shipped network's and the twin's rows and one row
    per candidate, each with whether it passed. ``shifted``: :func:`shift_inputs` of CONFIRMATION_CORRUPTIONS
    (computed when None). A shipped network or twin scored on other rows or with other weights is scored again."""
    name = name or report["winner"]
    if shifted is None:
        shifted = shift_inputs(validation, report["shift"]["num_images"], CONFIRMATION_CORRUPTIONS, report["seed"])
    confirmation = report.setdefault("confirmation", {}).setdefault(shipped.card.arch, {"candidates": {}})
    for role, model in (("shipped", shipped), ("twin", twin)):
        if not _up_to_date(confirmation.get(role), model, shifted, confirmation):
            confirmation[role] = _confirmation_row(model, validation, ood, shifted, report)
    confirmation["candidates"][name] = _confirmation_row(trained, validation, ood, shifted, report)
    apply_confirmation_rule(report)
    return report


def _up_to_date(recorded: dict | None, model, shifted: dict, confirmation: dict) -> bool:
    """Whether ``recorded`` scores ``model`` on the rows of ``shifted``. The network a check put in place counts as
    the one it replaced: the candidates stay judged against that one."""
    if recorded is None or set(recorded["validation"]["shift_rows"]) != set(shifted):  # shifted: key -> inputs
        return False
    return model.card.weights_sha256 in (recorded["weights_sha256"], _confirmed_sha256(confirmation))


def _confirmed(confirmation: dict) -> str | None:
    """The candidate CONFIRMATION_RULE ships from this check: the passed one with the lowest validation NLL."""
    passed = {name: row for name, row in confirmation["candidates"].items() if row["passed"]}
    return min(passed, key=lambda name: passed[name]["validation"]["nll"]) if passed else None


def _confirmed_sha256(confirmation: dict) -> str | None:
    """The sha256 of the weights of :func:`_confirmed`'s candidate, None when the check ships none."""
    name = _confirmed(confirmation)
    return confirmation["candidates"][name]["weights_sha256"] if name is not None else None


def same_shift_rows(metrics: dict, reference: dict) -> bool:
    """Whether two validation scores were measured on the same shift rows (and so can be compared row by row)."""
    return set(metrics["shift_rows"]) == set(reference["shift_rows"])


def shift_rows_won(metrics: dict, reference: dict) -> int:
    """On how many of the reference's shift rows ``metrics`` has the lower NLL."""
    rows = reference["shift_rows"]
    return sum(metrics["shift_rows"][key]["nll"] < row["nll"] for key, row in rows.items())


def confirms(metrics: dict, shipped: dict, twin: dict) -> bool:
    """CONFIRMATION_RULE's condition on a full-length candidate's validation ``metrics`` against the shipped
    network's and the twin's: no lower AUROC by mutual information, no worse validation NLL (a recipe chosen to
    do better off the data may not pay for it on the digits themselves), a lower shift NLL than the shipped
    network on ROWS_TO_WIN of the rows, and a mean shift NLL no worse than the deterministic twin's."""
    won, of = ROWS_TO_WIN
    return (
        (metrics["ood_auroc_mutual_information"] or 0.0) >= shipped["ood_auroc_mutual_information"]
        and metrics["nll"] <= shipped["nll"]
        and shift_rows_won(metrics, shipped) * of >= won * len(shipped["shift_rows"])
        and metrics["shift_nll"] <= twin["shift_nll"]
    )


def apply_confirmation_rule(report: dict) -> dict:
    """Record CONFIRMATION_RULE and, by it, whether each full-length candidate of every architecture passed: a
    checked candidate is judged by the current rule without being scored again; one scored on other shift rows
    than the shipped network (or before the twin was scored) cannot be, and gets None until it is confirmed again."""
    for confirmation in report.get("confirmation", {}).values():
        confirmation["rule"] = CONFIRMATION_RULE
        shipped, twin = confirmation["shipped"]["validation"], confirmation.get("twin", {}).get("validation")
        for row in confirmation["candidates"].values():
            scored_alike = twin is not None and same_shift_rows(row["validation"], shipped)
            row["passed"] = confirms(row["validation"], shipped, twin) if scored_alike else None  # None: confirm again
    return report


def _confirmation_row(model, validation: Dataset, ood: Dataset, shifted: dict, report: dict) -> dict:
    card = model.card
    training = card.raw.get("training", {})  # a card that records no recipe: RECIPE_BEFORE
    return {
        "network": card.name,
        "weights_sha256": card.weights_sha256,
        "recipe": (
            {name: training.get(name, default) for name, default in RECIPE_BEFORE.items() if name in RECIPE}
            if card.kind == "bayesian"
            else None  # the twin: no variational recipe
        ),
        "best_epoch": card.best_epoch,
        "epochs_trained": len(card.epoch_seconds),
        "validation": score(model, validation, ood, shifted, report["num_samples"], report["seed"]),
    }


def shipped_recipe(report: dict, arch: str = "mlp") -> str | None:
    """The candidate whose settings the shipped ``arch`` network (and ``Config``'s defaults) follow: before any
    full-length check the winner; after, by CONFIRMATION_RULE, the confirmed candidate or the reference."""
    confirmation = report.get("confirmation", {}).get(arch)
    if confirmation is None:
        return report.get("winner")
    return _confirmed(confirmation) or REFERENCE


def shipped_weights_sha256(report: dict, arch: str = "mlp") -> str:
    """The sha256 of the weights CONFIRMATION_RULE ships for ``arch``: the confirmed candidate's, else those of
    the network shipped when the candidates were checked."""
    confirmation = report["confirmation"][arch]
    return _confirmed_sha256(confirmation) or confirmation["shipped"]["weights_sha256"]
