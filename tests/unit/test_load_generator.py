"""The load generator's parts that need no server (bench.load): the drawings its sessions send, which hosts a
session refuses, and the lines of its report. Its sessions against a running app: tests/system/test_load.py."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

import bnn
from bench import load
from bench.browser.session import Answer, AppSession, digit_drawing


def test_a_drawing_is_what_the_canvas_sends():
    drawing = digit_drawing(5)
    value = json.loads(drawing.value)["drawing"]
    assert set(value) == {"raw", "data"} and value["raw"]["background"] == "#000000"
    assert [path["type"] for path in value["raw"]["objects"]] == ["Path"] * len(value["raw"]["objects"])
    image = Image.open(io.BytesIO(drawing.png))
    assert image.mode == "RGBA" and image.size == (280, 280) and image.getextrema()[3] == (255, 255)
    assert value["data"].startswith("data:image/png;base64,")
    assert len({digit_drawing(index).png for index in range(40)}) == 40  # no two alike: no answer from a cache


def test_the_networks_read_the_drawings_the_sessions_send():
    model = bnn.load_model("bayesian")
    drawings = [digit_drawing(index) for index in range(100)]
    images = [bnn.preprocess_image(drawing.png) for drawing in drawings]
    labels = [int(model.predict(image[None], num_samples=100, seed=0).label[0]) for image in images]
    assert labels == [drawing.digit for drawing in drawings]


def test_a_session_refuses_hosts_beyond_loopback():
    with pytest.raises(ValueError, match="loopback"):
        AppSession("http://example.com:8501/")


def test_the_app_server_cpu_per_answer_is_set_against_the_floor_page_and_the_target():
    app = {**_level(load.TARGET_SESSIONS, 15.0, 300.0), "server_cpu_s_per_answer": 0.045}
    floor = {**_level(load.TARGET_SESSIONS, 60.0, 90.0), "server_cpu_s_per_answer": 0.009, "verdict_p50_ms": None}
    cpu, rate = load.server_cpu_lines(app, {f"{load.TARGET_SESSIONS}_sessions": floor})
    assert "app 45 ms, floor page 9 ms: 5.0x the floor, 36 ms the app's own work" in cpu
    assert cpu.endswith(f"target <= {load.SERVER_CPU_TARGET_MS:.0f} ms NOT met")
    assert "app 15.0 (one process), floor page 60.0" in rate
    fast = {**app, "server_cpu_s_per_answer": 0.020}
    assert load.server_cpu_lines(fast, {f"{load.TARGET_SESSIONS}_sessions": floor})[0].endswith(" ms met")
    assert load.server_cpu_lines(app, {}) == []  # runs before the floor page's level was measured


def test_a_floor_answer_is_a_finished_run_without_a_verdict():
    answer = Answer(digit_sent=4, digit_read=None, milliseconds=20.0, verdict_ms=float("nan"), error="no verdict")
    assert load.is_answer(answer, floor=True) and not load.is_answer(answer)
    failed = Answer(4, None, 20.0, float("nan"), "no verdict: exception: boom")
    assert not load.is_answer(failed, floor=True)
    assert load.is_answer(Answer(4, 4, 20.0, 10.0)) and not load.is_answer(Answer(4, 4, 20.0, 10.0), floor=True)


def _level(sessions: int, per_s: float, p95: float, cores: float = 1.0) -> dict:
    return {"sessions": sessions, "answers_per_s": per_s, "latency_ms": {"p95": p95}, "server_cores_busy": cores}


def test_sizing_counts_people_from_the_best_level_and_the_best_level_with_a_short_wait():
    result = {
        "direct": {"1_sessions": _level(1, 10.0, 90.0), "16_sessions": _level(16, 14.0, 1500.0)},
        "proxy": {
            "1_processes": {"error": "nginx died"},
            "2_processes": {"16_sessions": _level(16, 20.0, 900.0, 1.7), "64_sessions": _level(64, 19.0, 4000.0)},
        },
    }
    lines = load.sizing_lines(result)
    per_person = load.SECONDS_BETWEEN_STROKES
    assert len(lines) == 3 and "nginx died" not in "".join(lines)
    assert f"at most 14.0 strokes/s (16 sessions, 1.00 cores busy): {14 * per_person:.0f} people" in lines[1]
    assert f"10.0 strokes/s with p95 <= 1000 ms (1 session): {10 * per_person:.0f} people" in lines[1]
    assert lines[2].strip().startswith("2 processes, nginx") and f"{20 * per_person:.0f} people;" in lines[2]
    result["direct"] = {"4_sessions": _level(4, 12.0, 2000.0)}
    assert "no level with p95 <= 1000 ms" in load.sizing_lines(result)[1]
