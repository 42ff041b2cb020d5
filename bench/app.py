"""The Streamlit page in real Chromium: cold start, stroke-to-charts time, and several pages drawing at once.

- cold start: from launching ``streamlit run app.py`` to the first page rendered (its first script run
  finished, the canvas ready). It includes importing TensorFlow and loading the networks, as a fresh
  deployment does. Median over 3 starts (1 when quick).
- stroke to charts: one page draws a "1" or a "0" (one stroke each, a little different every time), and the
  time runs from the mouse-up to the result's charts drawn, measured in the page (`bench.browser`). The
  canvas is cleared between strokes. The first stroke on a page also loads Plotly and is reported apart.
- load: 1, 4 and 8 pages (2 when quick), each its own browser context and so its own Streamlit session,
  draw at the same moment; per level the p50 / p90 of the answers, how many read the digit drawn, and the
  peak resident memory of the server's process tree (sampled VmRSS).

Timings include the canvas component's own 200 ms delay before it sends a drawing to the server.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.browser import (
    AppPage,
    AppServer,
    chromium_path,
    draw_together,
    launch_chromium,
    percentiles,
    time_strokes,
    timing_digit,
)
from bench.text import verdict

TITLE = "App (Streamlit in headless Chromium)"
TARGET_P50_MS = 500.0  # stroke to charts, issue 5
TIMEOUT = 180.0  # seconds for any one answer or start; generous, the machine may be busy
FULL = {"starts": 3, "strokes": 20, "sessions": (1, 4, 8), "rounds": 5}
QUICK = {"starts": 1, "strokes": 10, "sessions": (1, 2), "rounds": 2}


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


def stroke_timing(page: AppPage, strokes: int) -> dict:
    """``strokes`` timed strokes on ``page`` after one untimed one; p50 / p90 and the three phases."""
    first = time_strokes(page, 1, TIMEOUT)[0]
    results = time_strokes(page, strokes, TIMEOUT, first_index=1)
    correct = sum(result.bayesian == timing_digit(index) for index, result in enumerate(results, start=1))
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
            "read_right": sum(result.bayesian == digit for result, digit in zip(results, digits, strict=True)),
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
    report: dict = {}
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
            report.update(stroke_timing(page, settings["strokes"]))
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
    return report


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: cold start, stroke to charts, one row per load level."""
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
    lines = [
        cold_line,
        stroke_line,
        phases_line,
        "  pages drawing at once   p50 ms   p90 ms   max ms   read right   server peak RSS MiB",
    ]
    for name, level in result["load"].items():
        lines.append(
            f"    {name.split('_')[0]:>3} sessions        {level['p50_ms']:>6.0f}   {level['p90_ms']:>6.0f}   "
            f"{level['max_ms']:>6.0f}   {level['read_right']:>4}/{level['answers']:<4}   {level['peak_rss_mib']:>10.0f}"
        )
    return lines
