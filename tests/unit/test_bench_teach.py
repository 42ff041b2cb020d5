"""The teaching benchmark's report lines (bench/teach.py, bench/teach_load.py): each target said met or not from
the figures, and the WebSocket block only for a run that measured it."""

from __future__ import annotations

import copy
import json

from helpers import ROOT

from bench import teach, teach_load


def _committed() -> dict:
    return json.loads((ROOT / "bench" / "results.json").read_text())["teach"]


def test_the_committed_run_measured_teaching_over_the_websocket_and_prints_it():
    result = _committed()
    lines = teach.table_lines(result)
    websocket = result["websocket"]
    assert any(line.startswith("  over the WebSocket") for line in lines)
    assert websocket["lessons"] > 0 and websocket["memory"]["sessions"] == teach_load.SESSIONS
    assert websocket["drawers"] == teach_load.READERS and websocket["memory"]["errors"] == 0


def test_the_websocket_targets_are_judged_from_the_figures_and_a_miss_is_said_so():
    assert teach_load.targets_met(2.0, 10.0) == {"drawer_p95_ratio": True, "session_mib": True}
    assert teach_load.targets_met(2.01, 10.5) == {"drawer_p95_ratio": False, "session_mib": False}
    result = copy.deepcopy(_committed()["websocket"])
    result["drawer_p95_ratio"] = 3.0
    result["targets_met"] = teach_load.targets_met(3.0, result["memory"]["per_session_mib"])
    drawers = next(line for line in teach_load.table_lines(result) if "sessions drawing" in line)
    assert "3.00x" in drawers and "NOT met" in drawers


def test_a_run_from_before_the_websocket_figures_prints_without_them():
    result = copy.deepcopy(_committed())
    del result["websocket"]
    assert not any(line.startswith("  over the WebSocket") for line in teach.table_lines(result))
