"""``python -m bnn train | evaluate | insight | predict`` end to end, in process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.digits import drawn_digit, font_digit, png_bytes
from PIL import Image

from bnn import config
from bnn.cli import main
from bnn.config import ASSETS_DIR
from bnn.evaluation import report as evaluate
from bnn.model.weights import shipped_kinds
from bnn.reading.verdict import TABLE_COLUMNS


@pytest.fixture
def digit_files(tmp_path):
    """A folder of two readable digits, a broken file, a blank page and a file that is not an image."""
    folder = tmp_path / "digits"
    folder.mkdir()
    (folder / "a-seven.png").write_bytes(png_bytes(drawn_digit(7)))
    (folder / "d-three.png").write_bytes(png_bytes(font_digit(3)))
    (folder / "b-broken.png").write_bytes(b"this is not a picture")
    Image.new("L", (64, 64), 255).save(folder / "c-blank.png")
    (folder / "notes.txt").write_text("not an image: skipped in a folder")
    return folder


def test_predict_prints_a_table_and_survives_a_bad_file(digit_files, capsys):
    status = main(["predict", str(digit_files), "--num-samples", "20", "--seed", "0"])

    header, *lines = capsys.readouterr().out.splitlines()
    assert status == 1  # some files could not be used
    starts = [header.index(column) for column in TABLE_COLUMNS]  # each column's cells start under its name
    rows = {
        Path(line[: starts[1]].strip()).name: {
            column: line[start:end].strip()
            for column, start, end in zip(TABLE_COLUMNS, starts, [*starts[1:], None], strict=True)
        }
        for line in lines
    }
    assert list(rows) == ["a-seven.png", "b-broken.png", "c-blank.png", "d-three.png"]  # sorted; notes.txt skipped
    for name, digit in (("a-seven.png", 7), ("d-three.png", 3)):
        assert rows[name]["digit"] == rows[name]["Deterministic"] == str(digit) and not rows[name]["problem"]
        assert 0 < float(rows[name]["probability"]) <= 1 and rows[name]["uncertainty"]
    assert "blank" in rows["c-blank.png"]["problem"].lower() and rows["b-broken.png"]["problem"]  # each says why
    assert rows["b-broken.png"]["digit"] == ""


def test_predict_json_gives_one_object_per_file_and_the_errors(digit_files, capsys):
    files = [str(digit_files / name) for name in ("a-seven.png", "b-broken.png", "d-three.png")]

    status = main(["predict", *files, "--json", "--num-samples", "20", "--seed", "0"])

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1 and [record["file"] for record in records] == files
    seven, broken, three = records
    assert seven["digit"] == 7 and three["digit"] == 3 and seven["deterministic_digit"] == 7
    assert seven["method"] == "bayesian"
    assert seven["num_samples"] == 20 and 0 < seven["votes"] <= 20 and 0 < seven["probability"] <= 1
    total = seven["expected_entropy"] + seven["mutual_information"]
    assert seven["predictive_entropy"] == pytest.approx(total, abs=1e-5)
    assert isinstance(seven["not_sure"], bool) and "error" not in seven
    assert set(broken) == {"file", "error"} and broken["error"]

    assert main(["predict", files[0], files[2], "--json", "--num-samples", "5"]) == 0  # every file read
    capsys.readouterr()
    if "mc-dropout" in shipped_kinds("mlp"):
        assert main(["predict", files[0], "--json", "--method", "mc-dropout", "--num-samples", "5"]) == 0
        record = json.loads(capsys.readouterr().out)
        assert record["method"] == "mc-dropout" and record["num_samples"] == 5 and record["digit"] == 7


def test_predict_shows_a_progress_bar_on_stderr_for_many_files(tmp_path, capsys):
    for index in range(config.PROGRESS_MIN_FILES):
        (tmp_path / f"{index}.png").write_bytes(png_bytes(drawn_digit(1)))

    assert main(["predict", str(tmp_path), "--json", "--num-samples", "5"]) == 0

    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == config.PROGRESS_MIN_FILES  # stdout holds only the answers
    total = config.PROGRESS_MIN_FILES
    assert f"] {total}/{total} files" in captured.err and "] 0/" in captured.err and captured.err.endswith("\n")
    main(["predict", str(tmp_path / "0.png"), "--num-samples", "5"])
    assert capsys.readouterr().err == ""  # one file: no bar


def test_predict_says_when_a_folder_holds_no_images(tmp_path, capsys):
    assert main(["predict", str(tmp_path), "--json"]) == 1
    assert "no image files" in json.loads(capsys.readouterr().out)["error"]


@pytest.mark.slow
def test_evaluate_writes_report_and_figures(tmp_path, capsys, monkeypatch, mnist, round_trips):
    report_path, figures = tmp_path / "report.json", tmp_path / "figures"

    def preprocessed(images, size):  # the round-trip tests' digits (conftest.py), not preprocessed a second time
        assert np.array_equal(images, mnist.test.images)
        return round_trips[size]

    monkeypatch.setattr(evaluate, "round_trip_inputs", preprocessed)

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


@pytest.mark.slow
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


def test_predict_number_reads_each_digit_and_the_sampled_readings(tmp_path, capsys):
    import numpy as np

    from bnn.corpora.numbers import canvas, number_ink
    from bnn.data import load_mnist

    digits = load_mnist().test.images[:3]  # 7, 2, 1
    path = tmp_path / "number.png"
    Image.fromarray(canvas(number_ink(digits, np.array([10, 10]), 4, np.random.default_rng(0)))).save(path)
    blank = tmp_path / "blank.png"
    Image.new("L", (300, 100)).save(blank)
    assert main(["predict", "--number", str(path), str(blank), "--json", "--num-samples", "20", "--seed", "0"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0]["reading"] == "721" and records[0]["deterministic_reading"] == "721"
    assert len(records[0]["digits"]) == 3 and sum(item["count"] for item in records[0]["sampled_readings"]) == 20
    assert "blank" in records[1]["error"]
    assert main(["predict", "--number", str(path), "--num-samples", "20", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "721 with probability" in out and "of 20 sampled networks read" in out
