"""The shift benchmark: every corruption is read as a digit, blanks count as wrong, ``python -m bnn shift`` reports
every network."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bnn.cli import main
from bnn.config import network_name
from bnn.evaluation import corruptions, shift
from bnn.figures import tables
from bnn.model.weights import shipped_architectures, shipped_kinds

ROW_KEYS = {"corruption", "severity", "network", "accuracy", "nll", "brier", "ece", "mean_entropy"}
ROW_KEYS |= {"mean_mutual_information", "blank_images"}  # the keys every row of a shift report holds


@pytest.fixture(scope="module")
def canvases(mnist):
    """(4, 160, 160) upsampled MNIST test digits."""
    return corruptions.upsample(mnist.test.images[:4])


def test_preprocessing_reads_every_corruption_as_a_digit(canvases):
    for corruption in corruptions.CORRUPTIONS:
        inputs, blank = shift.corrupted_inputs(canvases, corruption, seed=0)
        assert inputs.shape == (len(canvases), 28, 28) and not blank.any(), corruption.key
        assert np.all(inputs.max(axis=(1, 2)) > 0.9)


def test_a_blank_image_is_counted_wrong_with_a_uniform_prediction():
    from bnn.model.predict import Prediction

    class AlwaysZero:  # a network that answers 0 with certainty: right for label 0, unless the image is blank
        name, kind = "stub-bayesian", "bayesian"

        def predict(self, images, num_samples, seed):
            samples = np.zeros((num_samples, len(images), 10), np.float32)
            samples[..., 0] = 1
            return Prediction(samples)

    canvases = np.zeros((3, corruptions.PADDED_SIZE, corruptions.PADDED_SIZE), np.float32)
    canvases[1, 40:120, 70:90] = 1.0
    inputs, blank = shift.corrupted_inputs(canvases, corruptions.CORRUPTIONS[0], seed=0)
    assert blank.tolist() == [True, False, True] and not inputs[blank].any()

    metrics = shift.shift_metrics(AlwaysZero(), inputs, blank, np.zeros(3, np.int64), num_samples=4, seed=0)

    assert metrics["accuracy"] == pytest.approx(1 / 3) and metrics["blank_images"] == 2
    assert metrics["mean_entropy"] == pytest.approx(2 / 3 * np.log(10))  # the uniform guesses carry all of it
    assert metrics["nll"] == pytest.approx(2 / 3 * np.log(10), rel=1e-5)


@pytest.mark.slow  # every shipped network on every corruption
def test_the_shift_command_reports_every_family_and_network(tmp_path, capsys):
    output, figure = tmp_path / "shift" / "report.json", tmp_path / "figures" / "rotation.html"
    arguments = ["--num-images", "20", "--num-samples", "5", "--seed", "3", "--figure", str(figure)]

    assert main(["shift", "--output", str(output), *arguments]) == 0
    assert "plotly" in figure.read_text()[:100_000].lower()

    report = json.loads(output.read_text())
    networks = [network_name(arch, kind) for arch in shipped_architectures() for kind in shipped_kinds(arch)]
    assert report["networks"] == networks and "mlp-bayesian" in networks
    assert (report["num_images"], report["num_samples"], report["seed"]) == (20, 5, 3)
    assert report["resolution"] == corruptions.RESOLUTION
    assert set(report["families"]) == set(corruptions.FAMILIES)
    assert report["families"]["rotation"]["severities"][0] == {"severity": -90, "parameters": {"degrees": -90}}
    assert len(report["rows"]) == len(corruptions.CORRUPTIONS) * len(networks)
    for row in report["rows"]:
        assert ROW_KEYS <= set(row)
        assert 0 <= row["accuracy"] <= 1 and row["nll"] >= 0 and row["mean_entropy"] >= 0
        if row["network"].endswith("deterministic"):
            assert row["mean_mutual_information"] == 0.0
    clean = [row for row in report["rows"] if row["corruption"] == "clean"]
    assert all(row["accuracy"] >= 0.9 for row in clean)
    out = capsys.readouterr().out
    assert f"rotation: 12 x 20 images x {len(networks)} networks done in" in out and f"wrote {output}" in out
    table = tables.format_shift_table(report)
    assert table in out
    assert table.count("\n") == 1 + len(corruptions.CORRUPTIONS)  # header, rule, one line per corruption
    assert "| rotation | -90 |" in table and "acc. mlp-bayesian" in table and "NLL mlp B / D" in table


def test_the_shift_command_refuses_an_impossible_subset(tmp_path, capsys):
    assert main(["shift", "--output", str(tmp_path / "r.json"), "--num-images", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "num_images" in err
