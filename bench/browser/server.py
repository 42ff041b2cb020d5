"""``streamlit run app.py`` as a child process for the browser tests and the app benchmark.

`AppServer` starts the app (or another script: ``app="bench/floor_app.py"``, the benchmark's floor page) on
127.0.0.1 at a free port and waits until it is healthy; `MemorySampler` follows the resident memory of its
process tree. Nothing here needs a browser.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # bench/browser/server.py -> the repository


class AppServerError(RuntimeError):
    """The Streamlit server did not start or died; the message holds the end of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """``streamlit run <app>`` (a path from ``cwd``; default app.py) on 127.0.0.1 at a free port, all its output in
    ``log_path``.

    ``start`` returns once GET /_stcore/health answers ``ok`` (or raises `AppServerError` with the log);
    ``stop`` ends the server's process group: SIGTERM, then SIGKILL after ``timeout`` seconds.
    """

    def __init__(
        self,
        app: str | Path = "app.py",
        log_path: str | Path | None = None,
        cwd: str | Path = REPO,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ):
        self.app = str(app)
        self.cwd = Path(cwd)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(log_path) if log_path else Path(os.environ.get("TMPDIR", "/tmp")) / f"app-{self.port}.log"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen | None = None
        self.launched_at: float | None = None  # time.perf_counter() just before the process started
        self.memory: MemorySampler | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.app,
            "--server.headless",
            "true",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            # No file watcher: it costs CPU, and the app must not reload under a running test.
            "--server.fileWatcherType",
            "none",
        ]

    def start(self, timeout: float = 180.0) -> float:
        """Launch the server and wait until it is healthy; returns the seconds that took."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.launched_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.command(), cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.memory = MemorySampler(self.process.pid)
        deadline = self.launched_at + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise AppServerError(f"streamlit exited with code {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy():
                return time.perf_counter() - self.launched_at
            time.sleep(0.1)
        self.stop()
        raise AppServerError(f"streamlit was not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}_stcore/health", timeout=2) as response:
                return response.status == 200 and response.read().strip() == b"ok"
        except OSError:
            return False

    def stop(self, timeout: float = 20.0) -> None:
        if self.memory:
            self.memory.stop()
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the group is this server's alone (start_new_session)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/<tid>/children)."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in children.read_text().split())
            except OSError:
                pass
    return tree


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    """Resident memory of a process and its children: sampled VmRSS sum, and the kernel's VmHWM peaks."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid = pid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_hwm_kib = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.sample()
            self._stopped.wait(self.interval)

    def rss_kib(self) -> int:
        """Resident memory of the process tree now."""
        return sum(_status_kib(pid, "VmRSS") for pid in _process_tree(self.pid))

    def sample(self) -> None:
        tree = _process_tree(self.pid)
        self.peak_rss_kib = max(self.peak_rss_kib, sum(_status_kib(pid, "VmRSS") for pid in tree))
        self.peak_hwm_kib = max(self.peak_hwm_kib, sum(_status_kib(pid, "VmHWM") for pid in tree))

    def reset(self) -> None:
        """Start a new peak from the current resident size (VmHWM cannot be reset, so it is kept)."""
        self.peak_rss_kib = 0
        self.sample()

    def stop(self) -> None:
        self._stopped.set()
