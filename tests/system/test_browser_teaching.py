"""Teaching in real Chromium, two people at once: one teaches a 1 as a 7 three times and sees 7; the other, in its
own browser context (its own session), still reads its 1 as 1; "Forget what I taught" brings back the very same
votes."""

from __future__ import annotations

import pytest
from helpers.digits import STROKES
from playwright.sync_api import expect

DRAW_TIMEOUT = 120.0
ONE = [[(x / 100, y / 100) for x, y in stroke] for stroke in STROKES[1]]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def draw_one(page):
    page.press_digit(ONE, min_charts=2, timeout=DRAW_TIMEOUT)
    page.release()
    return page.wait_result(DRAW_TIMEOUT)


def verdict(page):
    return page.page.locator(".st-key-verdict-draw")


def teach(page, digit: int) -> None:
    box = page.page.locator(".st-key-true-digit-draw-0 input")
    box.click()
    page.page.keyboard.type(str(digit))
    page.page.keyboard.press("Enter")
    expect(box).to_have_value(str(digit))
    page.page.locator(".st-key-teach-button-draw button").click()
    expect(page.page.locator(".st-key-teach-draw")).to_contain_text("Taught: ", timeout=DRAW_TIMEOUT * 1000)
    page.wait_until_settled(DRAW_TIMEOUT)


def test_one_person_teaches_a_one_as_a_seven_and_another_still_reads_one(open_page):
    teacher, other = open_page(), open_page()
    for page in (teacher, other):
        page.arm("draw", min_charts=2)
    first = draw_one(teacher)
    assert (first.digit, first.deterministic) == (1, 1), first.verdict
    shipped_votes = teacher.votes("draw")
    for count in range(1, 4):
        teach(teacher, 7)
        expect(teacher.page.locator(".st-key-teach-draw")).to_contain_text(f"{count} of at most 200 examples")
    expect(verdict(teacher)).to_contain_text("Bayesian: 7", timeout=DRAW_TIMEOUT * 1000)
    open_page.shot(teacher, "taught")
    other_result = draw_one(other)
    assert (other_result.digit, other_result.deterministic) == (1, 1), other_result.verdict
    assert other.votes("draw") == shipped_votes  # the same drawing, the shipped networks: the same samples
    teacher.page.locator(".st-key-forget-draw button").click()
    expect(verdict(teacher)).to_contain_text("Bayesian: 1", timeout=DRAW_TIMEOUT * 1000)
    teacher.wait_until_settled(DRAW_TIMEOUT)
    assert teacher.votes("draw") == shipped_votes
    open_page.shot(teacher, "forgotten")
