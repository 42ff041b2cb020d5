"""The "Inside the model" charts, listed once for the page and the CLI: each chart's figure, built from the
committed JSON only when asked for, and the sentence under it (`bnn.figures.captions`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from bnn.figures import reports
from bnn.figures.captions import chart_captions

if TYPE_CHECKING:
    from bnn.model.card import ModelCard

INSIDE_CHARTS = ("reliability", "coverage", "ood", "rotation", "weights", "pruning", "training", "convergence")
INSIGHT_CHARTS = ("coverage", "ood", "weights", "pruning", "convergence")  # the charts of `python -m bnn insight`


@dataclass(frozen=True)
class InsideChart:
    """One chart of the tab: its name, a builder of its figure (None when its data is missing) and its caption."""

    name: str
    build: Callable[[], go.Figure | None]
    caption: str


def inside_charts(
    arch: str,
    insight: dict | None,
    report: dict | None = None,
    shift: dict | None = None,
    cards: dict[str, ModelCard] | None = None,
) -> list[InsideChart]:
    """Every chart of the tab for ``arch``, in order; data as `chart_captions` takes it."""
    builders = {
        "reliability": lambda: report and reports.reliability_figure(report),
        "coverage": lambda: insight and reports.coverage_figure(insight),
        "ood": lambda: insight and reports.ood_histogram_figure(insight),
        "rotation": lambda: shift and reports.rotation_figure(shift, arch),
        "weights": lambda: insight and reports.weight_posterior_figure(insight["weights"]),
        "pruning": lambda: insight and reports.pruning_figure(insight),
        "training": lambda: reports.training_curves_figure(cards or {}),
        "convergence": lambda: insight and reports.convergence_figure(insight),
    }
    captions = chart_captions(arch, insight, report, shift, cards)
    return [InsideChart(name, builders[name], captions[name]) for name in INSIDE_CHARTS]
