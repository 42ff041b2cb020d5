"""The scale-out recipe: ``scripts/serve_many.sh`` runs 2 app processes behind nginx with sticky sessions.

Through the proxy every session gets the answer to its own digit, each page (its HTTP requests, its WebSocket,
its images) stays on one process, and the pages spread over both. Needs nginx (Debian package ``nginx``):
without it these tests skip on a developer machine and fail in CI (``CI=true``), where ``.ci/run`` installs it
through ``scripts/setup.sh``. The recipe's files, read without serving: tests/unit/test_serving_files.py.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import urllib.error
import urllib.request
from collections import defaultdict

import pytest

from bench import load
from bench.browser.proxy import ServeMany, nginx_path
from bench.browser.session import AppSession, digit_drawing

SESSIONS = 16  # all on one process by chance: 2 in 2^16


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if nginx_path() is None:
        message = "nginx is missing: install the Debian package `nginx` (apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must test the scale-out recipe")
        pytest.skip(message)
    serving = ServeMany(2, tmp_path_factory.mktemp("serve-many"))
    serving.start(timeout=180)
    yield serving
    serving.stop()


def _get(url: str, cookies: dict[str, str] | None = None) -> int:
    """The status of ``GET url`` (no proxy from the environment)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_sessions_through_nginx_get_their_own_answers_and_spread_over_both_processes(cluster):
    level = load.run_level(cluster.url, SESSIONS, 120.0, 1, [cluster.process.pid], cluster.memory, itertools.count())
    assert level.open_errors == []
    for session in level.answers:
        assert [answer.error for answer in session] == [None], cluster.log_tail()
        assert session[0].digit_read == session[0].digit_sent
    pages = [route for route in _closed_routes(cluster, SESSIONS) if route.path == "/_stcore/stream"]
    assert len(pages) == SESSIONS and all(route.status == 101 for route in pages)
    upstreams_by_route = defaultdict(set)
    for route in cluster.routes():
        upstreams_by_route[route.route].add(route.upstream)
    assert all(len(upstreams) == 1 for upstreams in upstreams_by_route.values())  # sticky: GET / and its WebSocket
    assert all(count > 0 for count in cluster.streams_per_process().values()), cluster.streams_per_process()


def _closed_routes(cluster: ServeMany, streams: int, timeout: float = 10.0):
    """The access log once ``streams`` WebSockets are in it (nginx logs one when it closes)."""
    for _ in range(int(timeout / 0.1)):
        routes = cluster.routes()
        if sum(route.path == "/_stcore/stream" for route in routes) >= streams:
            return routes
        time.sleep(0.1)
    return cluster.routes()


@pytest.mark.slow
def test_a_pages_images_come_from_its_own_process(cluster):
    """The result's images live in the process that drew them: the route cookie takes the page's requests there."""

    async def draw_and_fetch() -> tuple[dict[str, str], list[str], list[int], list[list[int]]]:
        async with AppSession(cluster.url) as session:
            answer = await session.draw(digit_drawing(10_001))  # a 1 no other test draws
            assert answer.error is None and answer.digit_read == 1 and answer.media
            urls = [cluster.url.rstrip("/") + path for path in answer.media]
            through_proxy = [await asyncio.to_thread(_get, url, session.cookies) for url in urls]
            direct = [  # per image, its status at each process
                [await asyncio.to_thread(_get, backend.rstrip("/") + path) for backend in cluster.backend_urls]
                for path in answer.media
            ]
            return session.cookies, urls, through_proxy, direct

    cookies, urls, through_proxy, direct = asyncio.run(draw_and_fetch())
    assert "bnn_route" in cookies
    assert through_proxy == [200] * len(urls)
    assert all(sorted(statuses) == [200, 404] for statuses in direct), direct  # each on one process only
