"""What every figure shares: colours by network kind and uncertainty, compact margins, and `PlainFigure`, the
cheap figure every answer's charts are built as."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from bnn.config import NUM_CLASSES

MODEL_COLOURS = {"bayesian": "#1f77b4", "deterministic": "#ff7f0e", "mc-dropout": "#2ca02c", "ensemble": "#8c564b"}
ARCH_DASHES = {"mlp": "solid", "conv": "dash"}
UNCERTAINTY_COLOURS = {"aleatoric": "#9467bd", "epistemic": "#d62728", "threshold": "#222222"}
DIGITS = list(range(NUM_CLASSES))
INTERVAL = (5, 95)  # percentiles of the sampled probabilities drawn as error bars on the Bayesian mean
# Margins that already hold the axis titles, tick labels and legends below the plot: Plotly widens margins that
# are too small to fit them, but only by drawing the chart twice, the costliest step of a result's charts.
_COMPACT = {"margin": {"l": 75, "r": 10, "t": 50, "b": 70}, "height": 300}
_LEGEND_BELOW_MARGIN = {**_COMPACT["margin"], "b": 135}
_DIGIT_AXIS = {"title": {"text": "digit"}, "tickmode": "array", "tickvals": DIGITS, "range": [-0.6, NUM_CLASSES - 0.4]}


_TEMPLATES: dict[str, dict] = {}  # Plotly's templates by name, as JSON: built once, shared by every PlainFigure


def _default_template() -> dict | None:
    """``plotly.io.templates.default`` as JSON, the template a go.Figure built now would carry (None for "none")."""
    name = pio.templates.default
    if not name or name == "none":
        return None
    if name not in _TEMPLATES:
        _TEMPLATES[name] = pio.templates[name].to_plotly_json()
    return _TEMPLATES[name]


class PlainFigure(go.Figure):
    """A figure kept as the JSON that Plotly.js reads: traces and layout as plain dicts, nothing validated or copied.

    The figures of every answer (a result's four, What if?'s, the Number tab's) are built this way. A real
    ``go.Figure`` turns each trace into a validated object, and ``st.plotly_chart`` turns it back into a dict with
    a deep copy (``to_dict``) before writing its JSON: together far costlier than writing the JSON alone, on every
    stroke. ``st.plotly_chart`` validates a plain dict by building a ``go.Figure`` from it, but takes any
    ``go.Figure`` through ``to_dict``, which here returns the spec itself. ``to_json`` and ``to_plotly_json`` work
    as on any figure. ``data`` and ``layout`` (for reading, as tests do) come from a validated copy built on
    first use; nothing else of ``go.Figure``'s interface is offered. Written in validated form (titles as
    ``{"text": ...}``, nested dicts instead of ``marker_color``), validation would change nothing:
    ``tests/unit/test_plots.py`` checks that.
    """

    def __init__(self, data: list[dict], layout: dict):  # go.Figure.__init__ (the validation) is skipped on purpose
        template = _default_template()  # as go.Figure does: Plotly's default, the "streamlit" one under Streamlit
        self._spec = {"data": data, "layout": {"template": template, **layout} if template else layout}
        self._validate = False
        self._checked: go.Figure | None = None

    def to_dict(self) -> dict:
        return self._spec

    def validated(self) -> go.Figure:
        """The same figure as a real, validated ``go.Figure`` (raises on any property Plotly does not know)."""
        if self._checked is None:
            self._checked = go.Figure(self._spec)
        return self._checked

    @property
    def data(self):
        return self.validated().data

    @property
    def layout(self):
        return self.validated().layout

    def __repr__(self) -> str:
        return f"PlainFigure({len(self._spec['data'])} traces)"
