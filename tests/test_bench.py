"""The benchmark runs on a tiny setting and its report holds together. Its figures are not tested here."""

import json
import statistics
from pathlib import Path

import pytest

from bench import __main__ as bench
from bench import memory, predictive
from bnn import explore
from bnn.environment import environment

NUM_TRAIN = 55_000
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def committed() -> dict:
    """The committed full run, bench/results.json."""
    return json.loads((ROOT / "bench" / "results.json").read_text())


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    output = tmp_path_factory.mktemp("bench") / "bench.json"
    assert bench.main(["--quick", "--skip-app", "--only", "predictive,training", "--output", str(output)]) == 0
    return json.loads(output.read_text())


def test_the_report_records_the_run_and_the_machine(report):
    assert report["quick"] is True and "app" not in report and "memory" not in report
    machine = report["machine"]
    assert machine["cpus_usable"] >= 1 and machine["cpu_model"]
    versions = environment()["versions"]
    assert {key: machine[key] for key in versions} == versions  # as the model cards record them
    assert len(report["load_average_before"]) == len(report["load_average_after"]) == 3


def test_predictive_ratios_come_from_the_measured_medians(report):
    predictive = report["predictive"]
    mlp = predictive["models"]["mlp-bayesian"]
    assert [row["num_samples"] for row in mlp["latency"]] == [1, 10, 100, 1000]
    for row in mlp["latency"]:
        assert 0 < row["batched_ms"]["min"] <= row["batched_ms"]["p50"] <= row["batched_ms"]["p90"]
        for variant in ("compiled", "eager"):
            naive, speedup = row[f"naive_{variant}_ms"], row[f"speedup_vs_naive_{variant}"]
            if naive is None:
                assert speedup is None
            else:
                assert speedup == pytest.approx(naive["p50"] / row["batched_ms"]["p50"])
    assert mlp["latency"][0]["speedup_vs_naive_compiled"] is not None  # the quick run still measures T = 1
    targets = mlp["targets"]
    assert targets["t100_p50_ms"] == mlp["latency"][2]["batched_ms"]["p50"]
    assert targets["t100_p50_met"] == (targets["t100_p50_ms"] <= 15)
    throughput = mlp["throughput"]
    assert throughput["images_per_second"] == pytest.approx(throughput["images"] / throughput["seconds"]["p50"])
    assert mlp["traces"] == 1  # N = 1 and N = 50, T from 1 to 1000: one compiled graph
    conv = predictive["models"]["conv-bayesian"]
    assert "skipped" in conv or conv["traces"] == 1


def test_the_explorer_cost_is_measured_beside_one_result(report):
    """Structure only: what opening "What if?" costs, per phase, against one result's predictions."""
    variants = sum(len(steps) for steps in (explore.ROTATIONS, explore.SHIFTS, explore.THICKNESS, explore.BAR_ROWS))
    models = report["predictive"]["models"]
    measured = [model["explorer"] for model in models.values() if "total_ms" in model.get("explorer", {})]
    assert "total_ms" in models["mlp-bayesian"]["explorer"]  # both MLP networks are shipped
    for explorer in measured:
        assert explorer["num_samples"] == 100 and explorer["variants"] == variants and explorer["thumbnail_px"] == 56
        phases, total, result = explorer["phases_ms"], explorer["total_ms"], explorer["result_predictions_ms"]
        assert set(phases) == {"explore", "figure_json", "thumbnails"}
        for timing in (*phases.values(), total, result):
            assert 0 < timing["min"] <= timing["p50"] <= timing["p90"] and timing["repeats"] == 3  # quick
        assert explorer["ratio_to_result"] == pytest.approx(total["p50"] / result["p50"])
        assert explorer["budget_ms"] == 150 and explorer["budget_met"] == (total["p50"] <= 150)
    lines = predictive.table_lines(report["predictive"])
    assert sum("what if? opened (" in line for line in lines) == len(measured)
    assert sum("one result's predictions" in line for line in lines) == len(measured)


def test_the_explorer_line_says_why_it_was_skipped_and_older_runs_have_none(report):
    mlp = report["predictive"]["models"]["mlp-bayesian"]
    skipped = {**mlp, "explorer": {"skipped": "no deterministic twin shipped"}}
    older = {key: value for key, value in mlp.items() if key != "explorer"}  # bench/results.json before it was measured
    assert "    what if?: skipped no deterministic twin shipped" in predictive.table_lines(
        {**report["predictive"], "models": {"mlp-bayesian": skipped}}
    )
    lines = predictive.table_lines({**report["predictive"], "models": {"mlp-bayesian": older}})
    assert not any("what if?" in line for line in lines)


def test_training_speedup_is_the_ratio_of_measured_epoch_times(report):
    training = report["training"]
    fast, baseline = training["fast"], training["baseline"]
    timed_epoch = statistics.median(fast["timed_epochs_seconds"])
    assert fast["epoch_seconds"] == pytest.approx(timed_epoch * NUM_TRAIN / fast["images_per_timed_epoch"])
    assert baseline["batch_size"] == 1 and baseline["extrapolated"]
    assert baseline["epoch_seconds"] == pytest.approx(baseline["timed_seconds"] / baseline["timed_steps"] * NUM_TRAIN)
    assert training["speedup"] == pytest.approx(baseline["epoch_seconds"] / fast["epoch_seconds"])
    assert training["speedup_met"] == (training["speedup"] >= 20)
    for path in (fast, baseline, training["baseline_compiled"]):
        assert 0 <= path["validation_after"]["accuracy"] <= 1
    assert 0.9 < training["shipped_model_card"]["best_validation_accuracy"] <= 1


def test_the_table_shows_every_part_that_ran(report):
    text = bench.table(report)
    assert "T = 100" in text and "images/s" in text and "eager GradientTape, batch 1" in text


def test_a_missing_part_is_reported_not_fatal():
    assert "skipped" in bench.run_part("no_such_part", quick=True)


def test_a_skipped_or_failed_part_is_printed_under_its_title(committed):
    report = {
        **committed,
        "training": {"error": "ValueError: boom", "seconds": 1.25},
        "app": {"skipped": "no Chromium"},
    }
    text = bench.table(report)
    assert "\nTraining (seconds per 55,000-image epoch)\n  error: ValueError: boom\n  seconds: 1.25\n" in text
    assert text.endswith("\nApp (Streamlit in headless Chromium)\n  skipped: no Chromium")
    assert "Posterior predictive\n  one image: MNIST test set" in text  # the other parts as before


def test_memory_of_the_t1000_predictive_is_measured_in_a_fresh_process():
    result = memory.run(quick=True)
    assert result["num_samples"] == 1000 and result["batch_images"] == 10
    assert 0 < result["peak_before_mib"] <= result["peak_after_one_image_mib"] <= result["peak_after_batch_mib"]
    assert result["t1000_one_image_adds_mib"] == result["peak_after_one_image_mib"] - result["peak_before_mib"]


def test_readme_shows_the_committed_full_benchmark_run(committed):
    assert committed["quick"] is False and {"predictive", "training", "memory", "app"} <= set(committed)
    assert all("error" not in committed[part] and "skipped" not in committed[part] for part in bench.PARTS)
    assert bench.table(committed) in (ROOT / "README.md").read_text()
