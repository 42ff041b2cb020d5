import json

import numpy as np
import pytest

import bnn
from bnn import ablate
from bnn.config import ASSETS_DIR, Config
from bnn.data import Dataset, load_fashion_mnist_test

TINY = (
    ablate.Candidate("kl-1", {}, "reference"),
    ablate.Candidate("kl-0.1", {"kl_weight": 0.1}, "tempered"),
    ablate.Candidate("twin", {"kl_weight": 0.1, "posterior_init": "twin", "posterior_init_fraction": 0.1}, "MOPED"),
)
BASE = Config(batch_size=100, validation_samples=2, patience=5)


@pytest.fixture(scope="module")
def tiny(mnist):
    take = lambda part, count: Dataset(part.images[:count], part.labels[:count])
    return take(mnist.train, 500), take(mnist.validation, 200), take(load_fashion_mnist_test(), 200)


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
    monkeypatch.setattr("bnn.train.fit", lambda config, *args, **kwargs: trained.append(config.kl_weight) or 1 / 0)
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
    table = ablate.format_ablation_table({"candidates": rows, "winner": "kl-0.1"})
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| candidate | val acc. | val NLL")
    assert lines[2] == "| kl-1 | 0.9900 | 0.0500 | 0.0020 | 0.9800 | 0.400 | 0.9999 | 3 | 4 | 1.5 |"
    assert lines[3].startswith("| **kl-0.1** |") and "| - |" in lines[3]


def test_unknown_candidates_and_corruptions_are_refused(tiny, tmp_path):
    with pytest.raises(ValueError, match="unknown candidates"):
        _run(tiny, tmp_path / "a.json", only=("kl-7",))
    with pytest.raises(ValueError, match="unknown corruptions"):
        ablate.shift_inputs(tiny[1], 2, ("rotation:33",), 0)


SHIPPED = ASSETS_DIR / "ablation.json"


def test_the_readme_table_is_the_committed_ablation():
    readme = (ASSETS_DIR.parent / "README.md").read_text()
    assert ablate.format_ablation_table(ablate.read_ablation(SHIPPED)) in readme


def test_the_defaults_are_the_recipe_the_committed_ablation_ships():
    report = ablate.read_ablation(SHIPPED)
    assert report["winner"] == ablate.choose_winner(report)
    assert report["split"].endswith("the test set is never used")
    shipped = ablate.shipped_recipe(report, "mlp")
    candidate = next(row for row in report["candidates"] if row["name"] == shipped)
    recipe = {**ablate.RECIPE_BEFORE, **candidate["settings"]}
    del recipe["epochs"]  # the shipped network trains to Config.epochs with early stopping, not the ablation's budget
    defaults = Config(kind="bayesian", arch="mlp")
    assert {name: getattr(defaults, name) for name in recipe} == recipe


def test_the_committed_confirmation_is_the_shipped_network_and_the_readme_shows_it():
    report = ablate.read_ablation(SHIPPED)
    confirmation = report["confirmation"]["mlp"]
    assert report["winner"] in confirmation["candidates"]  # the winner was checked at full length
    shipped = bnn.load_model("bayesian", "mlp")
    assert confirmation["shipped"]["weights_sha256"] == shipped.card.weights_sha256
    for row in confirmation["candidates"].values():
        assert row["passed"] is ablate.confirms(row["validation"], confirmation["shipped"]["validation"])
    assert confirmation["rule"] == ablate.CONFIRMATION_RULE
    readme = (ASSETS_DIR.parent / "README.md").read_text()
    assert ablate.format_confirmation_table(report) in readme


def _checked(nll, auroc, shift_nll):
    row = {"validation": {"nll": nll, "ood_auroc_mutual_information": auroc, "shift_nll": shift_nll}}
    return row | {"passed": ablate.confirms(row["validation"], SHIPPED_ROW["validation"])}


SHIPPED_ROW = {"network": "mlp-bayesian", "validation": {"nll": 0.057, "ood_auroc_mutual_information": 0.999}}
SHIPPED_ROW["validation"]["shift_nll"] = 0.66


@pytest.mark.parametrize(
    ("candidates", "recipe"),
    [
        ({"twin": _checked(0.046, 0.9995, 0.60)}, "twin"),
        ({"twin": _checked(0.046, 0.98, 0.60)}, "kl-1"),  # loses non-digits
        ({"twin": _checked(0.046, 0.9995, 0.75)}, "kl-1"),  # loses under shift
        ({"nd": _checked(0.073, 0.9998, 0.62)}, "kl-1"),  # better off the data, worse on the digits themselves
        ({"twin": _checked(0.046, 0.98, 0.6), "kl-0.1": _checked(0.05, 0.9999, 0.6)}, "kl-0.1"),
        ({"a": _checked(0.046, 0.9999, 0.6), "b": _checked(0.05, 0.9999, 0.6)}, "a"),  # the lowest NLL
    ],
    ids=["keeps-both", "loses-ood", "loses-shift", "loses-clean-nll", "another-candidate-confirmed", "two-confirmed"],
)
def test_a_candidate_replaces_the_shipped_recipe_only_when_full_length_confirms_it(candidates, recipe):
    report = {"winner": "twin", "confirmation": {"mlp": {"shipped": SHIPPED_ROW, "candidates": candidates}}}
    assert ablate.shipped_recipe(report, "mlp") == recipe
    assert ablate.shipped_recipe({"winner": "twin"}, "mlp") == "twin"  # not checked at full length yet


def test_confirm_scores_both_networks_as_the_candidates_were_scored(tiny):
    _, validation, ood = tiny
    shipped = bnn.load_model("bayesian", "mlp")
    report = {
        "winner": "twin",
        "seed": 0,
        "num_samples": 4,
        "shift": {"num_images": 30, "corruptions": ["blur:strong"]},
    }
    ablate.confirm(report, shipped, shipped, validation=validation, ood=ood)
    confirmation = report["confirmation"]["mlp"]
    row = confirmation["candidates"]["twin"]
    assert confirmation["shipped"]["validation"] == row["validation"]  # the same network and seed
    assert row["passed"] is True and confirmation["rule"] == ablate.CONFIRMATION_RULE
    assert set(row["validation"]["shift_rows"]) == {"blur:strong"}
    assert row["recipe"] == {"kl_weight": 1.0, "posterior_init": "none", "posterior_init_fraction": None}
    table = ablate.format_confirmation_table(report).splitlines()
    assert len(table) == 4 and table[2].startswith("| mlp-bayesian | shipped |")
    assert table[3].startswith("| mlp-bayesian, full length | twin |") and table[3].endswith("| yes |")


def test_a_recorded_check_is_judged_again_by_the_current_rule():
    stale = {"validation": {"nll": 0.073, "ood_auroc_mutual_information": 0.9998, "shift_nll": 0.62}, "passed": True}
    report = {"confirmation": {"mlp": {"rule": "an older rule", "shipped": SHIPPED_ROW, "candidates": {"nd": stale}}}}
    ablate.apply_confirmation_rule(report)
    assert report["confirmation"]["mlp"]["rule"] == ablate.CONFIRMATION_RULE
    assert report["confirmation"]["mlp"]["candidates"]["nd"]["passed"] is False  # worse validation NLL than shipped
