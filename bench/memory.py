"""Peak resident memory of the T = 1000 posterior predictive, measured in a fresh Python process.

The child loads the shipped Bayesian MLP, traces the predictive once at T = 1, and reads its high-water
mark of resident memory (``VmHWM`` in /proc/self/status) before and after predicting at T = 1000,
first for one image, then for a batch of 100 (10 when quick). The difference is what T = 1000 adds on top of TensorFlow and the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.predictive import mnist_test_images

NUM_SAMPLES = 1000  # the largest T the page's slider offers: the most memory a stroke can take
TITLE = "Memory (peak resident, fresh process)"

_CHILD = """
import json, sys
import numpy as np
import bnn

def status_mib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MiB
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

images = np.load(sys.argv[1])
num_samples = int(sys.argv[2])
model = bnn.load_model("bayesian")
model.predict(images[:1], 1)  # trace once, so the figures below are the predictive's own
result = {"rss_after_load_mib": status_mib("VmRSS"), "peak_before_mib": status_mib("VmHWM")}
model.predict(images[:1], num_samples)
result["peak_after_one_image_mib"] = status_mib("VmHWM")
model.predict(images, num_samples)
result["peak_after_batch_mib"] = status_mib("VmHWM")
print(json.dumps(result))
"""


def run(quick: bool = False) -> dict:
    images, source = mnist_test_images(quick=True)  # the first 50
    if images is None:
        images, source = np.random.default_rng(0).random((100, 28, 28), dtype=np.float32), "uniform noise"
    images = images[: 10 if quick else 100]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "images.npy"
        np.save(path, images)
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(NUM_SAMPLES)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "child failed"}
    child = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "num_samples": NUM_SAMPLES,
        "batch_images": len(images),
        "images": source,
        **child,
        "t1000_one_image_adds_mib": child["peak_after_one_image_mib"] - child["peak_before_mib"],
        "t1000_batch_adds_mib": child["peak_after_batch_mib"] - child["peak_before_mib"],
    }


def table_lines(result: dict) -> list[str]:
    """`run`'s result as a line of the benchmark table: the peaks before and after T = 1000."""
    line = (
        f"  after loading and tracing: {result['peak_before_mib']:.0f} MiB; T = {result['num_samples']}, "
        f"one image: {result['peak_after_one_image_mib']:.0f} MiB (+{result['t1000_one_image_adds_mib']:.0f}); "
        f"{result['batch_images']} images: {result['peak_after_batch_mib']:.0f} MiB (+{result['t1000_batch_adds_mib']:.0f})"
    )
    return [line]
