"""The Streamlit page in real Chromium: cold start, stroke-to-charts time, and several pages drawing at once.

- cold start: from launching ``streamlit run app.py`` to the first page rendered (its first script run
  finished, the canvas ready). It includes importing TensorFlow and loading the networks, as a fresh
  deployment does. Median over 3 starts (1 when quick).
- stroke to charts: one page draws a "1" or a "0" (one stroke each, a little different every time), and the
  time runs from the mouse-up to the result's charts drawn, measured in the page (`bench.browser`). The
  canvas is cleared between strokes. The first stroke on a page also loads Plotly and is reported apart.
- against the floor: ``bench/floor_app.py`` is the same canvas with no model, answering each stroke with a
  line of text. Its own server runs beside the app's, and the same strokes are drawn on both in alternating
  blocks (floor-app, app-floor, ...), so a load that drifts weighs on both alike; the same again with 4 pages
  of each drawing at once, in alternating rounds. The app's verdict shown and its charts drawn are reported
  as ratios to the floor's text shown, against their targets (`FLOOR_TARGETS`), and each answer in parts (to
  the drawing sent, the script run, after it) to show where the app's extra time goes.
- load: 1, 4 and 8 pages (2 when quick), each its own browser context and so its own Streamlit session,
  draw at the same moment; per level the p50 / p90 of the answers, how many read the digit drawn, and the
  peak resident memory of the server's process tree (sampled VmRSS).

Timings include the canvas component's own 200 ms delay before it sends a drawing to the server.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import (
    AppPage,
    AppServer,
    Result,
    chromium_path,
    draw_together,
    launch_chromium,
    time_strokes,
    timing_digit,
)
from bench.stats import percentiles
from bench.text import verdict

TITLE = "App (Streamlit in headless Chromium)"
TARGET_P50_MS = 500.0  # ms, stroke to charts, p50: the target for the whole answer drawn
TIMEOUT = 180.0  # seconds for any one answer or start; generous, the machine may be busy
# Repeat counts of a reported run; QUICK only checks that the benchmark runs.
FULL = {"starts": 3, "strokes": 20, "sessions": (1, 4, 8), "rounds": 5, "block": 5, "at_once": 4, "at_once_rounds": 5}
QUICK = {"starts": 1, "strokes": 10, "sessions": (1, 2), "rounds": 2, "block": 5, "at_once": 4, "at_once_rounds": 1}
FLOOR_SCRIPT = "bench/floor_app.py"
# What counts as answered (`AppPage.arm`): app.py's result has 2+ charts, and its verdict is the text (the
# headline and the votes) and the "sure" / "not sure" box; the floor page's is one line of text and no chart.
APP_ANSWER = {"min_charts": 2, "verdict_parts": 2}
FLOOR_ANSWER = {"min_charts": 0, "verdict_parts": 1}
FLOOR_SERIES = {"floor_text": "floor text shown", "app_verdict": "app verdict shown", "app_charts": "app charts drawn"}
# The targets: the app's time over the floor's text shown, both in one run, so they hold on any machine and say
# how much the model's work adds to what Streamlit and the browser take anyway. name: (measured with, the app's
# series, percentile, the largest ratio allowed, label).
FLOOR_TARGETS = {
    "verdict_p50": ("one_page", "app_verdict", "p50", 1.15, "verdict shown, p50"),
    "verdict_p90": ("one_page", "app_verdict", "p90", 1.15, "verdict shown, p90"),
    "charts_p50": ("one_page", "app_charts", "p50", 1.4, "charts drawn, p50"),
    "charts_at_once_p50": ("at_once", "app_charts", "p50", 1.6, "charts drawn, p50, {pages} pages at once"),
}


def _mib(kib: int) -> float:
    return kib / 1024


def cold_start(browser, log_dir: Path) -> tuple[AppServer, AppPage, dict]:
    """Start a server and open its first page; returns both (still running) and the seconds each step took."""
    server = AppServer(log_path=log_dir / f"app-{time.monotonic_ns()}.log")
    healthy_s = server.start(timeout=TIMEOUT)
    try:
        page = AppPage.open(browser, server.url, timeout=TIMEOUT)
        page.wait_canvas_ready(timeout=TIMEOUT)
    except Exception:
        server.stop()
        raise
    return server, page, {"healthy_s": healthy_s, "first_page_s": time.perf_counter() - server.launched_at}


def strokes_beside_floor(app_page: AppPage, floor_page: AppPage, strokes: int, block: int) -> dict[str, list[Result]]:
    """``strokes`` timed strokes on each page after one untimed one, in alternating blocks of ``block``.

    Both draw strokes 1..``strokes`` of `timing_stroke`. Returns {"app_first": [the app's untimed first stroke],
    "app": [...], "floor": [...]}.
    """
    pages = {"app": (app_page, APP_ANSWER), "floor": (floor_page, FLOOR_ANSWER)}
    results = {"app_first": time_strokes(app_page, 1, TIMEOUT, **APP_ANSWER), "app": [], "floor": []}
    time_strokes(floor_page, 1, TIMEOUT, **FLOOR_ANSWER)
    for number, start in enumerate(range(1, strokes + 1, block)):
        for name in ("floor", "app") if number % 2 == 0 else ("app", "floor"):
            page, answer = pages[name]
            results[name] += time_strokes(page, min(block, strokes + 1 - start), TIMEOUT, start, **answer)
    return results


def together_beside_floor(browser, app_url: str, floor_url: str, pages: int, rounds: int) -> dict[str, list[Result]]:
    """``pages`` app pages and as many floor pages, all open; rounds of every app page drawing at once alternate
    with rounds of every floor page drawing at once (after one untimed round each). {"app": [...], "floor": [...]}."""
    opened: dict[str, list[AppPage]] = {"app": [], "floor": []}
    answers = {"app": APP_ANSWER, "floor": FLOOR_ANSWER}
    try:
        for _ in range(pages):
            opened["app"].append(AppPage.open(browser, app_url, timeout=TIMEOUT))
            opened["floor"].append(AppPage.open(browser, floor_url, timeout=TIMEOUT))
        for name in ("floor", "app"):  # each page loads what its first answer needs: not timed
            draw_together(opened[name], 0, TIMEOUT, **answers[name])
        results: dict[str, list[Result]] = {"app": [], "floor": []}
        for round_index in range(rounds):
            for name in ("floor", "app") if round_index % 2 == 0 else ("app", "floor"):
                results[name] += draw_together(opened[name], (round_index + 1) * pages, TIMEOUT, **answers[name])
        return results
    finally:
        for page in opened["app"] + opened["floor"]:
            page.close()


def _answer_times(app: list[Result], floor: list[Result]) -> dict:
    """p50 / p90 of the floor's text shown, the app's verdict shown and the app's charts drawn (ms from mouse-up)."""
    for name, results in (("app", app), ("floor page", floor)):
        unseen = [result for result in results if math.isnan(result.verdict_ms)]
        if unseen or not results:
            raise AssertionError(
                f"the {name}'s verdict was not seen on {len(unseen)} of {len(results)} answers (`AppPage.arm`'s "
                f"verdict_parts: how many elements it must hold); the first: {unseen[:1]}"
            )
    return {
        "floor_text": percentiles([result.verdict_ms for result in floor]),
        "app_verdict": percentiles([result.verdict_ms for result in app]),
        "app_charts": percentiles([result.milliseconds for result in app]),
    }


def _parts(results: list[Result]) -> dict:
    """p50 of each part of mouse-up -> settled answer, in ms (`Result`): to the drawing sent (the canvas's send
    delay), to the script run's start, run start to the verdict (the floor's text) shown, the run as the page saw
    it, and run end to settled (every chart drawn; the floor: the page idle)."""
    return {
        "to_send": statistics.median(result.to_send_ms for result in results),
        "to_run_start": statistics.median(result.to_run_ms for result in results),
        "run_start_to_verdict": statistics.median(result.verdict_ms - result.to_run_ms for result in results),
        "run": statistics.median(result.run_ms for result in results),
        "run_end_to_settled": statistics.median(result.render_ms for result in results),
    }


def floor_comparison(one_page: dict[str, list[Result]], at_once: dict[str, list[Result]], pages_at_once: int) -> dict:
    """The app against the floor page: `strokes_beside_floor`'s and `together_beside_floor`'s results as p50 / p90,
    the ratios with targets (`FLOOR_TARGETS`), met or not, and each page's answer in parts."""
    measured = {
        "one_page": _answer_times(one_page["app"], one_page["floor"]),
        "at_once": _answer_times(at_once["app"], at_once["floor"]),
    }
    vs_floor = {}
    for name, (where, series, percentile, target, _) in FLOOR_TARGETS.items():
        app_ms, floor_ms = measured[where][series][percentile], measured[where]["floor_text"][percentile]
        ratio = app_ms / floor_ms
        vs_floor[name] = {
            "app_ms": app_ms,
            "floor_ms": floor_ms,
            "ratio": ratio,
            "target": target,
            "met": ratio <= target,
        }
    return {
        "script": FLOOR_SCRIPT,
        "strokes": len(one_page["app"]),
        "pages_at_once": pages_at_once,
        "one_page_ms": measured["one_page"],
        "at_once_ms": measured["at_once"],
        "vs_floor": vs_floor,
        "parts_p50_ms": {"floor": _parts(one_page["floor"]), "app": _parts(one_page["app"])},
    }


def stroke_timing(results: list[Result], first: Result) -> dict:
    """The app's timed strokes (strokes 1, 2, ... of `timing_stroke`) and its untimed first one: p50 / p90 and
    the three phases."""
    correct = sum(result.digit == timing_digit(index) for index, result in enumerate(results, start=1))
    stroke_ms = percentiles([result.milliseconds for result in results])
    return {
        "stroke_to_charts_ms": stroke_ms,
        "stroke_phases_p50_ms": {
            "to_run_start": statistics.median(result.to_run_ms for result in results),
            "run": statistics.median(result.run_ms for result in results),
            "run_end_to_charts": statistics.median(result.render_ms for result in results),
        },
        "first_stroke_on_a_page_ms": first.milliseconds,
        "strokes_read_right": f"{correct}/{len(results)}",
        "target_p50_ms": TARGET_P50_MS,
        "target_met": stroke_ms["p50"] < TARGET_P50_MS,
    }


def load(browser, server: AppServer, sessions: int, rounds: int) -> dict:
    """``sessions`` pages drawing together for ``rounds`` rounds (after one untimed round)."""
    pages = []
    try:
        for _ in range(sessions):
            pages.append(AppPage.open(browser, server.url, timeout=TIMEOUT))
        draw_together(pages, 0, TIMEOUT)  # each page loads Plotly on its first answer: not timed
        server.memory.reset()
        results, digits = [], []
        for round_index in range(rounds):
            first = (round_index + 1) * sessions
            results += draw_together(pages, first, TIMEOUT)
            digits += [timing_digit(first + offset) for offset in range(sessions)]
        server.memory.sample()
        answers = percentiles([result.milliseconds for result in results])
        return {
            "p50_ms": answers["p50"],
            "p90_ms": answers["p90"],
            "max_ms": answers["max"],
            "answers": len(results),
            "read_right": sum(result.digit == digit for result, digit in zip(results, digits, strict=True)),
            "peak_rss_mib": _mib(server.memory.peak_rss_kib),
        }
    finally:
        for page in pages:
            page.close()


def run(quick: bool = False) -> dict:
    """The app benchmark's figures (see the module docstring); skipped without Chromium or Playwright."""
    if chromium_path() is None:
        return {"skipped": "Chromium is missing: install the Debian package `chromium`"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "Playwright is missing: pip install -r requirements-dev.txt"}
    settings = QUICK if quick else FULL
    report: dict = {"load_average_before": list(os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="bench-app-") as folder, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        report["chromium"] = browser.version
        starts = []
        for start in range(settings["starts"]):
            server, page, timing = cold_start(browser, Path(folder))
            starts.append(timing)
            if start < settings["starts"] - 1:
                page.close()
                server.stop()
        try:  # the last server started stays up for the rest
            first_page = [timing["first_page_s"] for timing in starts]
            report["cold_start_s"] = {
                "median": statistics.median(first_page),
                "min": min(first_page),
                "max": max(first_page),
                "starts": len(first_page),
                "of_which_server_healthy": statistics.median(timing["healthy_s"] for timing in starts),
            }
            report["server_rss_after_first_page_mib"] = _mib(server.memory.rss_kib())
            report.update(beside_floor(browser, server, page, Path(folder), settings))
            page.close()
            report["load"] = {
                f"{sessions}_sessions": load(browser, server, sessions, settings["rounds"])
                for sessions in settings["sessions"]
            }
            server.memory.sample()
            report["server_peak_rss_hwm_mib"] = _mib(server.memory.peak_hwm_kib)
        finally:
            server.stop()
        browser.close()
    report["load_average_after"] = list(os.getloadavg())
    return report


def beside_floor(browser, server: AppServer, page: AppPage, log_dir: Path, settings: dict) -> dict:
    """The floor page's server started beside ``server``: stroke timing on ``page`` and the floor comparison."""
    floor_server = AppServer(app=FLOOR_SCRIPT, log_path=log_dir / "floor.log")
    floor_server.start(timeout=TIMEOUT)
    try:
        load_before = list(os.getloadavg())
        floor_page = AppPage.open(browser, floor_server.url, timeout=TIMEOUT)
        try:
            floor_page.wait_canvas_ready(timeout=TIMEOUT)
            one_page = strokes_beside_floor(page, floor_page, settings["strokes"], settings["block"])
        finally:
            floor_page.close()
        at_once = together_beside_floor(
            browser, server.url, floor_server.url, settings["at_once"], settings["at_once_rounds"]
        )
        load_after = list(os.getloadavg())
    finally:
        floor_server.stop()
    floor = floor_comparison(one_page, at_once, settings["at_once"])
    floor.update(block=settings["block"], load_average_before=load_before, load_average_after=load_after)
    return {**stroke_timing(one_page["app"], one_page["app_first"][0]), "floor": floor}


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: cold start, stroke to charts, the comparison with the floor
    page (`floor_lines`) when the run has one, one row per load level."""
    cold, stroke, phases = result["cold_start_s"], result["stroke_to_charts_ms"], result["stroke_phases_p50_ms"]
    cold_line = (
        f"  cold start to first page: {cold['median']:.1f} s median of {cold['starts']} "
        f"({cold['min']:.1f}-{cold['max']:.1f} s; server healthy after {cold['of_which_server_healthy']:.1f} s); "
        f"server RSS then {result['server_rss_after_first_page_mib']:.0f} MiB"
    )
    stroke_line = (
        f"  stroke to charts, {stroke['count']} strokes: p50 {stroke['p50']:.0f} ms, p90 {stroke['p90']:.0f} ms "
        f"(target p50 < {result['target_p50_ms']:.0f} ms: {verdict(result['target_met'])}); "
        f"read right {result['strokes_read_right']}"
    )
    phases_line = (
        f"    p50 parts: mouse-up to run start {phases['to_run_start']:.0f} ms (200 ms is the canvas's send delay), "
        f"run {phases['run']:.0f} ms, run end to charts {phases['run_end_to_charts']:.0f} ms; "
        f"first stroke on a page {result['first_stroke_on_a_page_ms']:.0f} ms"
    )
    lines = [cold_line, stroke_line, phases_line]
    if "floor" in result:  # optional: a results file without the floor comparison still prints
        lines += floor_lines(result["floor"])
    lines.append("  pages drawing at once   p50 ms   p90 ms   max ms   read right   server peak RSS MiB")
    for name, level in result["load"].items():
        lines.append(
            f"    {name.split('_')[0]:>3} sessions        {level['p50_ms']:>6.0f}   {level['p90_ms']:>6.0f}   "
            f"{level['max_ms']:>6.0f}   {level['read_right']:>4}/{level['answers']:<4}   {level['peak_rss_mib']:>10.0f}"
        )
    return lines


def floor_lines(floor: dict) -> list[str]:
    """The floor comparison's lines of the table: times, ratios against the targets, the answers in parts."""
    pages, one_page, at_once = floor["pages_at_once"], floor["one_page_ms"], floor["at_once_ms"]
    how = (
        f"  {floor['strokes']} strokes each in alternating blocks of {floor['block']}; load average "
        f"{floor['load_average_before'][0]:.1f} before, {floor['load_average_after'][0]:.1f} after"
    )
    lines = [
        f"  against the floor page ({floor['script']}: the same canvas, no model, one line of text per stroke),",
        how,
        f"    mouse-up to              one page p50   p90 ms   {pages} pages at once p50   p90 ms",
    ]
    for series, label in FLOOR_SERIES.items():
        lines.append(
            f"    {label:<22} {one_page[series]['p50']:>14.0f}   {one_page[series]['p90']:>6.0f}   "
            f"{at_once[series]['p50']:>19.0f}   {at_once[series]['p90']:>6.0f}"
        )
    lines.append(f"    {'app / floor':<40} {'ms':>11}   ratio   target")
    for name, (_, _, _, _, label) in FLOOR_TARGETS.items():
        row = floor["vs_floor"][name]
        lines.append(
            f"    {label.format(pages=pages):<40} {row['app_ms']:>5.0f} / {row['floor_ms']:<5.0f}  "
            f"{row['ratio']:>5.2f}x  <= {row['target']:.2f}x  {verdict(row['met'])}"
        )
    floor_parts, app_parts = floor["parts_p50_ms"]["floor"], floor["parts_p50_ms"]["app"]

    def both(part: str) -> str:
        return f"{floor_parts[part]:.0f} | {app_parts[part]:.0f}"

    delay = f"the canvas's send delay: {floor_parts['to_send'] / one_page['floor_text']['p50']:.0%} of the floor's text"
    sent = f"mouse-up to drawing sent {both('to_send')} ({delay} shown)"
    run = f"to run start {both('to_run_start')}, run start to text | verdict shown {both('run_start_to_verdict')}"
    after = f"run {both('run')}, run end to settled {both('run_end_to_settled')} (the app: its charts drawn)"
    return [*lines, f"    p50 parts in ms, floor | app: {sent},", f"      {run}, {after}"]
