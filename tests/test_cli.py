"""``python -m bnn train | evaluate | insight | predict`` end to end, in process."""

from __future__ import annotations

import json
import shutil

import pytest
from digits import drawn_digit, font_digit, png_bytes
from PIL import Image

from bnn.assets import shipped_kinds
from bnn.cli import main
from bnn.config import ASSETS_DIR


def test_predict_prints_both_networks_and_survives_a_bad_file(tmp_path, capsys):
    seven, three = tmp_path / "seven.png", tmp_path / "three.png"
    seven.write_bytes(png_bytes(drawn_digit(7)))
    three.write_bytes(png_bytes(font_digit(3)))
    broken, blank = tmp_path / "broken.png", tmp_path / "blank.png"
    broken.write_bytes(b"this is not a picture")
    Image.new("L", (64, 64), 255).save(blank)

    status = main(["predict", str(seven), str(broken), str(blank), str(three), "--num-samples", "20", "--seed", "0"])

    out = capsys.readouterr().out
    assert status == 1  # some files could not be used
    sections = {block.split(":\n")[0]: block for block in out.split(str(tmp_path) + "/")[1:]}
    for name, digit in (("seven.png", 7), ("three.png", 3)):
        assert f"mlp-bayesian       digit {digit}" in sections[name]
        assert f"mlp-deterministic  digit {digit}" in sections[name]
        assert "votes [" in sections[name] and "epistemic=" in sections[name]
    assert "T=20" in sections["seven.png"] and "T=1 " in sections["seven.png"]
    assert "cannot use this file" in sections["broken.png"]
    assert "cannot use this file" in sections["blank.png"] and "blank" in sections["blank.png"].lower()


def test_evaluate_writes_report_and_figures(tmp_path, capsys):
    report_path, figures = tmp_path / "report.json", tmp_path / "figures"

    assert main(["evaluate", "--num-samples", "3", "--output", str(report_path), "--figures-dir", str(figures)]) == 0

    out = capsys.readouterr().out
    assert "OOD AUROC, mutual information" in out and "test accuracy" in out
    assert "mlp-bayesian: predicting 20,000 images at T = 3" in out and "mlp-deterministic: done in" in out
    kinds = shipped_kinds("mlp")  # every shipped network is evaluated
    assert out.count("10000/10000") == 2 * len(kinds)  # a progress bar for each one's test and Fashion-MNIST run
    report = json.loads(report_path.read_text())
    assert report["num_samples"] == 3 and report["test_size"] == 10_000 and list(report["models"]) == list(kinds)
    assert report["models"]["bayesian"]["accuracy"] > 0.97
    assert sorted(p.name for p in figures.iterdir()) == [
        "mlp-bayesian-weights.html",
        "mlp-deterministic-weights.html",
        "reliability.html",
    ]


def test_insight_writes_the_tab_json_beside_the_weights_and_its_figures(tmp_path, capsys):
    assets = tmp_path / "assets"
    assets.mkdir()
    for path in ASSETS_DIR.glob("mlp-*"):
        shutil.copy(path, assets)
    argv = ["insight", "--assets-dir", str(assets), "--num-images", "200", "--num-samples", "3"]

    assert main([*argv, "--convergence-images", "20", "--figures-dir", str(tmp_path / "figures")]) == 0

    out = capsys.readouterr().out
    insight = json.loads((assets / "insight-mlp.json").read_text())  # the default: beside the weights
    assert insight["arch"] == "mlp" and insight["num_samples"] == 3 and insight["test_size"] == 200
    assert insight["ood"]["size"] == 200 and insight["convergence"]["num_images"] == 20
    assert insight["pruning"]["bayesian"]["accuracy"][0] == insight["accuracy"]["bayesian"]
    assert "mlp-bayesian pruning curve" in out and "pruning: Pruning 95 %" in out
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        f"insight-mlp-{name}.html" for name in ("convergence", "coverage", "ood", "pruning", "weights")
    ]


def test_train_writes_a_card_with_measured_metrics(tmp_path, capsys):
    argv = ["train", "--kind", "bayesian", "--hidden-units", "16", "--epochs", "1", "--validation-samples", "2"]
    argv += ["--evaluation-samples", "2", "--output-dir", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path)]
    argv += ["--posterior-init", "none"]  # a 16-unit network has no twin in the empty output folder

    assert main(argv) == 0

    card = json.loads((tmp_path / "out" / "mlp-bayesian.json").read_text())
    assert card["architecture"]["hidden_units"] == [16]
    assert card["metrics"]["num_samples"] == 2 and 0.5 < card["metrics"]["accuracy"] <= 1
    assert len(card["training"]["epoch_seconds"]) == 1
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--data-dir", "/nonexistent"], "/nonexistent"),
        (["predict", "x.png", "--num-samples", "0"], "num_samples"),
        (["evaluate", "--assets-dir", "/nonexistent"], "git checkout -- assets/"),
        (["ablate", "--output", "unused.json", "--only", "kl-7"], "unknown candidates"),
    ],
)
def test_errors_are_one_line_with_the_fix(argv, message, capsys, tmp_path):
    if argv[0] == "predict":
        (tmp_path / "x.png").write_bytes(png_bytes(drawn_digit(1)))
        argv = ["predict", str(tmp_path / "x.png"), *argv[2:]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err
