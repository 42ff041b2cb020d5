"""Words shared by the benchmark table's lines (``python -m bench`` and each part's ``table_lines``)."""

from __future__ import annotations


def verdict(met: bool | None) -> str:
    """How a target came out: "met", "NOT met", or "not measured" (None)."""
    return "not measured" if met is None else ("met" if met else "NOT met")


def plain(value) -> str:
    """A JSON value as short text: floats to 3 significant digits, dicts as ``key value, ...``."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {plain(item)}" for key, item in value.items())
    return str(value)
