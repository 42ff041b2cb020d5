"""The load generator: sessions on the app's WebSocket, without a browser, get the answers to their own digits.

Starts ``streamlit run app.py`` on 127.0.0.1 (one server for the module), then runs 1 and 4 sessions of
`bench.load` for a few strokes each and checks every answer against the digit its session sent.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

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


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_session_asks_for_the_canvas_fragment_only_as_a_page_does(server):
    async def draw_one():
        async with AppSession(server.url) as page:
            return page.canvas_fragment, await page.draw(digit_drawing(3))

    fragment, answer = asyncio.run(draw_one())
    assert fragment, "the canvas was not drawn inside an st.fragment"
    assert answer.error is None and answer.right, answer  # an error if the run was not the fragment's alone


@pytest.mark.slow
def test_the_floor_page_answers_every_stroke_and_the_benchmark_times_it(tmp_path):
    """Whether its median stays under the delayed-ACK bound is the benchmark's to report (`python -m bench --only
    load`), on a machine quiet enough for a millisecond figure to mean something."""
    floor = load.floor_latency(tmp_path)

    assert floor["strokes"] == floor["answered"] == load.FLOOR_STROKES  # every answer, none with a verdict
    assert floor["median_ms"] > 0 and floor["within_bound"] == (floor["median_ms"] < load.FLOOR_MEDIAN_BOUND_MS)
    result = {"seconds_per_level": 3.0, "max_strokes_per_session": 20, "cpus_usable": 2, "direct": {}}
    assert any(
        line.startswith("  floor page (no model): median") for line in load.table_lines({**result, "floor": floor})
    )
    assert not any("floor page" in line for line in load.table_lines(result))  # older runs: no line


@pytest.mark.slow
def test_sessions_drawing_on_the_floor_page_count_its_lines_as_answers(tmp_path, drawings):
    settings = {"seconds": 120.0, "max_strokes": STROKES}
    summary = load.floor_level(tmp_path, settings, drawings)
    assert summary["sessions"] == load.TARGET_SESSIONS
    assert summary["answers"] == load.TARGET_SESSIONS * STROKES and summary["errors"] == summary["wrong"] == 0
    assert summary["server_cpu_s_per_answer"] > 0 and summary["verdict_p50_ms"] is None


@pytest.mark.slow
def test_a_session_teaches_as_a_page_does_and_another_session_is_not_taught(server):
    """`AppSession.teach` (the teaching load benchmark's lesson): the page answers from the taught networks and
    counts the lessons; a session beside it is not taught, and reads the same drawing as before."""
    drawing = digit_drawing(1)  # a 1

    async def lessons():
        async with AppSession(server.url) as teacher, AppSession(server.url) as other:
            before = await other.draw(drawing)
            drawn, answers = [], []
            for _ in range(2):
                drawn.append(await teacher.draw(drawing))
                answers.append(await teacher.teach(drawing, 7))
            return before, drawn, answers, await other.draw(drawing)

    before, drawn, answers, after = asyncio.run(lessons())
    assert drawn[0].right and drawn[0].taught is None and drawn[1].error is None and drawn[1].taught == 1
    assert [answer.error for answer in answers] == [None, None], server.log_tail()
    assert [answer.taught for answer in answers] == [1, 2] and answers[-1].digit_read == 7  # taught: a 7
    assert before.right and after.taught is None and after.digit_read == before.digit_read
