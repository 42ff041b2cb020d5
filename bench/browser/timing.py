"""Timed strokes on app pages: the strokes drawn, the digits they are, and several pages drawing at once."""

from __future__ import annotations

import math
import time

from bench.browser.page import AppPage, Result


def timing_stroke(index: int) -> list[list[tuple[float, float]]]:
    """The ``index``-th stroke of a timing run: a "1" (even) or a "0" (odd), each a little different.

    Slant and size change with ``index`` so that no answer comes from the app's prediction cache.
    """
    wobble = (index % 7 - 3) / 100
    if index % 2 == 0:  # one vertical stroke, slanted a little
        return [[(0.5 + wobble, 0.12), (0.5 - wobble, 0.88)]]
    radius_x, radius_y = 0.27 + wobble, 0.38 - wobble / 2  # one closed loop
    return [
        [
            (0.5 + radius_x * math.sin(angle), 0.5 - radius_y * math.cos(angle))
            for angle in (2 * math.pi * step / 12 for step in range(13))
        ]
    ]


def timing_digit(index: int) -> int:
    """The digit `timing_stroke` draws."""
    return 1 if index % 2 == 0 else 0


def time_strokes(
    page: AppPage,
    count: int,
    timeout: float = 120.0,
    first_index: int = 0,
    min_charts: int = 2,
    verdict_parts: int = 1,
) -> list[Result]:
    """Draw ``count`` timing strokes one after another on a cleared canvas; each one's settled result.

    The canvas is cleared (and that answer awaited) between strokes, as a user drawing digit after digit.
    ``min_charts`` and ``verdict_parts`` are `AppPage.arm`'s (the floor page: 0 charts, 1 line of text).
    """
    results = []
    for index in range(first_index, first_index + count):
        page.arm("draw", min_charts, verdict_parts)
        page.draw(timing_stroke(index))
        result = page.wait_result(timeout)
        if result.verdict is None:
            raise AssertionError(f"stroke {index} was answered without a verdict: {page.describe()}")
        results.append(result)
        page.arm("draw")
        page.clear_canvas()
        page.wait_result(timeout)
    return results


def release_together(pages: list[AppPage], timeout: float = 120.0) -> list[Result]:
    """Release the mouse on every page at once (each holding a stroke and armed); their settled results.

    The mouse-ups come within milliseconds, so the server answers the sessions concurrently.
    """
    for page in pages:
        page.release()
    deadline = time.monotonic() + timeout
    waiting = list(pages)
    while waiting:
        waiting = [page for page in waiting if not page.result_done()]
        if waiting and time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting)} of {len(pages)} pages had no answer after {timeout:.0f} s")
        time.sleep(0.02)
    return [page.read_result() for page in pages]


def draw_together(
    pages: list[AppPage], index: int = 0, timeout: float = 120.0, min_charts: int = 2, verdict_parts: int = 1
) -> list[Result]:
    """Every page draws a timing stroke with the mouse held down, then all release at once; their results.

    Page ``i`` draws stroke ``index + i``, so neighbouring pages draw different digits; the canvases are
    cleared afterwards, ready for the next round. ``min_charts`` and ``verdict_parts`` as in `time_strokes`.
    """
    for offset, page in enumerate(pages):
        page.arm("draw", min_charts, verdict_parts)
        page.press_strokes(timing_stroke(index + offset))
    results = release_together(pages, timeout)
    for page in pages:
        page.arm("draw")
        page.clear_canvas()
    for page in pages:
        page.wait_result(timeout)
    return results
