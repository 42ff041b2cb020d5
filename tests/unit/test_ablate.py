import json

import numpy as np
import pytest
from helpers.networks import first, tiny_config

import bnn
from bnn.config import Config
from bnn.data import load_fashion_mnist_test
from bnn.evaluation import ablation as ablate
from bnn.evaluation import confirmation
from bnn.figures import tables

TINY = (
    ablate.Candidate("kl-1", {}, "reference"),
    ablate.Candidate("kl-0.1", {"kl_weight": 0.1}, "tempered"),
    ablate.Candidate("twin", {"kl_weight": 0.1, "posterior_init": "twin", "posterior_init_fraction": 0.1}, "MOPED"),
)
# the shipped deterministic MLP's widths: the "twin" candidate starts from it
BASE = tiny_config(hidden_units=Config().hidden_units, patience=5)


@pytest.fixture(scope="module")
def tiny(mnist):
    return first(mnist.train, 500), first(mnist.validation, 200), first(load_fashion_mnist_test(), 200)


def _run(tiny, output, **settings):
    train_set, validation, ood = tiny
    options = {"epochs": 1, "candidates": TINY, "num_samples": 4, "shift_images": 30, "base": BASE}
    options["corruptions"] = ("rotation:90", "blur:strong")
    return ablate.run_ablation(train_set, validation, ood, output, **{**options, **settings})


@pytest.mark.slow  # trains every candidate
def test_ablation_scores_each_candidate_on_validation_and_skips_what_it_has(tiny, tmp_path, monkeypatch):
    output = tmp_path / "ablation.json"
    report = _run(tiny, output, only=("kl-1", "twin"))
    written = json.loads(output.read_text())
    assert written == report
    assert [row["name"] for row in written["candidates"]] == ["kl-1", "twin"]
    assert "test set is never used" in written["split"] and written["shift"]["corruptions"] == [
        "rotation:90",
        "blur:strong",
    ]
    for row in written["candidates"]:
        metrics = row["validation"]
        assert 0.5 < metrics["accuracy"] <= 1 and metrics["nll"] > 0 and 0 <= metrics["ece"] <= 1
        assert 0.1 <= metrics["mean_top_probability"] <= 1
        assert set(metrics["shift_rows"]) == {"rotation:90", "blur:strong"}
        assert metrics["shift_nll"] == pytest.approx(np.mean([r["nll"] for r in metrics["shift_rows"].values()]))
        assert 0 <= metrics["ood_auroc_mutual_information"] <= 1
        assert row["best_epoch"] == 1 and row["epochs_trained"] == 1 and row["seconds"] > 0
    twin = written["candidates"][1]
    assert twin["twin_sha256"] is not None and twin["settings"]["posterior_init"] == "twin"
    # the twin start shows: one epoch from the twin is far better than one epoch from scratch
    assert twin["validation"]["accuracy"] > written["candidates"][0]["validation"]["accuracy"]
    assert written["winner"] == ablate.choose_winner(written)

    trained = []
    monkeypatch.setattr(
        "bnn.model.train.fit", lambda config, *args, **kwargs: trained.append(config.kl_weight) or 1 / 0
    )
    with pytest.raises(ZeroDivisionError):  # the one missing candidate, and only it, is trained on the rerun
        _run(tiny, output)
    assert trained == [0.1]
    with pytest.raises(ValueError, match="epochs"):
        _run(tiny, output, epochs=2)


def test_the_long_candidate_trains_for_twice_the_epochs():
    long = next(candidate for candidate in ablate.CANDIDATES if candidate.epochs_factor == 2)
    assert ablate.candidate_config(long, 7).epochs == 14
    # the reference is the recipe shipped before the ablation, whatever Config's defaults became
    reference = Config(kind="bayesian", arch="mlp", epochs=7, **ablate.RECIPE_BEFORE)
    assert ablate.candidate_config(ablate.CANDIDATES[0], 7) == reference
    assert reference.kl_weight == 1.0 and reference.posterior_init == "none"


def test_every_candidate_is_a_valid_config_and_the_names_are_unique():
    names = [candidate.name for candidate in ablate.CANDIDATES]
    assert len(set(names)) == len(names) and ablate.REFERENCE in names
    for candidate in ablate.CANDIDATES:
        assert ablate.candidate_config(candidate, 3).kind == "bayesian"


def _row(name, nll, shift_nll, auroc):
    return {"name": name, "validation": {"nll": nll, "shift_nll": shift_nll, "ood_auroc_mutual_information": auroc}}


def test_the_winner_has_the_lowest_validation_nll_among_those_that_keep_ood_and_shift():
    rows = [
        _row("kl-1", 0.05, 0.40, 0.98),
        _row("sharp-but-blind", 0.02, 0.38, 0.97),  # best NLL, tells fewer non-digits apart than the reference
        _row("sharp-but-brittle", 0.025, 0.45, 0.99),  # worse under shift than the reference
        _row("balanced", 0.03, 0.39, 0.985),
        _row("worse", 0.04, 0.30, 0.99),
    ]
    assert ablate.choose_winner({"candidates": rows}) == "balanced"
    assert ablate.choose_winner({"candidates": rows[1:]}) is None  # no reference yet
    assert ablate.choose_winner({"candidates": rows[:3]}) == "kl-1"


def test_the_table_has_a_row_per_candidate_and_marks_the_winner():
    rows = [_row("kl-1", 0.05, 0.4, 0.9999), _row("kl-0.1", 0.03, 0.39, None)]
    for row in rows:
        row["validation"] |= {"accuracy": 0.99, "ece": 0.002, "mean_top_probability": 0.98}
        row |= {"best_epoch": 3, "epochs_trained": 4, "seconds": 90.0}
    table = tables.format_ablation_table({"candidates": rows, "winner": "kl-0.1"})
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| candidate | val acc. | val NLL")
    assert lines[2] == "| kl-1 | 0.9900 | 0.0500 | 0.0020 | 0.9800 | 0.400 | 0.9999 | 3 | 4 | 1.5 |"
    assert lines[3].startswith("| **kl-0.1** |") and "| - |" in lines[3]


def test_unknown_candidates_and_corruptions_are_refused(tiny, tmp_path):
    with pytest.raises(ValueError, match="unknown candidates"):
        _run(tiny, tmp_path / "a.json", only=("kl-7",))
    with pytest.raises(ValueError, match="unknown corruptions"):
        ablate.shift_inputs(tiny[1], 2, ("rotation:33",), 0)


ROWS = [f"row-{index}" for index in range(38)]
EPOCHS_60 = {"best_epoch": 60, "epochs_trained": 60}


def _validation(nll, auroc, row_nlls):
    rows = {key: {"nll": value, "accuracy": 0.9} for key, value in zip(ROWS, row_nlls, strict=True)}
    shift = {"shift_rows": rows, "shift_nll": float(np.mean(row_nlls))}
    return {"nll": nll, "ood_auroc_mutual_information": auroc} | shift


# the shipped network: 0.1 on 36 rows, 3.0 on the two turned furthest; its twin lower on the 36, higher on the two
SHIPPED_ROW = {
    **EPOCHS_60,
    "network": "mlp-bayesian",
    "weights_sha256": "shipped",
    "validation": _validation(0.057, 0.999, [0.1] * 36 + [3.0] * 2),
}
TWIN_ROW = {
    **EPOCHS_60,
    "network": "mlp-deterministic",
    "weights_sha256": "twin",
    "validation": _validation(0.04, None, [0.08] * 36 + [4.0] * 2),
}


def _checked(nll, auroc, won, furthest=3.5):
    """A candidate below the shipped network on ``won`` of the 36 rows, at ``furthest`` on the other two."""
    row = {
        **EPOCHS_60,
        "weights_sha256": f"candidate-{nll}-{auroc}-{won}",
        "validation": _validation(nll, auroc, [0.09] * won + [0.11] * (36 - won) + [furthest] * 2),
    }
    return row | {"passed": confirmation.confirms(row["validation"], SHIPPED_ROW["validation"], TWIN_ROW["validation"])}


@pytest.mark.parametrize(
    ("candidates", "recipe"),
    [
        ({"twin": _checked(0.046, 0.9995, 34)}, "twin"),
        ({"twin": _checked(0.046, 0.98, 34)}, "kl-1"),  # loses non-digits
        ({"twin": _checked(0.046, 0.9995, 29)}, "kl-1"),  # lower shift NLL than the shipped network on 29 rows only
        ({"twin": _checked(0.046, 0.9995, 34, furthest=4.5)}, "kl-1"),  # a mean shift NLL above the twin's
        ({"nd": _checked(0.073, 0.9998, 34)}, "kl-1"),  # better off the data, worse on the digits themselves
        ({"twin": _checked(0.046, 0.98, 34), "kl-0.1": _checked(0.05, 0.9999, 34)}, "kl-0.1"),
        ({"a": _checked(0.046, 0.9999, 34), "b": _checked(0.05, 0.9999, 34)}, "a"),  # the lowest NLL
    ],
    ids=[
        "keeps-all",
        "loses-ood",
        "loses-shift-rows",
        "worse-than-the-twin-under-shift",
        "loses-clean-nll",
        "another-candidate-confirmed",
        "two-confirmed",
    ],
)
def test_a_candidate_replaces_the_shipped_recipe_only_when_full_length_confirms_it(candidates, recipe):
    recorded = {"shipped": SHIPPED_ROW, "twin": TWIN_ROW, "candidates": candidates}
    report = {"winner": "twin", "confirmation": {"mlp": recorded}}
    assert confirmation.shipped_recipe(report, "mlp") == recipe
    assert confirmation.shipped_recipe({"winner": "twin"}, "mlp") == "twin"  # not checked at full length yet
    shipped = candidates[recipe]["weights_sha256"] if recipe in candidates else "shipped"
    assert confirmation.shipped_weights_sha256(report, "mlp") == shipped


def test_confirm_scores_every_network_as_the_candidates_were_scored_and_keeps_what_a_check_shipped(tiny):
    _, validation, ood = tiny
    shipped, twin = bnn.load_model("bayesian", "mlp"), bnn.load_model("deterministic", "mlp")
    report = {
        "winner": "same",
        "seed": 0,
        "num_samples": 4,
        "shift": {"num_images": 30, "corruptions": ["blur:strong"]},
    }
    shifted = ablate.shift_inputs(validation, 30, ("rotation:90", "blur:strong"), 0)
    confirmation.confirm(report, shipped, twin, shipped, validation=validation, ood=ood, shifted=shifted)
    recorded = report["confirmation"]["mlp"]
    row = recorded["candidates"]["same"]
    assert recorded["shipped"]["validation"] == row["validation"]  # the same network and seed
    assert row["passed"] is False  # a network is never below itself under shift
    assert recorded["rule"] == confirmation.CONFIRMATION_RULE
    assert set(row["validation"]["shift_rows"]) == {"rotation:90", "blur:strong"}
    assert row["recipe"] == {
        "kl_weight": shipped.card.raw["training"].get("kl_weight", 1.0),
        "posterior_init": "none",
        "posterior_init_fraction": None,
    }
    assert recorded["twin"]["recipe"] is None and recorded["twin"]["network"] == "mlp-deterministic"
    assert recorded["twin"]["validation"]["ood_auroc_mutual_information"] is None
    table = tables.format_confirmation_table(report).splitlines()
    assert len(table) == 5 and table[2].startswith("| mlp-bayesian | shipped before |")
    assert table[3].startswith("| mlp-deterministic | twin |")
    assert table[4].startswith("| mlp-bayesian, full length | same |")
    assert "| 0 of 2 |" in table[4] and table[4].endswith("| no |")

    # the shipped network is now a candidate this check shipped: the candidates stay judged against the one it replaced
    row["passed"], recorded["shipped"]["weights_sha256"] = True, "the network it replaced"
    confirmation.confirm(report, shipped, twin, shipped, "again", validation=validation, ood=ood, shifted=shifted)
    assert recorded["shipped"]["weights_sha256"] == "the network it replaced"
    # scored on other rows: scored again
    confirmation.confirm(
        report,
        shipped,
        twin,
        shipped,
        "again",
        validation=validation,
        ood=ood,
        shifted={"blur:strong": shifted["blur:strong"]},
    )
    assert recorded["shipped"]["weights_sha256"] == shipped.card.weights_sha256


def test_a_recorded_check_is_judged_again_by_the_current_rule():
    stale = _checked(0.073, 0.9998, 34) | {"passed": True}
    fewer_rows = _checked(0.046, 0.9995, 34) | {"passed": True}
    del fewer_rows["validation"]["shift_rows"]["row-0"]  # scored on other shift rows than the shipped network
    candidates = {"nd": stale, "fewer-rows": fewer_rows}
    recorded = {"rule": "an older rule", "shipped": SHIPPED_ROW, "twin": TWIN_ROW, "candidates": candidates}
    before_the_twin = {"shipped": SHIPPED_ROW, "candidates": {"twin": _checked(0.046, 0.9995, 34)}}  # no twin row
    report = {"winner": "fewer-rows", "confirmation": {"mlp": recorded, "conv": before_the_twin}}
    confirmation.apply_confirmation_rule(report)
    assert before_the_twin["candidates"]["twin"]["passed"] is None
    assert recorded["rule"] == confirmation.CONFIRMATION_RULE
    assert candidates["nd"]["passed"] is False  # worse validation NLL than shipped
    assert candidates["fewer-rows"]["passed"] is None  # cannot be judged until confirmed again
    assert confirmation.shipped_recipe(report, "mlp") == ablate.REFERENCE
    table = tables.format_confirmation_table(report).splitlines()
    assert next(line for line in table if "| fewer-rows |" in line).endswith("| - | 60 | 60 | not judged |")
    assert table[-1].startswith("| conv-bayesian, full length | twin |") and table[-1].endswith("| not judged |")
