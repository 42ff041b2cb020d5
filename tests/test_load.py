"""The load generator: sessions on the app's WebSocket, without a browser, get the answers to their own digits.

Starts ``streamlit run app.py`` on 127.0.0.1 (one server for the module), then runs 1 and 4 sessions of
`bench.load` for a few strokes each and checks every answer against the digit its session sent.
"""

from __future__ import annotations

import io
import itertools
import json

import pytest
from PIL import Image

import bnn
from bench import load
from bench.browser import AppServer
from bench.browser.session import DIGITS, AppSession, digit_drawing

STROKES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app_server = AppServer(log_path=tmp_path_factory.mktemp("streamlit") / "app.log")
    app_server.start(timeout=180)
    yield app_server
    app_server.stop()


@pytest.fixture(scope="module")
def drawings():
    return itertools.count()


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


@pytest.mark.parametrize("sessions", [1, 4])
def test_every_session_gets_the_answer_to_its_own_digit(server, drawings, sessions):
    level = load.run_level(server.url, sessions, 120.0, STROKES, [server.process.pid], server.memory, drawings)
    answers = level.answers
    assert level.open_errors == [] and [len(session) for session in answers] == [STROKES] * sessions
    for session in answers:
        for answer in session:
            assert answer.error is None, server.log_tail()
            assert answer.digit_read == answer.digit_sent
            assert answer.media  # the result shows images, served by this process
    if sessions == 4:  # side by side, the sessions drew different digits
        assert {session[0].digit_sent for session in answers} == set(DIGITS)
    summary = level.summary()
    assert summary["answers"] == sessions * STROKES and summary["wrong"] == summary["errors"] == 0
    assert summary["server_cpu_s_per_answer"] > 0 and summary["peak_rss_mib"] > 100
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"]


def test_a_session_refuses_hosts_beyond_loopback():
    with pytest.raises(ValueError, match="loopback"):
        AppSession("http://example.com:8501/")
