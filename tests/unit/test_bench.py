"""The benchmark runs on a tiny setting and its report holds together. Its figures are not tested here."""

import ast
import json
import statistics

import pytest
from helpers import ROOT

from bench import __main__ as bench
from bench import app as app_bench
from bench import memory, predictive
from bench.browser import Result
from bench.stats import percentiles
from bnn.config import Config
from bnn.model import weights as assets
from bnn.model.environment import environment
from bnn.reading import whatif as explore

NUM_TRAIN = 55_000


@pytest.fixture(scope="module")
def committed() -> dict:
    """The committed full run, bench/results.json."""
    return json.loads((ROOT / "bench" / "results.json").read_text())


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A quick `python -m bench` run; it trains and times networks, so its tests are marked slow."""
    output = tmp_path_factory.mktemp("bench") / "bench.json"
    assert bench.main(["--quick", "--skip-app", "--only", "predictive,training", "--output", str(output)]) == 0
    return json.loads(output.read_text())


@pytest.mark.slow
def test_the_report_records_the_run_and_the_machine(report):
    assert report["quick"] is True and "app" not in report and "memory" not in report
    machine = report["machine"]
    assert machine["cpus_usable"] >= 1 and machine["cpu_model"]
    versions = environment()["versions"]
    assert {key: machine[key] for key in versions} == versions  # as the model cards record them
    assert len(report["load_average_before"]) == len(report["load_average_after"]) == 3


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_every_shipped_method_is_timed_on_one_image_in_the_same_run(report):
    methods = report["predictive"]["methods"]
    assert set(methods) == {arch for arch in ("mlp", "conv") if assets.shipped_kinds(arch)}
    for arch, timings in methods.items():
        assert list(timings) == list(assets.shipped_kinds(arch))
        for kind, timing in timings.items():
            assert 0 < timing["min"] <= timing["p50"] <= timing["p90"] and timing["repeats"] == 3  # quick
            assert timing["num_samples"] == {"deterministic": 1, "ensemble": Config().ensemble_size}.get(kind, 100)
    lines = predictive.table_lines(report["predictive"])
    assert sum("one image at T = 100 by method" in line for line in lines) == len(methods)


@pytest.mark.slow
def test_the_explorer_line_says_why_it_was_skipped_and_older_runs_have_none(report):
    mlp = report["predictive"]["models"]["mlp-bayesian"]
    skipped = {**mlp, "explorer": {"skipped": "no deterministic twin shipped"}}
    older = {key: value for key, value in mlp.items() if key != "explorer"}  # bench/results.json before it was measured
    assert "    what if?: skipped no deterministic twin shipped" in predictive.table_lines(
        {**report["predictive"], "models": {"mlp-bayesian": skipped}}
    )
    lines = predictive.table_lines({**report["predictive"], "models": {"mlp-bayesian": older}})
    assert not any("what if?" in line for line in lines)


@pytest.mark.slow
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


@pytest.mark.slow
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
    assert "\nApp (Streamlit in headless Chromium)\n  skipped: no Chromium\n\nLoad (WebSocket sessions" in text
    assert "Posterior predictive\n  one image: MNIST test set" in text  # the other parts as before


@pytest.mark.slow  # a fresh Python process predicting at T = 1000
def test_memory_of_the_t1000_predictive_is_measured_in_a_fresh_process():
    result = memory.run(quick=True)
    assert result["num_samples"] == 1000 and result["batch_images"] == 10
    assert 0 < result["peak_before_mib"] <= result["peak_after_one_image_mib"] <= result["peak_after_batch_mib"]
    assert result["t1000_one_image_adds_mib"] == result["peak_after_one_image_mib"] - result["peak_before_mib"]


# --- the app against the floor page (structure only, on made-up answers) ---------------------------------------


def _answer(verdict_ms: float, charts_ms: float, verdict: str = "Bayesian: 1") -> Result:
    """An answer as `bench.browser` reads it: sent at 210 ms, the run from 220 ms to ``verdict_ms``."""
    return Result(
        suffix="draw",
        text=verdict,
        verdict=verdict,
        charts=4 if charts_ms > verdict_ms else 0,
        alerts=[],
        milliseconds=charts_ms,
        to_run_ms=220.0,
        run_ms=verdict_ms - 220.0,
        render_ms=charts_ms - verdict_ms,
        verdict_ms=verdict_ms,
        to_send_ms=210.0,
    )


@pytest.fixture(scope="module")
def floor_comparison() -> dict:
    floor = [_answer(ms, ms + 5, "Stroke 1 received: 5,000 bytes of PNG") for ms in (280.0, 290.0, 300.0, 310.0)]
    app = [_answer(verdict_ms, charts_ms) for verdict_ms, charts_ms in ((320, 420), (330, 430), (340, 460), (400, 480))]
    at_once = {"floor": [_answer(ms, ms + 5) for ms in (500.0, 600.0)], "app": [_answer(700, 800), _answer(800, 880)]}
    result = app_bench.floor_comparison({"floor": floor, "app": app}, at_once, pages_at_once=2)
    return {**result, "block": 5, "load_average_before": [2.0, 2.0, 2.0], "load_average_after": [2.5, 2.0, 2.0]}


def test_the_app_is_compared_with_the_floor_page_by_the_issues_ratios(floor_comparison):
    comparison = floor_comparison
    assert comparison["script"] == "bench/floor_app.py" and (ROOT / comparison["script"]).is_file()
    assert comparison["strokes"] == 4 and comparison["pages_at_once"] == 2
    for times in (comparison["one_page_ms"], comparison["at_once_ms"]):
        assert set(times) == {"floor_text", "app_verdict", "app_charts"}
        assert all(times[series]["p50"] <= times[series]["p90"] for series in times)
    one_page, at_once = comparison["one_page_ms"], comparison["at_once_ms"]
    assert one_page["floor_text"]["p50"] == 295 and one_page["app_verdict"]["p50"] == 335  # the verdict_ms
    assert one_page["app_charts"]["p50"] == 445  # the milliseconds: every chart drawn
    expected = {
        "verdict_p50": (one_page["app_verdict"]["p50"], one_page["floor_text"]["p50"], 1.15),
        "verdict_p90": (one_page["app_verdict"]["p90"], one_page["floor_text"]["p90"], 1.15),
        "charts_p50": (one_page["app_charts"]["p50"], one_page["floor_text"]["p50"], 1.4),
        "charts_at_once_p50": (at_once["app_charts"]["p50"], at_once["floor_text"]["p50"], 1.6),
    }
    assert set(comparison["vs_floor"]) == set(expected)
    for name, (app_ms, floor_ms, target) in expected.items():
        row = comparison["vs_floor"][name]
        assert (row["app_ms"], row["floor_ms"], row["target"]) == (app_ms, floor_ms, target), name
        assert row["ratio"] == pytest.approx(app_ms / floor_ms) and row["met"] == (row["ratio"] <= target), name
    assert [comparison["vs_floor"][name]["met"] for name in expected] == [True, False, False, True]
    parts = comparison["parts_p50_ms"]
    assert parts["floor"]["to_send"] == 210 and parts["app"]["run_start_to_verdict"] == 335 - 220
    assert set(parts["floor"]) == {"to_send", "to_run_start", "run_start_to_verdict", "run", "run_end_to_settled"}


def test_the_floor_comparison_is_in_the_app_table_and_older_runs_have_none(committed, floor_comparison):
    before_the_floor = {key: value for key, value in committed["app"].items() if key != "floor"}  # older runs
    older = app_bench.table_lines(before_the_floor)
    assert not any("floor" in line for line in older)  # a run from before the floor page prints as it did
    lines = app_bench.table_lines({**before_the_floor, "floor": floor_comparison})
    assert [line for line in lines if line in older] == older
    added = "\n".join(line for line in lines if line not in older)
    assert lines.index(older[2]) < lines.index(lines[3]) < lines.index(older[3])  # after stroke to charts, before load
    assert "bench/floor_app.py" in added and "alternating blocks of 5" in added and "2.0 before, 2.5 after" in added
    assert "verdict shown, p50" in added and "charts drawn, p50, 2 pages at once" in added
    assert added.count("NOT met") == 2 and added.count("  met") == 2
    assert "(the canvas's send delay: 71% of the floor's text shown)" in added  # 210 of 295 ms


def test_an_answer_without_a_seen_verdict_stops_the_comparison():
    unseen = _answer(float("nan"), 400.0)
    floor = [_answer(300.0, 305.0)]
    with pytest.raises(AssertionError, match="verdict was not seen"):
        app_bench.floor_comparison({"floor": floor, "app": [unseen]}, {"floor": floor, "app": [unseen]}, 1)


def test_the_floor_page_imports_no_model():
    """No TensorFlow and nothing of bnn but its config: a floor with a model in it would not be a floor."""
    tree = ast.parse((ROOT / "bench" / "floor_app.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert {"streamlit", "streamlit_drawable_canvas.st_canvas", "bnn.config"} <= imported
    model = {name for name in imported if name.startswith(("tensorflow", "tf_keras", "bnn")) and name != "bnn.config"}
    assert model == set(), model


def test_one_percentile_helper_serves_every_part():
    assert percentiles([1.0, 2.0, 3.0, 4.0]) == {"p50": 2.5, "p90": 3.7, "min": 1.0, "max": 4.0, "count": 4}
    assert percentiles([], (50, 95)) == {"p50": None, "p95": None, "min": None, "max": None, "count": 0}
    assert predictive.summary_ms([0.001, 0.003])["repeats"] == 2  # milliseconds, and the committed key


@pytest.mark.slow
def test_preprocessing_is_timed_on_a_phone_photo_and_a_canvas_against_the_targets():
    from bench import preprocess as preprocess_bench

    result = preprocess_bench.run(quick=True)
    assert result["repeats"] == 3 and result["phone_jpeg_bytes"] > 100_000
    for name, target in preprocess_bench.TARGETS_MS.items():
        timing = result[f"{name}_ms"]
        assert timing["count"] == 3 and 0 < timing["min"] <= timing["p50"] <= timing["max"]
        assert result["targets_met"][name] == (timing["p50"] <= target)
    assert result["photo_to_canvas_ratio"] == result["phone_jpeg_4000x3000_ms"]["p50"] / result["canvas_280_ms"]["p50"]
    lines = preprocess_bench.table_lines(result)
    assert "4000 x 3000 phone JPEG" in lines[0] and "280 x 280 canvas" in lines[1] and "load average" in lines[2]
