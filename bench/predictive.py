"""Posterior predictive speed: one-image latency against the naive loop, test-set throughput, retracing.

The batched predictive (``DigitModel.predict``: all T weight samples in one compiled call) is timed
against the tutorial baseline of T separate forward passes with freshly sampled weights
(``bnn.model.predict.sample_naively``), both as one ``tf.function`` call per sample and as the plain eager
``network(x)`` loop. Each figure is a median (p50) or p90 over repeated calls in this process, and
each ratio is naive p50 / batched p50 of those same measurements.

The "What if?" explorer's server-side cost is timed beside them: what opening it adds to one result's
script run (``bnn.reading.whatif.explore`` at T = 100, its figure built and serialised, one thumbnail per variant),
against that result's own predictions (both networks at T = 100 on the same image) in the same process.
"""

from __future__ import annotations

import time

import numpy as np

from bench.stats import percentiles
from bench.text import plain, verdict
from bnn.config import THUMBNAIL_SIZE, assets_dir, network_name
from bnn.data import DataNotFoundError, load_mnist
from bnn.figures import exploration_figure
from bnn.figures.images import enlarge
from bnn.model import predict
from bnn.model import weights as assets
from bnn.reading.verdict import answer_name
from bnn.reading.whatif import explore

SAMPLE_COUNTS = (1, 10, 100, 1000)  # T from one sample to the most the page's slider offers
TARGET_T = 100  # the targets are set at the page's default T (config.PREDICTION_SAMPLES)
TARGET_P50_MS = 15.0  # ms, one image at TARGET_T, p50: prediction stays a small part of a stroke's answer
TARGET_SPEEDUP = 10.0  # batched against the naive compiled loop at TARGET_T: what one call for all T must gain
THROUGHPUT_SAMPLES = 100  # T of the test-set throughput: the default T
EXPLORER_BUDGET_MS = 150.0  # the budget for what opening "What if?" adds to one result's script run
TITLE = "Posterior predictive"


def timings_ms(call, repeats: int, warmup: int = 1) -> dict:
    """p50 / p90 / min of ``repeats`` timed calls of ``call()`` in milliseconds, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return summary_ms(seconds)


def summary_ms(seconds: list[float]) -> dict:
    """p50 / p90 / min / max in milliseconds of timings in seconds, and how many there were (``repeats``)."""
    summary = percentiles([second * 1e3 for second in seconds])
    summary["repeats"] = summary.pop("count")
    return summary


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else float(numerator / denominator)


def mnist_test_images(quick: bool) -> tuple[np.ndarray | None, str]:
    """MNIST's test images (all 10,000; 50 when quick), or None and why not."""
    try:
        images = load_mnist().test.images
    except DataNotFoundError as error:
        return None, f"MNIST not found ({str(error).splitlines()[0]})"
    return (images[:50] if quick else images), "MNIST test set"


def _latency_rows(model: predict.DigitModel, image: np.ndarray, quick: bool) -> list[dict]:
    """Per T: batched, naive compiled and (at small T) naive eager p50 / p90 for one image."""
    for compiled in (True, False):  # trace the naive forward pass once, outside the timings
        predict.sample_naively(model.network, image, 1, compiled=compiled)
    rows = []
    for num_samples in SAMPLE_COUNTS:
        repeats = 3 if quick else (20 if num_samples == 1000 else 50)
        batched = timings_ms(lambda t=num_samples: model.predict(image, t), repeats)
        compiled = eager = None
        if num_samples <= (10 if quick else 1000):
            naive_repeats = 1 if quick else (5 if num_samples == 1000 else 10)
            compiled = timings_ms(
                lambda t=num_samples: predict.sample_naively(model.network, image, t), naive_repeats, warmup=0
            )
        if num_samples <= (1 if quick else 100):
            eager_repeats = 1 if quick else (3 if num_samples == 100 else 10)
            eager = timings_ms(
                lambda t=num_samples: predict.sample_naively(model.network, image, t, compiled=False),
                eager_repeats,
                warmup=0,
            )
        rows.append(
            {
                "num_samples": num_samples,
                "batched_ms": batched,
                "naive_compiled_ms": compiled,
                "naive_eager_ms": eager,
                "speedup_vs_naive_compiled": ratio(compiled and compiled["p50"], batched["p50"]),
                "speedup_vs_naive_eager": ratio(eager and eager["p50"], batched["p50"]),
            }
        )
    return rows


def _explorer_phases(bayesian: predict.DigitModel, deterministic: predict.DigitModel, image: np.ndarray) -> dict:
    """Seconds of each phase of what app.py runs once "What if?" is open (its cache cold) for one (28, 28) image."""
    start = time.perf_counter()
    exploration = explore(bayesian, deterministic, image, num_samples=TARGET_T, seed=0)
    explored = time.perf_counter()
    exploration_figure(exploration, answer_name(bayesian.kind)).to_json()  # Streamlit sends the figure as Plotly JSON
    drawn = time.perf_counter()
    for answers in exploration.sweeps:
        for variant in answers.sweep.images:
            enlarge(variant, THUMBNAIL_SIZE)
    end = time.perf_counter()
    return {
        "explore": explored - start,
        "figure_json": drawn - explored,
        "thumbnails": end - drawn,
        "total": end - start,
        "variants": sum(len(answers.sweep.values) for answers in exploration.sweeps),
    }


def measure_explorer(
    bayesian: predict.DigitModel, deterministic: predict.DigitModel, image: np.ndarray, quick: bool
) -> dict:
    """What opening "What if?" adds to one result's script run, against that result's predictions, for one
    (1, 28, 28) ``image``: medians over repeated calls, per phase and in total, and the budget's verdict."""
    repeats = 3 if quick else 30
    _explorer_phases(bayesian, deterministic, image[0])  # untimed: Plotly's first figure, the first batch shapes
    calls = [_explorer_phases(bayesian, deterministic, image[0]) for _ in range(repeats)]
    phases = {name: summary_ms([call[name] for call in calls]) for name in ("explore", "figure_json", "thumbnails")}
    total = summary_ms([call["total"] for call in calls])

    def one_result() -> None:  # what every result's script run predicts (app.py's predict: method and twin)
        bayesian.predict(image, TARGET_T, seed=0)
        deterministic.predict(image)

    result = timings_ms(one_result, repeats)
    return {
        "num_samples": TARGET_T,
        "variants": calls[0]["variants"],
        "thumbnail_px": THUMBNAIL_SIZE,
        "phases_ms": phases,
        "total_ms": total,
        "result_predictions_ms": result,
        "ratio_to_result": ratio(total["p50"], result["p50"]),
        "budget_ms": EXPLORER_BUDGET_MS,
        "budget_met": total["p50"] <= EXPLORER_BUDGET_MS,
    }


def measure_model(
    model: predict.DigitModel,
    image: np.ndarray,
    images: np.ndarray | None,
    quick: bool,
    deterministic: predict.DigitModel | None = None,
) -> dict:
    """Latency rows, a no-blank-pixel control at T = 100, throughput over ``images``, the explorer's cost (when
    the ``deterministic`` twin is given) and the trace count after all of them."""
    rows = _latency_rows(model, image, quick)
    noise = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)  # no blank pixel to skip
    control = timings_ms(lambda: model.predict(noise, TARGET_T), 3 if quick else 50)
    throughput = None
    if images is not None:
        seconds = timings_ms(lambda: model.predict(images, THROUGHPUT_SAMPLES), 1 if quick else 3, warmup=0)
        seconds = {key: value / 1e3 if key != "repeats" else value for key, value in seconds.items()}
        throughput = {
            "images": len(images),
            "num_samples": THROUGHPUT_SAMPLES,
            "seconds": seconds,
            "images_per_second": len(images) / seconds["p50"],
        }
    explorer = {"skipped": "no deterministic twin shipped"}
    if deterministic is not None:
        explorer = measure_explorer(model, deterministic, image, quick)
    target = next(row for row in rows if row["num_samples"] == TARGET_T)
    speedup = target["speedup_vs_naive_compiled"]
    return {
        "model": model.name,
        "latency": rows,
        "latency_t100_no_blank_pixels_ms": control,
        "throughput": throughput,
        "explorer": explorer,
        # Every call above went through one input signature: anything above 1 means retracing.
        "traces": model.trace_count,
        "targets": {
            "t100_p50_ms": target["batched_ms"]["p50"],
            "t100_p50_ms_max": TARGET_P50_MS,
            "t100_p50_met": target["batched_ms"]["p50"] <= TARGET_P50_MS,
            "t100_speedup_vs_naive_compiled": speedup,
            "t100_speedup_min": TARGET_SPEEDUP,
            "t100_speedup_met": None if speedup is None else speedup >= TARGET_SPEEDUP,
        },
    }


def run(quick: bool = False) -> dict:
    """Measure every shipped Bayesian network (the MLP; the LeNet-5 too when its weights are shipped)."""
    images, source = mnist_test_images(quick)
    if images is not None:
        image, image_source = images[:1], f"{source}, image 0"
    else:  # a blank-bordered stroke stands in for a digit
        image = np.zeros((1, 28, 28), np.float32)
        image[0, 6:22, 13:16] = 1.0
        image_source = "synthetic vertical stroke (MNIST missing)"
    result = {
        "image": {"source": image_source, "nonzero_pixels": int(np.count_nonzero(image))},
        "throughput_images": source if images is not None else f"skipped: {source}",
        "naive_variants": {
            "naive_compiled": "bnn.model.predict.sample_naively(compiled=True): T calls of one traced tf.function forward pass",
            "naive_eager": "bnn.model.predict.sample_naively(compiled=False): T eager network(x) calls, as most tutorials do",
        },
        "models": {},
    }
    for arch in ("mlp", "conv"):
        name = network_name(arch, "bayesian")
        if not assets.card_path(assets_dir(), name).is_file():
            result["models"][name] = {"skipped": f"{assets.card_path(assets_dir(), name)} is not shipped"}
            continue
        deterministic = None
        if assets.card_path(assets_dir(), network_name(arch, "deterministic")).is_file():
            deterministic = predict.load_model("deterministic", arch)
        model = predict.load_model("bayesian", arch)
        result["models"][name] = measure_model(model, image, images, quick, deterministic)
        result.setdefault("methods", {})[arch] = measure_methods(arch, image, quick)
    return result


def measure_methods(arch: str, image: np.ndarray, quick: bool) -> dict:
    """One image at T = 100 through every shipped kind of ``arch``, timed in turns so load drifts hit all alike.

    The deterministic network always answers with T = 1 and an ensemble with T = its members.
    """
    models = {kind: predict.load_model(kind, arch) for kind in assets.shipped_kinds(arch)}
    repeats = 3 if quick else 30
    seconds = {kind: [] for kind in models}
    for model in models.values():
        model.predict(image, TARGET_T)  # trace outside the timings
    for _ in range(repeats):
        for kind, model in models.items():
            start = time.perf_counter()
            model.predict(image, TARGET_T)
            seconds[kind].append(time.perf_counter() - start)
    return {kind: {**summary_ms(seconds[kind]), "num_samples": models[kind].samples_used(TARGET_T)} for kind in models}


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: the image, then per network its latency rows,
    the no-blank-pixel control, the targets, the explorer's cost (runs that measured it), throughput and trace count."""
    image = result["image"]
    lines = [f"  one image: {image['source']} ({image['nonzero_pixels']} ink pixels)"]
    for name, model in result["models"].items():
        lines += _model_lines(name, model) if "latency" in model else [f"  {name}: {model}"]
    for arch, methods in result.get("methods", {}).items():
        cells = ", ".join(
            f"{kind} {timing['p50']:.1f} ms (T = {timing['num_samples']})" for kind, timing in methods.items()
        )
        lines.append(f"  {arch}, one image at T = 100 by method, p50 (timed in turns): {cells}")
    return lines


def _model_lines(name: str, model: dict) -> list[str]:
    lines = [
        f"  {name}, one image, ms       batched p50   p90   naive compiled p50   speed-up   naive eager p50   speed-up"
    ]
    for row in model["latency"]:
        lines.append(
            f"    T = {row['num_samples']:<5}                {_ms(row['batched_ms']):>9} {_ms(row['batched_ms'], 'p90'):>5}"
            f" {_ms(row['naive_compiled_ms']):>20} {_times(row['speedup_vs_naive_compiled']):>10}"
            f" {_ms(row['naive_eager_ms']):>17} {_times(row['speedup_vs_naive_eager']):>10}"
        )
    control = model["latency_t100_no_blank_pixels_ms"]
    lines.append(f"    T = 100, an image with no blank pixel: p50 {_ms(control)} ms, p90 {_ms(control, 'p90')} ms")
    targets = model["targets"]
    lines.append(
        f"    target T = 100: p50 {targets['t100_p50_ms']:.1f} ms <= {targets['t100_p50_ms_max']:.0f} ms "
        f"{verdict(targets['t100_p50_met'])}; "
        f"{_times(targets['t100_speedup_vs_naive_compiled'])} vs naive >= {targets['t100_speedup_min']:.0f}x "
        f"{verdict(targets['t100_speedup_met'])}"
    )
    lines += _explorer_lines(model.get("explorer"))
    throughput = model["throughput"]
    if throughput:
        lines.append(
            f"    throughput: {throughput['images']} test images at T = {throughput['num_samples']} in "
            f"{throughput['seconds']['p50']:.2f} s = {throughput['images_per_second']:.0f} images/s"
        )
    lines.append(f"    traces of the compiled predictive after all calls: {model['traces']}")
    return lines


def _explorer_lines(explorer: dict | None) -> list[str]:
    """The explorer's cost against one result's predictions; nothing for a results file without it."""
    if explorer is None:
        return []
    if "total_ms" not in explorer:
        return [f"    what if?: {plain(explorer)}"]
    phases, samples = explorer["phases_ms"], explorer["num_samples"]
    cost = (
        f"    what if? opened ({explorer['variants']} variants at T = {samples}, figure + JSON, thumbnails): "
        f"p50 {_ms(explorer['total_ms'])} ms <= {explorer['budget_ms']:.0f} ms {verdict(explorer['budget_met'])}"
    )
    parts = (
        f"      p50 per phase: explore {_ms(phases['explore'])} ms, figure + JSON {_ms(phases['figure_json'])} ms, "
        f"thumbnails {_ms(phases['thumbnails'])} ms"
    )
    compared = (
        f"      {_ratio(explorer['ratio_to_result'])} one result's predictions (both networks at T = {samples} on "
        f"the same image: p50 {_ms(explorer['result_predictions_ms'])} ms)"
    )
    return [cost, parts, compared]


def _ms(timing: dict | None, key: str = "p50") -> str:
    return "-" if timing is None else f"{timing[key]:.1f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}x"
