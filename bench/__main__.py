"""Run the benchmarks, print one table and write JSON: ``python -m bench [--quick] [--output PATH]``.

Parts: predictive (latency against the naive loop, throughput), preprocess (a phone photo and a canvas
drawing through preprocess_image), training (epoch time against a
batch-size-1 eager loop), memory (peak resident memory of the T = 1000 predictive), app
(``bench/app.py``: cold start and input-to-charts time of the Streamlit page) and load (``bench/load.py``:
answered strokes per second, latency, server CPU and memory with 1 to 64 sessions on the app's WebSocket,
directly and through nginx), number (``bench/number.py``: server time of reading a 4-digit number) and teach
(``bench/teach.py``: one correction's time, and drawing sessions beside a teaching one over the WebSocket). Every
figure is a median or a ratio of medians measured in this run, or a count over it; the JSON records the machine it
ran on.

Each part is a module ``bench/<part>.py`` with ``run(quick) -> dict`` (its JSON entry), ``TITLE`` and
``table_lines(result) -> list[str]`` (its block of the printed table). A part that was skipped or failed
is recorded and printed here, the same way for every part.
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

from bench.text import plain
from bnn.model.environment import environment  # importing bnn sets TF_USE_LEGACY_KERAS before TensorFlow loads

PARTS = ("predictive", "preprocess", "training", "memory", "app", "load", "number", "teach")
DEFAULT_OUTPUT = Path("reports/bench.json")


def machine() -> dict:
    """Cores, CPU model, GPUs, TensorFlow's threads and library versions: what the figures depend on.

    The versions, usable cores and platform are ``bnn.model.environment``'s, as the model cards record them.
    """
    import tensorflow as tf

    found = environment()
    return {
        "cpus_usable": found["cpus"],
        "cpus_total": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "gpus": [device.name for device in tf.config.list_physical_devices("GPU")],
        "platform": found["platform"],
        **found["versions"],
        "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),  # 0: TensorFlow's choice
        "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform.processor()`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


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


def table(report: dict) -> str:
    """The report as plain text: the machine, then one block per part (each part's ``table_lines``)."""
    machine_info = report["machine"]
    lines = [
        f"machine: {machine_info['cpus_usable']} cores usable ({machine_info['cpu_model']}), "
        f"Python {machine_info['python']}, TF {machine_info['tensorflow']}, TFP {machine_info['tensorflow_probability']}; "
        f"load average {report['load_average_before'][0]:.1f} before, {report['load_average_after'][0]:.1f} after"
        + (" [quick: tiny repeat counts, not for reporting]" if report["quick"] else ""),
    ]
    if report.get("note"):
        lines.append(f"note: {report['note']}")
    for name in PARTS:
        if report.get(name) is not None:
            lines += ["", *part_lines(name, report[name])]
    return "\n".join(lines)


def part_lines(name: str, result: dict) -> list[str]:
    """One part's block: its title, then its figures, or every entry of a part that was skipped or failed."""
    part = importlib.import_module(f"bench.{name}")
    if "skipped" in result or "error" in result:
        return [part.TITLE, *(f"  {key}: {plain(value)}" for key, value in result.items())]
    lines = [part.TITLE, *part.table_lines(result)]
    if "measured_separately" in result:  # a part rerun after the full run, in its own run: said as such
        lines.append(f"  measured separately: {result['measured_separately']}")
    return lines


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
