"""The committed benchmark run (bench/results.json) is a full one: every part ran."""

import json

from helpers import ROOT

from bench import __main__ as bench


def test_the_committed_benchmark_run_is_a_full_one():
    committed = json.loads((ROOT / "bench" / "results.json").read_text())
    assert committed["quick"] is False and set(bench.PARTS) <= set(committed)
    assert all("error" not in committed[part] and "skipped" not in committed[part] for part in bench.PARTS)
