"""``scripts/serve_many.sh``: several Streamlit processes behind nginx, as a child process for tests and benchmarks.

`ServeMany` starts the script on 127.0.0.1 at a free port (its apps at free ports too) and waits until the
proxy answers; it is an `AppServer` whose process tree is the script, nginx and the apps, so its memory and CPU
are the whole deployment's. `ServeMany.routes` reads nginx's access log: which process served each request.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.browser.server import REPO, AppServer, free_port

SCRIPT = REPO / "scripts" / "serve_many.sh"
_LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) route=(?P<route>\S+) upstream=(?P<upstream>\S+)'
)


def nginx_path() -> str | None:
    """The nginx binary (Debian's package puts it in /usr/sbin, often not on a user's PATH), or None."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).is_file() else None


@dataclass(frozen=True)
class Routed:
    """One line of nginx's access log: a request, its route key (cookie) and the process that served it."""

    method: str
    path: str
    status: int
    route: str
    upstream: str  # 127.0.0.1:PORT of the Streamlit process


class ServeMany(AppServer):
    """``bash scripts/serve_many.sh PROCESSES PORT`` with its configuration and logs in ``run_dir``."""

    def __init__(self, processes: int, run_dir: str | Path, port: int | None = None):
        self.processes = processes
        self.run_dir = Path(run_dir)
        ports: list[int] = []
        while len(ports) < processes + 1:  # the apps', then nginx's unless given
            candidate = free_port()
            if candidate not in ports and candidate != port:
                ports.append(candidate)
        self.backend_ports = ports[:processes]
        port = port or ports[processes]
        env = {"BNN_RUN_DIR": str(self.run_dir), "BNN_BACKEND_PORTS": " ".join(map(str, self.backend_ports))}
        super().__init__(log_path=self.run_dir / "serve_many.log", env={**env, "PYTHON": sys.executable}, port=port)

    def command(self) -> list[str]:
        return ["bash", str(SCRIPT), str(self.processes), str(self.port)]

    @property
    def backend_urls(self) -> list[str]:
        """Each Streamlit process's own address, bypassing nginx (to warm it up)."""
        return [f"http://127.0.0.1:{port}/" for port in self.backend_ports]

    def routes(self) -> list[Routed]:
        """Every request nginx has logged so far (a WebSocket is logged when it closes)."""
        path = self.run_dir / "access.log"
        lines = path.read_text().splitlines() if path.exists() else []
        found = (_LOG_LINE.search(line) for line in lines)
        return [
            Routed(match["method"], match["path"], int(match["status"]), match["route"], match["upstream"])
            for match in found
            if match
        ]

    def streams_per_process(self) -> dict[str, int]:
        """How many page WebSockets each Streamlit process has served (closed ones only)."""
        counts = Counter(route.upstream for route in self.routes() if route.path == "/_stcore/stream")
        return {f"127.0.0.1:{port}": counts.get(f"127.0.0.1:{port}", 0) for port in self.backend_ports}
