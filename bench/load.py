"""Server capacity without browsers: many sessions speaking to the app over its WebSocket as pages do.

Each session (`bench.browser.session.AppSession`) opens the page, then draws digits 0, 1, 4 and 7 in turn,
each a little different so that no answer comes from the app's caches, and sends them as the canvas does when a
stroke ends; the next stroke goes as soon as the answer is in (a closed loop with no pause: the sessions keep
the server as busy as they can). Sessions running side by side draw different digits, and every answer is
checked against the digit its own session sent. Everything runs on 127.0.0.1.

- direct: one ``streamlit run app.py``; 1, 4, 16 and 64 sessions (1 and 4 when quick).
- through nginx: ``scripts/serve_many.sh`` with 1, then 2 processes; 16 and 64 sessions (4 when quick).
  Skipped when nginx is missing.
- the floor page (``bench/floor_app.py``: the same canvas, no model): the median time from a stroke to its answer,
  which is the WebSocket round trip alone, against `FLOOR_MEDIAN_BOUND_MS`; then `TARGET_SESSIONS` sessions
  drawing on it as on the app, whose server CPU per answer is what Streamlit itself spends on a stroke. The app's
  server CPU per answer at `TARGET_SESSIONS` sessions is reported beside it (their ratio, and the difference: the
  app's own work), against `SERVER_CPU_TARGET_MS`, with the app's answered strokes per second per process.

Per level: the sessions open their pages (not timed), then draw for 20 s (3 s when quick) or 500 strokes each (20),
whichever ends first; a session stops at its first error. Reported: answered strokes per second (answers with a
verdict over the seconds from the first stroke sent to the last answer), latency p50 / p95 (stroke sent to the end
of the script run it caused) and to the verdict's own message, answers reading another digit than the one sent
(wrong), errors (no verdict, a timeout, a closed socket, a page that did not open), server CPU seconds per answer
(user + system time of the server's process tree from /proc, while drawing) and cores busy (that CPU time over the
seconds), peak resident memory of the server's tree (sampled from opening the pages to the end), and the load
generator's own CPU per answer: it shares the machine's cores with the server.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from bench.app import FLOOR_SCRIPT
from bench.browser.proxy import ServeMany, nginx_path
from bench.browser.server import AppServer, MemorySampler, _process_tree
from bench.browser.session import Answer, AppSession, digit_drawing
from bench.stats import percentiles
from bnn.model.environment import usable_cpus

TITLE = "Load (WebSocket sessions without a browser: answered strokes, latency, server CPU and memory)"
TIMEOUT = 180.0  # seconds for any one answer, page or start; generous, the machine may be busy
# Sessions and processes per level of a reported run; QUICK only checks that the benchmark runs.
FULL = {
    "sessions": (1, 4, 16, 64),
    "seconds": 20.0,
    "max_strokes": 500,
    "processes": (1, 2),
    "proxy_sessions": (16, 64),
}
QUICK = {"sessions": (1, 4), "seconds": 3.0, "max_strokes": 20, "processes": (1, 2), "proxy_sessions": (4,)}
SECONDS_BETWEEN_STROKES = 5.0  # an assumption, not measured: someone drawing digit after digit, reading each answer
LATENCY_BOUND_MS = 1000.0  # the p95 a level may have to count as served well
FLOOR_STROKES = 9  # strokes for the floor's median: enough to tell a 40 ms wait from none
FLOOR_MEDIAN_BOUND_MS = 35.0  # a floor answer slower than this waits on a 40 ms delayed ACK: no TCP_QUICKACK
TARGET_SESSIONS = 4  # the level at which the app's server CPU per answer is set against the floor page's
SERVER_CPU_TARGET_MS = 30.0  # per answered stroke at TARGET_SESSIONS sessions: the target (docs/serving.md)
FLOOR_ANSWER = "no verdict"  # how a session reads the floor page's answer: a finished run, a line of text, no verdict


def is_answer(answer: Answer, floor: bool = False) -> bool:
    """Whether ``answer`` is the page's answer to its stroke: the app's verdict, or the floor page's line."""
    return answer.error == FLOOR_ANSWER if floor else answer.error is None


@dataclass
class Level:
    """One level's run: every session's answers and what the server spent meanwhile."""

    sessions: int
    answers: list[list[Answer]]  # per session, in order
    seconds: float  # first stroke sent to last answer
    server_cpu_s: float
    client_cpu_s: float
    peak_rss_kib: int
    open_ms: list[float]
    open_errors: list[str] = field(default_factory=list)
    floor: bool = False  # drawn on the floor page, which answers with a line of text and no verdict

    def all_answers(self) -> list[Answer]:
        return [answer for answers in self.answers for answer in answers]

    def summary(self) -> dict:
        """The level's figures for the report (see the module docstring)."""
        every = self.all_answers()
        answered = [answer for answer in every if is_answer(answer, self.floor)]
        errors = [answer.error for answer in every if not is_answer(answer, self.floor)] + self.open_errors
        count = max(len(answered), 1)
        latency = [answer.milliseconds for answer in answered]
        return {
            "sessions": self.sessions,
            "answers": len(answered),
            "seconds": self.seconds,
            "answers_per_s": len(answered) / self.seconds if self.seconds > 0 else 0.0,
            "latency_ms": percentiles(latency, (50, 95)),
            "verdict_p50_ms": (
                statistics.median(answer.verdict_ms for answer in answered) if answered and not self.floor else None
            ),
            "wrong": 0 if self.floor else sum(answer.digit_read != answer.digit_sent for answer in answered),
            "errors": len(errors),
            "error_examples": sorted(set(errors))[:3],
            "server_cpu_s_per_answer": self.server_cpu_s / count,
            "server_cores_busy": self.server_cpu_s / self.seconds if self.seconds > 0 else 0.0,
            "client_cpu_s_per_answer": self.client_cpu_s / count,
            "peak_rss_mib": self.peak_rss_kib / 1024,
            "page_open_p50_ms": statistics.median(self.open_ms) if self.open_ms else None,
        }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes ``pids`` and all their descendants, from /proc."""
    ticks = 0
    for pid in {tree_pid for root in pids for tree_pid in _process_tree(root)}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def run_level(
    url: str,
    sessions: int,
    seconds: float,
    max_strokes: int,
    server_pids: list[int],
    memory: MemorySampler | None = None,
    drawings: itertools.count | None = None,
    floor: bool = False,
) -> Level:
    """``sessions`` pages on ``url`` drawing for ``seconds`` or ``max_strokes`` strokes each, whichever ends first.

    ``drawings`` numbers the drawings (`digit_drawing`); share one counter across levels so that no drawing is
    sent twice to a server. ``floor``: ``url`` serves the floor page, whose answers have no verdict.
    """
    drawings = drawings or itertools.count()
    return asyncio.run(draw_level(url, sessions, seconds, max_strokes, server_pids, memory, drawings, floor))


async def draw_level(url, sessions, seconds, max_strokes, server_pids, memory, drawings, floor=False) -> Level:
    """`run_level` in a running event loop, beside other sessions' work."""
    if memory:
        memory.reset()
    pages = [AppSession(url, TIMEOUT) for _ in range(sessions)]
    try:
        opened = await asyncio.gather(*(page.open() for page in pages), return_exceptions=True)
        open_errors = [f"page did not open: {type(error).__name__}: {error}" for error in opened if error]
        ready = [page for page, error in zip(pages, opened, strict=True) if not error]
        server_start, client_start, start = cpu_seconds(server_pids), time.process_time(), time.perf_counter()
        deadline = start + seconds
        answers = await asyncio.gather(*(_draw_until(page, deadline, max_strokes, drawings, floor) for page in ready))
        elapsed = time.perf_counter() - start
        server_cpu, client_cpu = cpu_seconds(server_pids) - server_start, time.process_time() - client_start
    finally:
        await asyncio.gather(*(page.close() for page in pages), return_exceptions=True)
    if memory:
        memory.sample()
    return Level(
        sessions=sessions,
        answers=answers,
        seconds=elapsed,
        server_cpu_s=server_cpu,
        client_cpu_s=client_cpu,
        peak_rss_kib=memory.peak_rss_kib if memory else 0,
        open_ms=[page.open_ms for page in ready],
        open_errors=open_errors,
        floor=floor,
    )


async def _draw_until(page: AppSession, deadline: float, max_strokes: int, drawings, floor: bool) -> list[Answer]:
    answers: list[Answer] = []
    while len(answers) < max_strokes and time.perf_counter() < deadline:
        answers.append(await page.draw(digit_drawing(next(drawings))))
        if not is_answer(answers[-1], floor):
            break
    return answers


def warm_up(url: str, drawings: itertools.count) -> None:
    """One page and one stroke on ``url``: the first page of a fresh process loads TensorFlow and the networks."""
    level = run_level(url, 1, TIMEOUT, 1, [], drawings=drawings)
    failures = level.open_errors + [answer.error for answer in level.all_answers() if answer.error]
    if failures:
        raise RuntimeError(f"warming up {url} failed: {failures[0]}")


def run(quick: bool = False) -> dict:
    """The load benchmark's figures (see the module docstring)."""
    settings = QUICK if quick else FULL
    drawings = itertools.count()
    report: dict = {
        "seconds_per_level": settings["seconds"],
        "max_strokes_per_session": settings["max_strokes"],
        "cpus_usable": usable_cpus(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        report["floor"] = floor_latency(Path(folder))
        report["floor_load"] = {f"{TARGET_SESSIONS}_sessions": floor_level(Path(folder), settings, drawings)}
        server = AppServer(log_path=Path(folder) / "app.log")
        server.start(timeout=TIMEOUT)
        try:
            warm_up(server.url, drawings)
            report["direct"] = {
                f"{sessions}_sessions": _level_summary(server, sessions, settings, drawings)
                for sessions in settings["sessions"]
            }
        finally:
            server.stop()
        if nginx_path() is None:
            report["proxy"] = {"skipped": "nginx is missing: install the Debian package `nginx`"}
            return report
        report["proxy"] = {}
        for processes in settings["processes"]:
            try:
                result = _proxied(processes, Path(folder) / f"serve-{processes}", settings, drawings)
            except Exception as error:  # noqa: BLE001 -- keep the direct figures and the other deployment's
                traceback.print_exc()
                result = {"error": f"{type(error).__name__}: {error}"}
            report["proxy"][f"{processes}_processes"] = result
    return report


def floor_latency(folder: Path) -> dict:
    """The floor page's stroke-to-answer times (ms), with no model behind them: the WebSocket round trip alone.

    Without TCP_QUICKACK on the session's socket, Linux's 40 ms delayed ACK and Streamlit's Nagle-delayed writes
    make every answer take over 40 ms; a median under `FLOOR_MEDIAN_BOUND_MS` says that is not happening.
    """

    async def strokes(url: str) -> list[Answer]:
        async with AppSession(url) as page:
            return [await page.draw(digit_drawing(index)) for index in range(FLOOR_STROKES)]

    with AppServer(app=FLOOR_SCRIPT, log_path=folder / "floor.log") as floor:  # entering starts it
        answers = asyncio.run(strokes(floor.url))
    answered = [answer for answer in answers if answer.error and answer.error.startswith("no verdict")]  # no model
    median = statistics.median(answer.milliseconds for answer in answered) if answered else None
    return {
        "strokes": len(answers),
        "answered": len(answered),
        "median_ms": median,
        "bound_ms": FLOOR_MEDIAN_BOUND_MS,
        "within_bound": median is not None and median < FLOOR_MEDIAN_BOUND_MS,
    }


def floor_level(folder: Path, settings: dict, drawings) -> dict:
    """`TARGET_SESSIONS` sessions drawing on the floor page as on the app (`run_level`): what Streamlit itself
    spends on a stroke (the canvas's message, one script run, the socket), with no model behind it."""
    with AppServer(app=FLOOR_SCRIPT, log_path=folder / "floor-load.log") as floor:  # entering starts it
        return _level_summary(floor, TARGET_SESSIONS, settings, drawings, floor=True)


def _level_summary(server: AppServer, sessions: int, settings: dict, drawings, floor: bool = False) -> dict:
    level = run_level(
        server.url,
        sessions,
        settings["seconds"],
        settings["max_strokes"],
        [server.process.pid],
        server.memory,
        drawings,
        floor,
    )
    return level.summary()


def _proxied(processes: int, run_dir: Path, settings: dict, drawings) -> dict:
    """``scripts/serve_many.sh`` with ``processes`` apps: each level through nginx, and the pages each app served."""
    cluster = ServeMany(processes, run_dir)
    cluster.start(timeout=TIMEOUT)
    try:
        for url in cluster.backend_urls:
            warm_up(url, drawings)
        result = {}
        for sessions in settings["proxy_sessions"]:
            before = cluster.streams_per_process()
            summary = _level_summary(cluster, sessions, settings, drawings)
            time.sleep(0.5)  # nginx logs a WebSocket when it has closed
            after = cluster.streams_per_process()
            summary["pages_per_process"] = {name: after[name] - before.get(name, 0) for name in after}
            result[f"{sessions}_sessions"] = summary
        return result
    finally:
        cluster.stop()


HEADER = (
    "strokes/s   p50 ms   p95 ms  verdict ms  wrong/answers  errors  server CPU  cores busy  peak RSS MiB  client CPU"
)
LABEL = 26  # characters of a row's label


def _row(label: str, level: dict) -> str:
    """One level as a row under `HEADER`: ``label`` then its figures."""
    latency = level["latency_ms"]
    return (
        f"    {label:<{LABEL - 4}}{level['answers_per_s']:>9.1f}  {_ms(latency['p50'], 7)}  {_ms(latency['p95'], 7)}"
        f"  {_ms(level['verdict_p50_ms'], 10)}  {level['wrong']:>6}/{level['answers']:<6}  {level['errors']:>6}"
        f"  {level['server_cpu_s_per_answer'] * 1000:>10.0f}  {level['server_cores_busy']:>10.2f}"
        f"  {level['peak_rss_mib']:>12.0f}  {level['client_cpu_s_per_answer'] * 1000:>10.0f}"
    )


def _sessions(count: int) -> str:
    return f"{count:>2} session" + ("s" if count > 1 else "")


def _ms(value: float | None, width: int) -> str:
    return f"{value:>{width}.0f}" if value is not None else f"{'-':>{width}}"


def table_lines(result: dict) -> list[str]:
    """`run`'s result as lines of the benchmark table: one row per level, direct and through nginx."""
    settings = (
        f"  sessions drawing without pause, {result['seconds_per_level']:.0f} s or {result['max_strokes_per_session']} "
        f"strokes per level; CPU in ms per answer; the load generator shares the {result['cpus_usable']} cores"
    )
    lines = [settings, *_floor_lines(result.get("floor")), f"  {'one process, direct':<{LABEL - 2}}{HEADER}"]
    for level in result["direct"].values():
        lines.append(_row(_sessions(level["sessions"]), level))
    floor_levels = result.get("floor_load", {})  # optional: a results file without it still prints
    for level in floor_levels.values():
        lines.append(_row(f"floor page, {_sessions(level['sessions']).strip()}", level))
    lines += server_cpu_lines(result["direct"].get(f"{TARGET_SESSIONS}_sessions"), floor_levels)
    proxy = result.get("proxy", {})
    if "skipped" in proxy or "error" in proxy:
        lines.append(f"  through nginx: {proxy.get('skipped') or proxy.get('error')}")
        return lines
    lines.append(f"  {'through nginx':<{LABEL - 2}}{HEADER}  pages per process")
    for processes, levels in proxy.items():
        count = processes.split("_")[0]
        if "error" in levels:
            lines.append(f"    {count} processes: {levels['error']}")
            continue
        for level in levels.values():
            spread = " / ".join(str(pages) for pages in level["pages_per_process"].values())
            label = f"{count} proc., {_sessions(level['sessions'])}"
            lines.append(f"{_row(label, level)}  {spread:>17}")
    return lines + sizing_lines(result)


def _floor_lines(floor: dict | None) -> list[str]:
    """The floor page's line (none for a results file without it)."""
    if floor is None:
        return []
    if floor["median_ms"] is None:
        return [f"  floor page (no model): none of its {floor['strokes']} strokes was answered"]
    verdict = "under" if floor["within_bound"] else "OVER (answers wait on delayed ACKs):"
    line = f"  floor page (no model): median {floor['median_ms']:.0f} ms from stroke to answer over {floor['answered']}"
    return [f"{line}/{floor['strokes']} strokes, {verdict} the {floor['bound_ms']:.0f} ms bound"]


def server_cpu_lines(app: dict | None, floor_levels: dict) -> list[str]:
    """The app's server CPU per answer at `TARGET_SESSIONS` sessions against the floor page's in the same run and
    `SERVER_CPU_TARGET_MS`, with the app's strokes per second per process (it ran on one). None without both."""
    floor = floor_levels.get(f"{TARGET_SESSIONS}_sessions")
    if app is None or floor is None:
        return []
    app_ms, floor_ms = app["server_cpu_s_per_answer"] * 1000, floor["server_cpu_s_per_answer"] * 1000
    met = "met" if app_ms <= SERVER_CPU_TARGET_MS else "NOT met"
    cpu = (
        f"  server CPU per answer, {TARGET_SESSIONS} sessions: app {app_ms:.0f} ms, floor page {floor_ms:.0f} ms: "
        f"{app_ms / floor_ms:.1f}x the floor, {app_ms - floor_ms:.0f} ms the app's own work; "
        f"target <= {SERVER_CPU_TARGET_MS:.0f} ms {met}"
    )
    rate = f"    strokes/s per process: app {app['answers_per_s']:.1f} (one process), floor page {floor['answers_per_s']:.1f}"
    return [cpu, rate]


def _best(levels: list[dict], bound: float | None = None) -> dict | None:
    """The level with the most answered strokes per second (among those with p95 <= ``bound`` ms, if given)."""
    fitting = [level for level in levels if bound is None or (level["latency_ms"]["p95"] or float("inf")) <= bound]
    return max(fitting, key=lambda level: level["answers_per_s"], default=None)


def sizing_lines(result: dict) -> list[str]:
    """How many people drawing at once each deployment serves, from the measured levels: its most answered
    strokes per second, and the most with a p95 under `LATENCY_BOUND_MS`, times `SECONDS_BETWEEN_STROKES`."""
    deployments = {"one process, direct": list(result["direct"].values())}
    for processes, levels in result.get("proxy", {}).items():
        if isinstance(levels, dict) and "error" not in levels and "skipped" not in levels:
            count = int(processes.split("_")[0])
            deployments[f"{count} process{'es' if count > 1 else ''}, nginx"] = list(levels.values())
    every = SECONDS_BETWEEN_STROKES
    heading = (
        f"  sizing, at one stroke per {every:.0f} s for each person drawing (an assumption): people drawing at once"
    )
    lines = [f"{heading} = strokes/s x {every:.0f}"]
    for name, levels in deployments.items():
        best, bounded = _best(levels), _best(levels, LATENCY_BOUND_MS)
        if best is None:
            continue
        within = (
            f"{bounded['answers_per_s']:.1f} strokes/s with p95 <= {LATENCY_BOUND_MS:.0f} ms "
            f"({_sessions(bounded['sessions']).strip()}): {bounded['answers_per_s'] * SECONDS_BETWEEN_STROKES:.0f} people"
            if bounded
            else f"no level with p95 <= {LATENCY_BOUND_MS:.0f} ms"
        )
        lines.append(
            f"    {name:<22} at most {best['answers_per_s']:.1f} strokes/s ({_sessions(best['sessions']).strip()}, "
            f"{best['server_cores_busy']:.2f} cores busy): {best['answers_per_s'] * SECONDS_BETWEEN_STROKES:.0f} "
            f"people; {within}"
        )
    return lines
