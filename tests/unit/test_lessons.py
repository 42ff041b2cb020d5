"""bnn.reading.lessons: one session's lessons change that session's networks only, and forgetting them restores
the shipped answers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from bnn.model.teach import MAX_EXAMPLES, TeachingError
from bnn.reading.digit import answer_digit
from bnn.reading.lessons import Lessons
from bnn.reading.networks import load_networks


@pytest.fixture(scope="module")
def shipped():
    return load_networks("mlp", kinds=("bayesian", "deterministic", "mc-dropout"))


@pytest.fixture(scope="module")
def one(mnist):
    return mnist.test.images[np.flatnonzero(mnist.test.labels == 1)[0]]


def test_a_lesson_answers_the_input_before_and_after_and_only_the_taught_kinds_change(shipped, one):
    lessons = Lessons("mlp")
    assert lessons.networks(shipped) is shipped
    reports = []
    first = lessons.teach(shipped, one, 7, "bayesian", num_samples=20, progress=lambda *report: reports.append(report))
    steps = [total for _, total in reports]
    assert first.before.verdict.digit == 1 and first.label == 7 and lessons.count == 1
    assert steps and set(steps) == {60}  # one bar over both networks' steps, ending full
    assert reports[-1] == (60, 60) and [done for done, _ in reports] == sorted(done for done, _ in reports)
    for _ in range(2):
        last = lessons.teach(shipped, one, 7, "bayesian", num_samples=20)
    assert last.after.verdict.digit == 7 and last.after.verdict.deterministic_digit == 7
    mine = lessons.networks(shipped)
    assert mine.models["mc-dropout"] is shipped.models["mc-dropout"]
    assert mine.models["bayesian"] is not shipped.models["bayesian"]
    assert answer_digit(one, shipped, num_samples=20).verdict.digit == 1  # the shipped networks are as they were


def test_forgetting_restores_the_shipped_answers_bit_for_bit(shipped, one):
    lessons = Lessons("mlp")
    before = answer_digit(one, shipped, num_samples=20, seed=5).sampled.samples
    lessons.teach(shipped, one, 7, "bayesian", num_samples=20)
    lessons.forget()
    assert lessons.count == 0 and lessons.networks(shipped) is shipped
    np.testing.assert_array_equal(
        answer_digit(one, lessons.networks(shipped), num_samples=20, seed=5).sampled.samples, before
    )


def test_a_session_teaches_at_most_max_examples(shipped, one):
    lessons = Lessons("mlp", images=[one] * MAX_EXAMPLES, labels=[1] * MAX_EXAMPLES)
    with pytest.raises(TeachingError, match=f"{MAX_EXAMPLES} examples"):
        lessons.teach(shipped, one, 7)


def test_an_adopted_network_answers_from_then_on(shipped, one):
    teacher = Lessons("mlp")
    teacher.teach(shipped, one, 7, num_samples=20)
    student = Lessons("mlp")
    student.adopt(dict(teacher.taught))
    assert student.count == 0 and answer_digit(one, student.networks(shipped), num_samples=20).verdict.digit == (
        answer_digit(one, teacher.networks(shipped), num_samples=20).verdict.digit
    )
