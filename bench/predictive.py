"""Posterior predictive speed: one-image latency against the naive loop, test-set throughput, retracing.

The batched predictive (``DigitModel.predict``: all T weight samples in one compiled call) is timed
against the tutorial baseline of T separate forward passes with freshly sampled weights
(``bnn.predict.sample_naively``), both as one ``tf.function`` call per sample and as the plain eager
``network(x)`` loop. Each figure is a median (p50) or p90 over repeated calls in this process, and
each ratio is naive p50 / batched p50 of those same measurements.
"""

from __future__ import annotations

import time

import numpy as np

from bench.text import verdict
from bnn import assets, predict
from bnn.config import assets_dir
from bnn.data import DataNotFoundError, load_mnist

SAMPLE_COUNTS = (1, 10, 100, 1000)
TARGET_T = 100  # the targets are set at T = 100
TARGET_P50_MS = 15.0
TARGET_SPEEDUP = 10.0
THROUGHPUT_SAMPLES = 100
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
    ms = np.array(seconds) * 1e3
    return {
        "p50": float(np.percentile(ms, 50)),
        "p90": float(np.percentile(ms, 90)),
        "min": float(ms.min()),
        "repeats": repeats,
    }


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


def measure_model(model: predict.DigitModel, image: np.ndarray, images: np.ndarray | None, quick: bool) -> dict:
    """Latency rows, a no-blank-pixel control at T = 100, throughput over ``images`` and the trace count."""
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
    target = next(row for row in rows if row["num_samples"] == TARGET_T)
    speedup = target["speedup_vs_naive_compiled"]
    return {
        "model": model.name,
        "latency": rows,
        "latency_t100_no_blank_pixels_ms": control,
        "throughput": throughput,
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
            "naive_compiled": "bnn.predict.sample_naively(compiled=True): T calls of one traced tf.function forward pass",
            "naive_eager": "bnn.predict.sample_naively(compiled=False): T eager network(x) calls, as most tutorials do",
        },
        "models": {},
    }
    for arch in ("mlp", "conv"):
        name = f"{arch}-bayesian"
        if not assets.card_path(assets_dir(), name).is_file():
            result["models"][name] = {"skipped": f"{assets.card_path(assets_dir(), name)} is not shipped"}
            continue
        result["models"][name] = measure_model(predict.load_model("bayesian", arch), image, images, quick)
    return result


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: the image, then per network its latency rows,
    the no-blank-pixel control, the targets, throughput and trace count."""
    image = result["image"]
    lines = [f"  one image: {image['source']} ({image['nonzero_pixels']} ink pixels)"]
    for name, model in result["models"].items():
        lines += _model_lines(name, model) if "latency" in model else [f"  {name}: {model}"]
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
    throughput = model["throughput"]
    if throughput:
        lines.append(
            f"    throughput: {throughput['images']} test images at T = {throughput['num_samples']} in "
            f"{throughput['seconds']['p50']:.2f} s = {throughput['images_per_second']:.0f} images/s"
        )
    lines.append(f"    traces of the compiled predictive after all calls: {model['traces']}")
    return lines


def _ms(timing: dict | None, key: str = "p50") -> str:
    return "-" if timing is None else f"{timing[key]:.1f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}x"
