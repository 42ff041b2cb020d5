"""Teaching: how long one correction takes, whether readers wait while someone teaches, and what a taught session
holds in memory.

- One correction: `bnn.reading.lessons.Lessons.teach` of one example (the sampled network and its twin, as the
  page's Teach button does), timed REPEATS times after one untimed lesson, for the MLP and the LeNet-5.
- Readers beside a teacher: READERS threads read a digit as the page does (`read_digit`, T = 100, a new input each
  time so no memo answers), first alone, then while one more thread teaches without pause: p95 latency of both
  runs and their ratio. In process, as the sessions of one Streamlit process share it (and over the WebSocket below).
- Memory: the process's resident memory before and after SESSIONS sessions each teach one example (their Lessons
  kept, as a server keeps sessions' state), per session.
- Over the WebSocket (`bench/teach_load.py`): the same questions asked of a served app by sessions speaking to it
  as pages do: drawers' p95 beside a session that teaches, Teach to the page's answer, server memory per taught
  session.

All of it runs in a fresh Python process with the app's TensorFlow thread settings (`bnn.config.SERVING_THREADS`, as
`app.py` sets them before TensorFlow starts), so a lesson shares the cores as it does in a served page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

from bench import teach_load
from bench.stats import percentiles
from bnn.config import SERVING_THREADS
from bnn.data import load_mnist
from bnn.model.teach import training_coreset
from bnn.reading.digit import read_digit
from bnn.reading.lessons import Lessons
from bnn.reading.networks import load_networks

TITLE = "Teaching (one correction; readers beside a teacher; memory per taught session)"
REPEATS = 10  # timed lessons per architecture, after one untimed
READERS = 4  # sessions reading digits while one teaches
READ_SECONDS = 15.0  # how long each phase of the readers' run lasts
SESSIONS = 16  # taught sessions whose memory is measured
# The readers' ratio has no target here: the issue's is over the WebSocket (bench/teach_load.py), where a page's
# stroke also waits on Streamlit, not on the network's few milliseconds alone.
TARGETS = {"lesson_p50_s": {"mlp": 1.0, "conv": 3.0}, "session_mib": 10.0}


def _rss_mib() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _lesson_seconds(arch: str, images: np.ndarray, repeats: int) -> dict:
    networks = load_networks(arch, kinds=("bayesian", "deterministic"))
    coreset = training_coreset()
    Lessons(arch).teach(networks, images[0], 7, coreset=coreset)  # untimed: traces and loads
    seconds = []
    for index in range(repeats):
        started = time.perf_counter()
        Lessons(arch).teach(networks, images[index % len(images)], 7, coreset=coreset)
        seconds.append(time.perf_counter() - started)
    return percentiles(seconds)


def _readers(networks, images: np.ndarray, seconds: float, teaching: bool) -> dict:
    latencies, stop = [], threading.Event()
    lock = threading.Lock()

    def read(offset: int) -> None:
        index = offset
        while not stop.is_set():
            started = time.perf_counter()
            read_digit(images[index % len(images)], networks, num_samples=100, seed=index)
            with lock:
                latencies.append(1000 * (time.perf_counter() - started))
            index += READERS

    def teach_forever() -> None:
        lessons, coreset, index = Lessons(networks.arch), training_coreset(), 0
        while not stop.is_set():
            lessons.forget()  # a teacher far from the limit of examples, lesson after lesson
            lessons.teach(networks, images[index % len(images)], 7, coreset=coreset)
            index += 1

    threads = [threading.Thread(target=read, args=(offset,)) for offset in range(READERS)]
    if teaching:
        threads.append(threading.Thread(target=teach_forever))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return percentiles(latencies, (50, 95))


def _session_memory(images: np.ndarray, sessions: int) -> dict:
    networks = load_networks("mlp", kinds=("bayesian", "deterministic"))
    coreset = training_coreset()
    Lessons("mlp").teach(networks, images[0], 7, coreset=coreset)  # untimed: the teacher and its traces
    before = _rss_mib()
    kept = []
    for index in range(sessions):
        lessons = Lessons("mlp")
        lessons.teach(networks, images[index], 7, coreset=coreset)
        kept.append(lessons)
    after = _rss_mib()
    return {
        "sessions": sessions,
        "rss_before_mib": before,
        "rss_after_mib": after,
        "per_session_mib": (after - before) / sessions,
    }


def run(quick: bool = False) -> dict:
    environment = {**os.environ, **SERVING_THREADS}
    command = [sys.executable, "-c", f"import json, bench.teach as t; print(json.dumps(t.measure({quick})))"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600, env=environment)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "child failed"}
    in_process = json.loads(completed.stdout.strip().splitlines()[-1])
    return {**in_process, "tensorflow_threads": SERVING_THREADS, "websocket": teach_load.measure(quick)}


def measure(quick: bool = False) -> dict:
    """The part's figures, in this process (`run` starts it in a fresh one)."""
    repeats, seconds, sessions = (2, 2.0, 2) if quick else (REPEATS, READ_SECONDS, SESSIONS)
    test = load_mnist().test
    images = test.images[:200]
    load_before = os.getloadavg()[0]
    lessons = {arch: _lesson_seconds(arch, images, repeats) for arch in ("mlp", "conv")}
    networks = load_networks("mlp", kinds=("bayesian", "deterministic"))
    alone = _readers(networks, images, seconds, teaching=False)
    beside = _readers(networks, images, seconds, teaching=True)
    memory = _session_memory(images, sessions)
    ratio = beside["p95"] / alone["p95"]
    return {
        "repeats": repeats,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "lesson_seconds": lessons,
        "readers": READERS,
        "reader_ms_alone": alone,
        "reader_ms_beside_a_teacher": beside,
        "reader_p95_ratio": ratio,
        "memory": memory,
        "targets": TARGETS,
        "targets_met": {
            **{f"lesson_p50_{arch}": lessons[arch]["p50"] <= TARGETS["lesson_p50_s"][arch] for arch in lessons},
            "session_mib": memory["per_session_mib"] <= TARGETS["session_mib"],
        },
    }


def table_lines(result: dict) -> list[str]:
    def met(key: str) -> str:
        return "met" if result["targets_met"][key] else "NOT met"

    lines = []
    for arch, timing in result["lesson_seconds"].items():
        target = result["targets"]["lesson_p50_s"][arch]
        lines.append(
            f"  one correction, {arch}: p50 {timing['p50']:.2f} s, p90 {timing['p90']:.2f} s "
            f"(target p50 <= {target:.0f} s: {met(f'lesson_p50_{arch}')})"
        )
    alone, beside = result["reader_ms_alone"], result["reader_ms_beside_a_teacher"]
    lines.append(
        f"  {result['readers']} readers (T = 100): p95 {alone['p95']:.0f} ms alone, {beside['p95']:.0f} ms beside a "
        f"teacher: {result['reader_p95_ratio']:.2f}x (in process; the target is over the WebSocket, below)"
    )
    memory = result["memory"]
    lines.append(
        f"  memory: {memory['per_session_mib']:.1f} MiB per taught session over {memory['sessions']} sessions "
        f"(target <= {result['targets']['session_mib']:.0f} MiB: {met('session_mib')})"
    )
    lines.append(
        f"  {result['repeats']} lessons each; load average {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} after"
    )
    if "websocket" in result:  # a results file from before it was measured has none
        lines += teach_load.table_lines(result["websocket"])
    return lines
