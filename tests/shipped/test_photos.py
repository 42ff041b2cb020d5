"""Uploads as people make them (bnn.corpora.photos): tight crops, uneven light, shadows, ruled and squared paper, pens.

Generated from MNIST test digits (the pipeline's settings were chosen on validation digits, never on these) and
read with the shipped MLPs exactly as the Upload tab reads a file (`bnn.evaluation.report.photo_report`, also
`python -m bnn photos`). Per condition: no digit refused as blank, accuracy within a point of the same digits on
plain, evenly lit paper, and every empty page refused as blank. Per crop (a digit cropped to its ink): within two
points of its twin with a margin of paper, refused only when it is one solid level. The corpus without the networks:
tests/unit/test_photo_corpus.py.
"""

from __future__ import annotations

import json

import pytest

import bnn
from bnn.config import ASSETS_DIR, KINDS
from bnn.corpora.photos import CONDITIONS, CROPS
from bnn.data import Dataset
from bnn.evaluation.photos import photo_report

REPORT = ASSETS_DIR / "photos.json"  # python -m bnn photos --output
NUM_DIGITS, NUM_BLANKS, NUM_SAMPLES, SEED = 300, 30, 30, 0  # python -m bnn photos's defaults: docs/results/photos.md
MAX_ACCURACY_LOSS = 0.01  # one point below plain paper
MAX_CROP_LOSS = 0.02  # a crop: two points below its twin with a margin of paper
MAX_INPUT_DIFFERENCE = 0.025  # mean absolute difference of a crop's and its twin's network inputs: the bilinear
#                               enlargement's and the photo's blur at the cut edges, not a lost stroke (~0.2)
NETWORKS = [f"mlp-{kind}" for kind in KINDS]


@pytest.fixture(scope="module")
def report(mnist) -> dict:
    digits = Dataset(mnist.test.images[:NUM_DIGITS], mnist.test.labels[:NUM_DIGITS])
    models = {f"mlp-{kind}": bnn.load_model(kind, "mlp") for kind in KINDS}
    return photo_report(models, digits, NUM_SAMPLES, SEED, NUM_BLANKS)


# Measured misses of the one-point bar (docs/results/photos.md); strict, so meeting it shows up.
MISSES = {
    ("tight, light on dark, bilinear x5", "mlp-deterministic"): "1.7 points below plain paper",
    ("hard shadow edge", "mlp-bayesian"): "1.3 points below plain paper",
}
CASES = [
    pytest.param(condition, name, marks=[pytest.mark.xfail(strict=True, reason=MISSES[condition, name])])
    if (condition, name) in MISSES
    else (condition, name)
    for condition in CONDITIONS
    if condition != "plain"
    for name in NETWORKS
]
# Measured misses of the two-point bar of crops: a thin binary digit whose strokes the thresholding broke can be
# taken the other way round (docs/results/photos.md); strict, so meeting it shows up.
CROP_MISSES = {
    ("binary 16 px, normal, light on dark, nearest x2", "mlp-bayesian"): "2.3 points below its twin",
    ("binary 16 px, normal, light on dark, nearest x2", "mlp-deterministic"): "2.7 points below its twin",
    ("binary 16 px, normal, dark on light, nearest x2", "mlp-bayesian"): "2.3 points below its twin",
    ("binary 16 px, normal, dark on light, nearest x2", "mlp-deterministic"): "2.7 points below its twin",
}
CROP_CASES = [
    pytest.param(crop, name, marks=[pytest.mark.xfail(strict=True, reason=CROP_MISSES[crop, name])])
    if (crop, name) in CROP_MISSES
    else (crop, name)
    for crop in CROPS
    for name in NETWORKS
]


@pytest.mark.slow
@pytest.mark.parametrize("condition", [name for name in CONDITIONS if name != "plain"])
def test_no_digit_is_refused(report, condition):
    assert report["conditions"][condition]["refused"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("condition, network", CASES)
def test_uploads_are_read_within_a_point_of_plain_paper(report, condition, network):
    def right(name: str) -> int:  # digits read right: whole numbers, so the bar is exact
        return round(report["conditions"][name]["accuracy"][network] * report["num_images"])

    assert right("plain") - right(condition) <= MAX_ACCURACY_LOSS * report["num_images"]


@pytest.mark.slow
def test_every_empty_page_is_blank_and_plain_paper_is_read_well(report):
    plain = report["conditions"]["plain"]
    assert plain["refused"] == 0 and min(plain["accuracy"].values()) >= 0.97
    assert all(row["blanks_refused"] == NUM_BLANKS for row in report["conditions"].values())


@pytest.mark.slow
def test_the_committed_report_is_this_measurement(report):
    assert json.loads(REPORT.read_text()) == report


@pytest.mark.slow
@pytest.mark.parametrize("crop", list(CROPS))
def test_a_crop_is_never_refused_unless_it_is_one_solid_level(report, crop):
    row = report["crops"][crop]
    assert row["refused"] == row["one_level"] and row["margin_refused"] == 0
    assert row["blanks_refused"] == NUM_BLANKS


@pytest.mark.slow
@pytest.mark.parametrize("crop, network", CROP_CASES)
def test_a_crop_is_read_within_two_points_of_its_twin_with_a_margin(report, crop, network):
    row = report["crops"][crop]
    right, twin_right = (round(row[key][network] * report["num_images"]) for key in ("accuracy", "margin_accuracy"))
    assert twin_right - right <= MAX_CROP_LOSS * report["num_images"]


@pytest.mark.slow
@pytest.mark.parametrize("crop", list(CROPS))
def test_a_crop_gives_the_network_nearly_the_input_of_its_twin(report, crop):
    assert report["crops"][crop]["mean_abs_difference"] < MAX_INPUT_DIFFERENCE
