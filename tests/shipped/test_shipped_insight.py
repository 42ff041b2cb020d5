"""The committed "Inside the model" JSON (assets/insight-*.json): every section, readings, and every tab figure."""

from __future__ import annotations

import json

import pytest

from bnn import figures
from bnn.config import ASSETS_DIR, network_name
from bnn.evaluation import insight
from bnn.figures import captions
from bnn.model.weights import shipped_kinds


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_the_shipped_insight_has_every_section_and_readings(arch):
    data = insight.read_insight(ASSETS_DIR, arch)
    assert data is not None, f"assets/insight-{arch}.json is missing: run python -m bnn insight --arch {arch}"
    assert {"coverage", "ood", "weights", "pruning", "convergence", "thresholds", "accuracy"} <= set(data)
    assert data["pruning"]["bayesian"]["fractions"][0] == 0.0
    assert data["pruning"]["bayesian"]["accuracy"][0] == data["accuracy"]["bayesian"]  # same T, seed and images
    assert data["coverage"]["curves"][0]["accuracy"][-1] == pytest.approx(data["accuracy"]["bayesian"])
    report = json.loads((ASSETS_DIR / ("report.json" if arch == "mlp" else "report-conv.json")).read_text())
    if report["num_samples"] == data["num_samples"] and report["seed"] == data["seed"]:
        bayesian = report["models"]["bayesian"]
        assert data["accuracy"]["bayesian"] == bayesian["accuracy"]
        assert data["ood"]["auroc"]["bayesian"]["ood_auroc_mutual_information"] == pytest.approx(
            bayesian["ood_auroc_mutual_information"], abs=1e-6
        )
    assert all(isinstance(line, str) and line for line in captions.chart_captions(arch, data, report).values())
    assert (ASSETS_DIR / f"insight-{arch}.json").stat().st_size < 300_000


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_every_tab_figure_builds_from_the_shipped_insight(arch):
    shipped = insight.read_insight(ASSETS_DIR, arch)
    assert shipped is not None, f"assets/insight-{arch}.json is missing: run python -m bnn insight --arch {arch}"
    for figure in (
        figures.coverage_figure(shipped),
        figures.ood_histogram_figure(shipped),
        figures.weight_posterior_figure(shipped["weights"]),
        figures.pruning_figure(shipped),
        figures.convergence_figure(shipped),
    ):
        assert figure.layout.title.text and figure.to_json()
    shift = json.loads((ASSETS_DIR / "shift.json").read_text())
    rotation = figures.rotation_figure(shift, arch=arch)
    assert {trace.name for trace in rotation.data} == {network_name(arch, kind) for kind in shipped_kinds(arch)}
