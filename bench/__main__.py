"""Run the benchmarks, print one table and write JSON: ``python -m bench [--quick] [--output PATH]``.

Parts: predictive (latency against the naive loop, throughput), training (epoch time against a
batch-size-1 eager loop), memory (peak resident memory of the T = 1000 predictive) and app
(``bench/app.py``: cold start and input-to-charts time of the Streamlit page). Every figure is a
median or a ratio of medians measured in this run; the JSON records the machine it ran on.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import bnn  # noqa: F401  (sets TF_USE_LEGACY_KERAS before anything imports TensorFlow)

PARTS = ("predictive", "training", "memory", "app")
DEFAULT_OUTPUT = Path("reports/bench.json")


def machine() -> dict:
    """Cores, CPU model, load and library versions: what the figures depend on."""
    import numpy as np
    import tensorflow as tf
    import tensorflow_probability as tfp
    import tf_keras

    cpu_model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpus_total": os.cpu_count(),
        "cpu_model": cpu_model,
        "gpus": [device.name for device in tf.config.list_physical_devices("GPU")],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "tensorflow_probability": tfp.__version__,
        "tf_keras": tf_keras.__version__,
        "numpy": np.__version__,
        "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),  # 0: TensorFlow's choice
        "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def run_part(name: str, quick: bool) -> dict:
    """One part's result; a missing app benchmark or a failure is recorded, never fatal to the others."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"bench.{name}":
            raise
        return {"skipped": f"bench/{name}.py is not there (yet)"}
    start = time.perf_counter()
    try:
        result = module.run(quick=quick)
    except Exception as error:  # noqa: BLE001 -- report it and go on with the other parts
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}", "seconds": time.perf_counter() - start}
    return {**result, "seconds": time.perf_counter() - start}


def run(parts: list[str], quick: bool, note: str = "") -> dict:
    report = {
        "schema": 1,
        "quick": quick,
        "note": note,
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": machine(),
        "load_average_before": list(os.getloadavg()),
    }
    for name in parts:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        report[name] = run_part(name, quick)
    report["load_average_after"] = list(os.getloadavg())
    return report


def _ms(timing: dict | None, key: str = "p50") -> str:
    return "-" if timing is None else f"{timing[key]:.1f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}x"


def table(report: dict) -> str:
    """The report as plain text: one block per part."""
    machine_info = report["machine"]
    lines = [
        f"machine: {machine_info['cpus_usable']} cores usable ({machine_info['cpu_model']}), "
        f"Python {machine_info['python']}, TF {machine_info['tensorflow']}, TFP {machine_info['tensorflow_probability']}; "
        f"load average {report['load_average_before'][0]:.1f} before, {report['load_average_after'][0]:.1f} after"
        + (" [quick: tiny repeat counts, not for reporting]" if report["quick"] else ""),
    ]
    if report.get("note"):
        lines.append(f"note: {report['note']}")
    predictive = report.get("predictive")
    if predictive is not None:
        lines += ["", "Posterior predictive"]
        if "models" not in predictive:
            lines.append(f"  {predictive}")
        else:
            lines.append(
                f"  one image: {predictive['image']['source']} ({predictive['image']['nonzero_pixels']} ink pixels)"
            )
        for name, result in predictive.get("models", {}).items():
            if "latency" not in result:
                lines.append(f"  {name}: {result}")
                continue
            lines.append(
                f"  {name}, one image, ms       batched p50   p90   naive compiled p50   speed-up   naive eager p50   speed-up"
            )
            for row in result["latency"]:
                lines.append(
                    f"    T = {row['num_samples']:<5}                {_ms(row['batched_ms']):>9} {_ms(row['batched_ms'], 'p90'):>5}"
                    f" {_ms(row['naive_compiled_ms']):>20} {_times(row['speedup_vs_naive_compiled']):>10}"
                    f" {_ms(row['naive_eager_ms']):>17} {_times(row['speedup_vs_naive_eager']):>10}"
                )
            control = result["latency_t100_no_blank_pixels_ms"]
            lines.append(
                f"    T = 100, an image with no blank pixel: p50 {_ms(control)} ms, p90 {_ms(control, 'p90')} ms"
            )
            targets = result["targets"]
            lines.append(
                f"    target T = 100: p50 {targets['t100_p50_ms']:.1f} ms <= {targets['t100_p50_ms_max']:.0f} ms "
                f"{_verdict(targets['t100_p50_met'])}; "
                f"{_times(targets['t100_speedup_vs_naive_compiled'])} vs naive >= {targets['t100_speedup_min']:.0f}x "
                f"{_verdict(targets['t100_speedup_met'])}"
            )
            throughput = result["throughput"]
            if throughput:
                lines.append(
                    f"    throughput: {throughput['images']} test images at T = {throughput['num_samples']} in "
                    f"{throughput['seconds']['p50']:.2f} s = {throughput['images_per_second']:.0f} images/s"
                )
            lines.append(f"    traces of the compiled predictive after all calls: {result['traces']}")
    training = report.get("training")
    if training is not None:
        lines += ["", "Training (seconds per 55,000-image epoch)"]
        if "fast" not in training:
            lines.append(f"  {training}")
        else:
            fast, baseline = training["fast"], training["baseline"]
            lines.append(
                f"  Keras fit, batch {fast['batch_size']}: {fast['epoch_seconds']:.1f} s"
                f"{' (extrapolated)' if fast['extrapolated'] else ''}; validation accuracy "
                f"{fast['validation_after']['accuracy']:.4f} after {fast['validation_after']['epochs']} epochs"
            )
            lines.append(
                f"  eager GradientTape, batch 1: {baseline['epoch_seconds']:.0f} s (extrapolated from "
                f"{baseline['timed_steps']} steps, p50 {baseline['step_ms_p50']:.1f} ms/step); validation accuracy "
                f"{baseline['validation_after']['accuracy']:.4f} after {baseline['validation_after']['images_trained_on']} images"
            )
            if "fast_without_augmentation" in training:  # runs before augmented training have no such entry
                lines.append(
                    f"  the same without augmentation: {training['fast_without_augmentation']['epoch_seconds']:.1f} s; "
                    f"augmentation costs {training['augmentation_cost']:.2f}x"
                )
            compiled = training["baseline_compiled"]
            lines.append(
                f"  (same batch-1 step in tf.function: {compiled['epoch_seconds']:.0f} s, p50 "
                f"{compiled['step_ms_p50']:.1f} ms/step, {training['speedup_vs_baseline_compiled']:.0f}x slower than fit; "
                f"validation accuracy {compiled['validation_after']['accuracy']:.4f} after "
                f"{compiled['validation_after']['images_trained_on']} images)"
            )
            card = training["shipped_model_card"]
            lines.append(
                f"  speed-up {training['speedup']:.0f}x (target >= {training['speedup_min']:.0f}x: "
                f"{_verdict(training['speedup_met'])}); the shipped fast-path run reached validation "
                f"accuracy {card['best_validation_accuracy']:.4f} (epoch {card['best_epoch']})"
            )
    memory = report.get("memory")
    if memory is not None:
        lines += ["", "Memory (peak resident, fresh process)"]
        if "peak_before_mib" not in memory:
            lines.append(f"  {memory}")
        else:
            lines.append(
                f"  after loading and tracing: {memory['peak_before_mib']:.0f} MiB; T = {memory['num_samples']}, "
                f"one image: {memory['peak_after_one_image_mib']:.0f} MiB (+{memory['t1000_one_image_adds_mib']:.0f}); "
                f"{memory['batch_images']} images: {memory['peak_after_batch_mib']:.0f} MiB (+{memory['t1000_batch_adds_mib']:.0f})"
            )
    app = report.get("app")
    if app is not None:
        lines += ["", "App (Streamlit in headless Chromium)"]
        lines += (
            _app_lines(app) if "cold_start_s" in app else [f"  {key}: {_plain(value)}" for key, value in app.items()]
        )
    return "\n".join(lines)


def _app_lines(app: dict) -> list[str]:
    cold, stroke, phases = app["cold_start_s"], app["stroke_to_charts_ms"], app["stroke_phases_p50_ms"]
    cold_line = (
        f"  cold start to first page: {cold['median']:.1f} s median of {cold['starts']} "
        f"({cold['min']:.1f}-{cold['max']:.1f} s; server healthy after {cold['of_which_server_healthy']:.1f} s); "
        f"server RSS then {app['server_rss_after_first_page_mib']:.0f} MiB"
    )
    stroke_line = (
        f"  stroke to charts, {stroke['count']} strokes: p50 {stroke['p50']:.0f} ms, p90 {stroke['p90']:.0f} ms "
        f"(target p50 < {app['target_p50_ms']:.0f} ms: {_verdict(app['target_met'])}); "
        f"read right {app['strokes_read_right']}"
    )
    phases_line = (
        f"    p50 parts: mouse-up to run start {phases['to_run_start']:.0f} ms (200 ms is the canvas's send delay), "
        f"run {phases['run']:.0f} ms, run end to charts {phases['run_end_to_charts']:.0f} ms; "
        f"first stroke on a page {app['first_stroke_on_a_page_ms']:.0f} ms"
    )
    lines = [
        cold_line,
        stroke_line,
        phases_line,
        "  pages drawing at once   p50 ms   p90 ms   max ms   read right   server peak RSS MiB",
    ]
    for name, level in app["load"].items():
        lines.append(
            f"    {name.split('_')[0]:>3} sessions        {level['p50_ms']:>6.0f}   {level['p90_ms']:>6.0f}   "
            f"{level['max_ms']:>6.0f}   {level['read_right']:>4}/{level['answers']:<4}   {level['peak_rss_mib']:>10.0f}"
        )
    return lines


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "NOT met")


def _plain(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_plain(item)}" for key, item in value.items())
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny repeat counts: checks that it runs, not for reporting"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON report (default {DEFAULT_OUTPUT})")
    parser.add_argument("--skip-app", action="store_true", help="leave out the app benchmark")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts, of {','.join(PARTS)}")
    parser.add_argument("--note", default="", help="free text stored in the report, e.g. what else ran on the machine")
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if args.skip_app:
        parts = [part for part in parts if part != "app"]
    report = run(parts, args.quick, args.note)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nwritten: {args.output}")
    return 1 if any(isinstance(report[part], dict) and "error" in report[part] for part in parts) else 0


if __name__ == "__main__":
    sys.exit(main())
