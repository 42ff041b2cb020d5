"""Summaries of repeated measurements: the one percentile helper of every benchmark part."""

from __future__ import annotations

import numpy as np


def percentiles(values: list[float], levels: tuple[int, ...] = (50, 90)) -> dict:
    """``p<level>`` for each of ``levels``, then min, max and count of ``values`` (in their own unit); None when
    there are none."""
    if not values:
        return {**{f"p{level}": None for level in levels}, "min": None, "max": None, "count": 0}
    return {
        **{f"p{level}": float(np.percentile(values, level)) for level in levels},
        "min": float(min(values)),
        "max": float(max(values)),
        "count": len(values),
    }
