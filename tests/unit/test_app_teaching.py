"""Teaching on the page (AppTest): "Was this right?" and Teach change this page's answers only, show the
lesson before and after and what was forgotten, and "Forget what I taught" brings back the shipped answers exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.page import FakeCanvas, assert_no_exception, canvas_png, open_app, texts

pytestmark = pytest.mark.slow  # each lesson runs the page three times; the quick suite leaves them out


@pytest.fixture
def a_one(mnist, monkeypatch):
    """The canvas holds a test digit 1 that the shipped networks read as 1."""
    one = mnist.test.images[np.flatnonzero(mnist.test.labels == 1)[0]]
    return FakeCanvas(canvas_png(one)).install(monkeypatch)


def verdict(app) -> str:
    return texts(app.main.get_by_key("verdict-draw"))


def votes(app) -> list:
    return json.loads(app.main.get_by_key("votes-draw").proto.spec)["data"][0]["y"]


def teach(app, digit: int):
    app.selectbox(key="true-digit-draw-0").select(digit).run()
    app.button(key="teach-button-draw").click().run()
    assert_no_exception(app)
    return app


def test_a_one_taught_as_a_seven_reads_seven_in_this_session_and_forgetting_restores_every_vote(a_one):
    app = open_app("Draw")
    assert_no_exception(app)
    assert "Bayesian: 1" in verdict(app) and "Deterministic: 1" in verdict(app)
    shipped_votes = votes(app)
    for _ in range(3):
        teach(app, 7)
    assert "Bayesian: 7" in verdict(app)
    panel = texts(app.main.get_by_key("teach-draw"))
    assert "3 of at most 200 examples taught" in panel and "Taught: 7." in panel
    assert "What was forgotten, on 1,000 MNIST test digits" in panel and " -> " in panel
    assert (
        app.main.get_by_key("lesson-before-draw") is not None and app.main.get_by_key("lesson-after-draw") is not None
    )
    app.button(key="forget-draw").click().run()
    assert_no_exception(app)
    assert "Bayesian: 1" in verdict(app) and votes(app) == shipped_votes  # bit-identical: the shipped networks


def test_one_sessions_lessons_never_change_another_sessions_answers(a_one):
    teacher, other = open_app("Draw"), open_app("Draw")
    before = votes(other)
    for _ in range(3):
        teach(teacher, 7)
    assert "Bayesian: 7" in verdict(teacher)
    other.run()
    assert "Bayesian: 1" in verdict(other) and votes(other) == before


def test_a_broken_taught_network_upload_is_refused_and_the_answers_stay(a_one):
    app = open_app("Draw")
    app.session_state["keep-taught-draw"] = True  # the "Keep or share" expander, opened
    app.run()
    uploader = next(widget for widget in app.file_uploader if widget.key == "upload-taught-draw")
    uploader.set_value([("taught-mlp.zip", b"PK\x03\x04 not a zip", "application/zip")])
    app.run()
    assert_no_exception(app)
    assert any("not a taught network" in error.value and "unchanged" in error.value for error in app.error)
    assert "Bayesian: 1" in verdict(app)


def test_a_digit_of_a_number_is_taught_where_it_stands(mnist, monkeypatch):
    ones = np.flatnonzero(mnist.test.labels == 1)[:2]
    wide = np.zeros((28, 84), np.float32)
    wide[:, 10:38], wide[:, 46:74] = mnist.test.images[ones[0]], mnist.test.images[ones[1]]
    FakeCanvas(canvas_png(wide, size=None)).install(monkeypatch)
    app = open_app("Number")
    assert_no_exception(app)
    assert "11" in texts(app.main.get_by_key("verdict-number"))
    for _ in range(3):
        app.selectbox(key="which-digit-number").select(1).run()
        app.selectbox(key="true-digit-number-1").select(7).run()
        app.button(key="teach-button-number").click().run()
        assert_no_exception(app)
    assert "17" in texts(app.main.get_by_key("verdict-number"))
    assert "3 of at most 200 examples taught" in texts(app.main.get_by_key("teach-number"))
