"""Teaching over the app's WebSocket, as pages do (`bench.browser.session.AppSession.teach`): `bench/teach.py`'s
readers and memory figures, measured on a served app instead of in process.

- Drawers beside a teacher: `READERS` sessions draw without pause (`bench.load`'s closed loop) for `SECONDS`,
  first alone, then while one more session draws a digit and teaches it, lesson after lesson (picks the digit under
  "Was this right?" and presses Teach): the drawers' p95 stroke latency of both runs and their ratio, and the
  teacher's time from pressing Teach to the page answering with its taught networks.
- Memory: `SESSIONS` sessions open and draw a digit each; the server's resident memory (its process tree), then
  again once each has taught one lesson, sessions still open: the difference per session.

One ``streamlit run app.py`` on loopback, warmed up by a stroke and a lesson first (loading TensorFlow, the
networks, the replayed training digits and tracing the lesson's steps are paid once per server, not per session).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import time
from pathlib import Path

from bench.browser.server import AppServer
from bench.browser.session import Answer, AppSession, digit_drawing
from bench.load import TIMEOUT, draw_level, warm_up
from bench.stats import percentiles

READERS = 4  # sessions drawing while one teaches (the figure)
SECONDS = 20.0  # each phase of the drawers' run
MAX_STROKES = 500
SESSIONS = 16  # taught sessions whose server memory is measured
QUICK = {"seconds": 3.0, "max_strokes": 10, "sessions": 2}
TARGETS = {"drawer_p95_ratio": 2.0, "session_mib": 10.0}


async def _draw_and_teach(page: AppSession, drawings) -> tuple[Answer, Answer]:
    """One lesson: a drawing and its answer, then teaching it as the digit drawn and the page's answer after."""
    drawing = digit_drawing(next(drawings))
    drawn = await page.draw(drawing)
    taught = await page.teach(drawing, drawing.digit) if drawn.error is None else drawn
    return drawn, taught


async def _beside_a_teacher(url: str, server_pid: int, settings: dict, drawings) -> tuple[dict, list[Answer]]:
    """`READERS` drawers for the phase's seconds while one session teaches lesson after lesson."""
    stop = asyncio.Event()
    lessons: list[Answer] = []

    async def teach_until_stopped() -> None:
        async with AppSession(url, TIMEOUT) as teacher:
            while not stop.is_set():
                _, taught = await _draw_and_teach(teacher, drawings)
                lessons.append(taught)
                if taught.error:
                    return

    teacher = asyncio.create_task(teach_until_stopped())
    await asyncio.sleep(0.5)  # the teacher's page open and its first lesson under way
    level = await draw_level(url, READERS, settings["seconds"], settings["max_strokes"], [server_pid], None, drawings)
    stop.set()
    await teacher
    return level.summary(), lessons


async def _taught_memory(server: AppServer, sessions: int, drawings) -> dict:
    """Server memory with ``sessions`` pages open that drew a digit, then once each has taught it."""
    pages = [AppSession(server.url, TIMEOUT) for _ in range(sessions)]
    try:
        for page in pages:
            await page.open()
        kept = []
        for page in pages:
            drawing = digit_drawing(next(drawings))
            await page.draw(drawing)
            kept.append(drawing)
        await asyncio.sleep(1.0)
        before = server.memory.rss_kib() / 1024
        errors = [(await page.teach(drawing, drawing.digit)).error for page, drawing in zip(pages, kept, strict=True)]
        await asyncio.sleep(1.0)
        after = server.memory.rss_kib() / 1024
    finally:
        await asyncio.gather(*(page.close() for page in pages), return_exceptions=True)
    return {
        "sessions": sessions,
        "rss_before_mib": before,
        "rss_after_mib": after,
        "per_session_mib": (after - before) / sessions,
        "errors": sum(error is not None for error in errors),
    }


def measure(quick: bool = False) -> dict:
    """The figures of the module docstring, from one fresh app server."""
    settings = QUICK if quick else {"seconds": SECONDS, "max_strokes": MAX_STROKES, "sessions": SESSIONS}
    drawings = itertools.count(10_000)  # other drawings than bench.load's
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-teach-") as folder:
        server = AppServer(log_path=Path(folder) / "app.log")
        server.start(timeout=TIMEOUT)
        try:
            warm_up(server.url, drawings)
            warm = asyncio.run(_warm_lesson(server.url, drawings))
            if warm.error:
                raise RuntimeError(f"the warm-up lesson failed: {warm.error}")
            pid = server.process.pid
            alone = asyncio.run(
                draw_level(server.url, READERS, settings["seconds"], settings["max_strokes"], [pid], None, drawings)
            ).summary()
            beside, lessons = asyncio.run(_beside_a_teacher(server.url, pid, settings, drawings))
            memory = asyncio.run(_taught_memory(server, settings["sessions"], drawings))
        finally:
            server.stop()
    ratio = beside["latency_ms"]["p95"] / alone["latency_ms"]["p95"]
    taught = [lesson.milliseconds / 1000 for lesson in lessons if lesson.error is None]
    return {
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "seconds": settings["seconds"],
        "drawers": READERS,
        "drawers_alone": alone,
        "drawers_beside_a_teacher": beside,
        "drawer_p95_ratio": ratio,
        "lessons": len(lessons),
        "lesson_errors": sorted({lesson.error for lesson in lessons if lesson.error}),
        "lesson_seconds": percentiles(taught) if taught else None,
        "memory": memory,
        "targets": TARGETS,
        "targets_met": targets_met(ratio, memory["per_session_mib"]),
    }


def targets_met(drawer_p95_ratio: float, session_mib: float) -> dict[str, bool]:
    """Each of `TARGETS` met or not by these figures (a figure equal to its target meets it)."""
    return {
        "drawer_p95_ratio": drawer_p95_ratio <= TARGETS["drawer_p95_ratio"],
        "session_mib": session_mib <= TARGETS["session_mib"],
    }


async def _warm_lesson(url: str, drawings) -> Answer:
    async with AppSession(url, TIMEOUT) as page:
        start = time.perf_counter()
        _, taught = await _draw_and_teach(page, drawings)
        print(f"[bench] warm-up lesson over the WebSocket: {time.perf_counter() - start:.1f} s", flush=True)
        return taught


def table_lines(result: dict) -> list[str]:
    """The WebSocket figures as lines of the teach part's block."""

    def met(key: str) -> str:
        return "met" if result["targets_met"][key] else "NOT met"

    alone, beside = result["drawers_alone"], result["drawers_beside_a_teacher"]
    memory = result["memory"]
    lesson = result["lesson_seconds"]
    taught = f"p50 {lesson['p50']:.2f} s" if lesson else "none answered"
    header = (
        f"  over the WebSocket (one app server; load average {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} after):"
    )
    drawers = (
        f"    {result['drawers']} sessions drawing: p95 {alone['latency_ms']['p95']:.0f} ms alone, "
        f"{beside['latency_ms']['p95']:.0f} ms beside one teaching: {result['drawer_p95_ratio']:.2f}x "
        f"(target <= {result['targets']['drawer_p95_ratio']:.0f}x: {met('drawer_p95_ratio')}); "
        f"wrong {beside['wrong']}, errors {beside['errors']}"
    )
    teacher = f"    the teacher: {result['lessons']} lessons, Teach pressed to the page's answer {taught}"
    if result["lesson_errors"]:
        teacher += f"; errors: {', '.join(result['lesson_errors'])}"
    server = (
        f"    server memory: {memory['per_session_mib']:.1f} MiB per taught session over {memory['sessions']} open "
        f"sessions (target <= {result['targets']['session_mib']:.0f} MiB: {met('session_mib')}; "
        f"{memory['errors']} lessons failed)"
    )
    return [header, drawers, teacher, server]
