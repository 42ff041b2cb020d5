"""Plotly figures built from a Prediction, an evaluation or shift report, or posterior parameters. No Streamlit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from bnn.config import NUM_CLASSES, PREDICTION_SAMPLES, READINGS_SHOWN, parse_network_name

if TYPE_CHECKING:  # the types only: importing bnn.model.predict loads TensorFlow
    from bnn.model.card import ModelCard
    from bnn.model.predict import Prediction
    from bnn.reading.number import NumberReading
    from bnn.reading.verdict import Thresholds
    from bnn.reading.whatif import Exploration

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
    a deep copy (``to_dict``) before writing its JSON: together seven times the cost of writing the JSON alone, on
    every stroke. ``st.plotly_chart`` validates a plain dict by building a ``go.Figure`` from it, but takes any
    ``go.Figure`` through ``to_dict``, which here returns the spec itself. ``to_json`` and ``to_plotly_json`` work
    as on any figure. ``data`` and ``layout`` (for reading, as tests do) come from a validated copy built on
    first use; nothing else of ``go.Figure``'s interface is offered. Written in validated form (titles as
    ``{"text": ...}``, nested dicts instead of ``marker_color``), validation would change nothing:
    ``tests/test_plots.py`` checks that.
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


def votes_figure(prediction: Prediction, index: int = 0) -> go.Figure:
    """Histogram of sampled predictions: for each digit, how many of the T weight samples voted for it."""
    votes = prediction.votes[index]
    bars = {
        "type": "bar",
        "x": DIGITS,
        "y": votes,
        "text": [str(count) if count else "" for count in votes],
        "textposition": "outside",
        "marker": {"color": MODEL_COLOURS["bayesian"]},
        "hovertemplate": "digit %{x}: %{y} votes<extra></extra>",
    }
    layout = {
        "title": {"text": f"Votes of T = {prediction.num_samples} sampled networks"},
        "xaxis": _DIGIT_AXIS,
        "yaxis": {"title": {"text": "votes"}, "range": [0, prediction.num_samples * 1.15]},
        **_COMPACT,
    }
    return PlainFigure([bars], layout)


def number_readings_figure(reading: NumberReading, shown: int = READINGS_SHOWN) -> go.Figure:
    """The ``shown`` numbers the T sampled networks read most often, with how many read each (the number's
    posterior); the reading of the averaged probabilities is marked."""
    readings = reading.sampled_readings[:shown]
    labels = [text for text, _ in readings]
    counts = [count for _, count in readings]
    colours = [MODEL_COLOURS["bayesian"] if text == reading.mean_reading else "#9ecae1" for text in labels]
    bars = {
        "type": "bar",
        "x": labels,
        "y": counts,
        "text": [str(count) for count in counts],
        "textposition": "outside",
        "marker": {"color": colours},
        "hovertemplate": "%{x}: %{y} sampled networks<extra></extra>",
    }
    layout = {
        "title": {"text": f"Most frequent readings of T = {reading.num_samples} sampled networks"},
        "xaxis": {"title": {"text": "number read"}, "type": "category"},
        "yaxis": {"title": {"text": "sampled networks"}, "range": [0, reading.num_samples * 1.15]},
        **_COMPACT,
    }
    return PlainFigure([bars], layout)


def sampled_probabilities_figure(prediction: Prediction, index: int = 0) -> go.Figure:
    """Per digit, the distribution of its probability over the T weight samples, as box plots.

    The boxes are computed here (quartiles, whiskers at the smallest and largest sample), so the figure
    sent to the browser has the same small size for T = 10 and T = 1000.
    """
    probabilities = prediction.samples[:, index, :].astype(np.float64)  # (T, 10)
    low, q1, median, q3, high = np.percentile(probabilities, [0, 25, 50, 75, 100], axis=0)
    boxes = {
        "type": "box",
        "x": DIGITS,
        "q1": q1,
        "median": median,
        "q3": q3,
        "lowerfence": low,
        "upperfence": high,
        "mean": probabilities.mean(axis=0),
        "marker": {"color": MODEL_COLOURS["bayesian"]},
        "name": "sampled probabilities",
        "showlegend": False,
    }
    layout = {
        "title": {"text": "Sampled probabilities per digit"},
        "xaxis": _DIGIT_AXIS,
        "yaxis": {"title": {"text": "probability"}, "range": [-0.02, 1.02]},
        **_COMPACT,
    }
    return PlainFigure([boxes], layout)


def uncertainty_figure(prediction: Prediction, thresholds: Thresholds | None = None, index: int = 0) -> go.Figure:
    """The uncertainty split: predictive entropy = aleatoric (expected entropy) + epistemic (mutual information).

    The total bar is stacked from its two parts; markers show the model card's thresholds, when given.
    """
    aleatoric = float(prediction.aleatoric[index])
    epistemic = float(prediction.epistemic[index])
    rows = ["epistemic", "aleatoric", "total"]
    traces = [
        {
            "type": "bar",
            "y": [part, "total"],
            "x": [value, value],
            "orientation": "h",
            "name": f"{part} ({'expected entropy' if part == 'aleatoric' else 'mutual information'})",
            "marker": {"color": UNCERTAINTY_COLOURS[part]},
            "hovertemplate": f"{part}: %{{x:.3f}} nats<extra></extra>",
        }
        for part, value in (("aleatoric", aleatoric), ("epistemic", epistemic))
    ]
    marks = (
        [] if thresholds is None else [("total", thresholds.predictive_entropy), ("epistemic", thresholds.epistemic)]
    )
    marks = [(row, value) for row, value in marks if value is not None]
    if marks:
        traces.append(
            {
                "type": "scatter",
                "y": [row for row, _ in marks],
                "x": [value for _, value in marks],
                "mode": "markers",
                "marker": {
                    "symbol": "line-ns-open",
                    "size": 28,
                    "line": {"width": 3},
                    "color": UNCERTAINTY_COLOURS["threshold"],
                },
                "name": "threshold (validation set)",
                "hovertemplate": "threshold %{x:.3f} nats<extra></extra>",
            }
        )
    layout = {
        "title": {"text": f"Uncertainty split: total {aleatoric + epistemic:.3f} nats"},
        "barmode": "stack",
        "xaxis": {"title": {"text": "nats"}, "range": [0, np.log(NUM_CLASSES) * 1.02]},
        "yaxis": {"categoryorder": "array", "categoryarray": rows},
        "legend": {"orientation": "h", "y": -0.35},
        **_COMPACT,
        "height": 320,
        "margin": _LEGEND_BELOW_MARGIN,
    }
    return PlainFigure(traces, layout)


def softmax_comparison_figure(sampled: Prediction, deterministic: Prediction, name: str, index: int = 0) -> go.Figure:
    """The deterministic network's softmax beside the sampled network's mean (error bars: 5-95 % of the samples);
    ``name`` is the page's word for the sampled network (``bnn.reading.verdict.answer_name``)."""
    samples = sampled.samples[:, index, :].astype(np.float64)
    mean = sampled.mean_probs[index].astype(np.float64)
    lower, upper = np.percentile(samples, INTERVAL, axis=0)
    traces = [
        {
            "type": "bar",
            "x": DIGITS,
            "y": mean,
            "name": f"{name} mean (T = {sampled.num_samples})",
            "marker": {"color": MODEL_COLOURS["bayesian"]},
            "error_y": {
                "type": "data",
                "array": np.maximum(upper - mean, 0),
                "arrayminus": np.maximum(mean - lower, 0),
                "thickness": 1,
            },
            "hovertemplate": f"digit %{{x}}: %{{y:.3f}}<extra>{name} mean</extra>",
        },
        {
            "type": "bar",
            "x": DIGITS,
            "y": deterministic.mean_probs[index],
            "name": "deterministic softmax",
            "marker": {"color": MODEL_COLOURS["deterministic"]},
            "hovertemplate": "digit %{x}: %{y:.3f}<extra>deterministic</extra>",
        },
    ]
    layout = {
        "title": {"text": f"Deterministic softmax vs {name} mean"},
        "barmode": "group",
        "xaxis": _DIGIT_AXIS,
        "yaxis": {"title": {"text": "probability"}, "range": [0, 1.05]},
        "legend": {"orientation": "h", "y": -0.3},
        **_COMPACT,
        "height": 330,
        "margin": _LEGEND_BELOW_MARGIN,
    }
    return PlainFigure(traces, layout)


def reliability_figure(report: dict) -> go.Figure:
    """Reliability diagram: accuracy against confidence per bin, one trace per model in ``report``."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", line={"dash": "dash", "color": "grey"})
    )
    for kind, metrics in report["models"].items():
        bins = metrics["reliability"]
        used = np.asarray(bins["count"]) > 0
        figure.add_trace(
            go.Scatter(
                x=np.asarray(bins["confidence"])[used],
                y=np.asarray(bins["accuracy"])[used],
                mode="lines+markers",
                name=f"{kind} (ECE {metrics['ece']:.4f})",
                marker={"size": 4 + 10 * np.sqrt(np.asarray(bins["count"])[used] / max(sum(bins["count"]), 1))},
                line={"color": MODEL_COLOURS.get(kind)},
                customdata=np.asarray(bins["count"])[used],
                hovertemplate="confidence %{x:.3f}<br>accuracy %{y:.3f}<br>%{customdata} images<extra></extra>",
            )
        )
    figure.update_layout(
        title=f"Reliability on {report['test_size']} MNIST test images (T = {report['num_samples']})",
        xaxis_title="confidence (mean probability of the predicted digit)",
        yaxis_title="accuracy",
        xaxis_range=[0, 1.01],
        yaxis_range=[0, 1.01],
    )
    return figure


WEIGHT_QUANTITIES = {"mean": "mean mu", "std": "std sigma", "snr": "|mu| / sigma"}  # rows of the weight figure


def weight_posterior_figure(weights: dict[str, list[dict]], title: str = "") -> go.Figure:
    """Per layer (columns), histograms of the posterior means, standard deviations and signal-to-noise ratios (rows).

    ``weights`` maps a kind to its layers as ``bnn.evaluation.insight.weight_posterior`` gives them (the ``weights`` of an
    insight JSON); a deterministic network has its weights in the mean row only. Sigma and SNR are on log axes.
    """
    layers = [layer["name"] for layer in next(iter(weights.values()))]
    rows = [
        quantity for quantity in WEIGHT_QUANTITIES if any(quantity in layer for ls in weights.values() for layer in ls)
    ]
    figure = make_subplots(
        rows=len(rows),
        cols=len(layers),
        subplot_titles=[f"{layer}: {WEIGHT_QUANTITIES[quantity]}" for quantity in rows for layer in layers],
        vertical_spacing=0.12,
    )
    for kind, kind_layers in weights.items():
        for layer in kind_layers:
            for row, quantity in enumerate(rows, start=1):
                if quantity not in layer:
                    continue
                figure.add_trace(
                    _step_histogram(
                        layer[quantity],
                        name=kind,
                        legendgroup=kind,
                        showlegend=row == 1 and layer["name"] == layers[0],
                        line={"color": MODEL_COLOURS.get(kind)},
                        hovertemplate=f"{WEIGHT_QUANTITIES[quantity]} %{{x:.3g}}: %{{y}} weights<extra>{kind}</extra>",
                    ),
                    row=row,
                    col=layers.index(layer["name"]) + 1,
                )
    for row, quantity in enumerate(rows, start=1):
        if quantity != "mean":
            figure.update_xaxes(type="log", row=row)
    figure.update_yaxes(rangemode="tozero")
    figure.update_layout(
        title=title or "Weight posterior per layer: means, standard deviations and signal-to-noise ratios",
        height=230 * len(rows) + 120,
        legend={"orientation": "h", "y": -0.08},
    )
    return figure


def rotation_figure(shift_report: dict, arch: str | None = None) -> go.Figure:
    """Accuracy (left) and mean mutual information in nats (right) against rotation angle, one line per network.

    Reads the ``rotation`` rows of a ``bnn.evaluation.shift`` report, with its ``clean`` row drawn at 0 degrees; ``arch``
    ("mlp" or "conv") keeps that architecture's networks only (every shipped kind).
    Colour tells Bayesian from deterministic; dashes tell the architectures apart.
    """
    rows = [row for row in shift_report["rows"] if row["corruption"] in ("clean", "rotation")]
    if arch is not None:
        rows = [row for row in rows if parse_network_name(row["network"])[0] == arch]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("accuracy", "mean mutual information (nats)"))
    for network in dict.fromkeys(row["network"] for row in rows):
        arch, kind = parse_network_name(network)
        points = sorted((row for row in rows if row["network"] == network), key=_rotation_degrees)
        for column, key in enumerate(("accuracy", "mean_mutual_information"), start=1):
            figure.add_trace(
                go.Scatter(
                    x=[_rotation_degrees(row) for row in points],
                    y=[row[key] for row in points],
                    mode="lines+markers",
                    name=network,
                    legendgroup=network,
                    showlegend=column == 1,
                    line={"color": MODEL_COLOURS.get(kind), "dash": ARCH_DASHES.get(arch, "dot")},
                    hovertemplate=f"%{{x:.0f}} degrees: %{{y:.3f}}<extra>{network}</extra>",
                ),
                row=1,
                col=column,
            )
    figure.update_xaxes(title="rotation (degrees, counter-clockwise positive)", tickmode="linear", dtick=30)
    figure.update_yaxes(range=[0, 1.02], row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=2)
    figure.update_layout(
        title=f"Rotated MNIST test digits ({shift_report.get('num_images', '?')} images, "
        f"T = {shift_report.get('num_samples', '?')})",
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def _rotation_degrees(row: dict) -> float:
    """The angle of a shift report's row: its severity for a rotation, 0 for the clean digits."""
    return 0.0 if row["corruption"] == "clean" else float(row["severity"])


def exploration_figure(exploration: Exploration, name: str) -> go.Figure:
    """What if? One row per sweep of ``bnn.reading.whatif``: uncertainty in nats (left) and confidence (right).

    Left: the sampled network's predictive entropy and mutual information (``name``: the page's word for it,
    ``bnn.reading.verdict.answer_name``); right: the probability each network gives its own answer. The input as drawn is
    one step of every sweep; a step with no ink left (``bnn.image.is_blank_ink``) is a gap, as the page reads no
    digit in it. The panels are laid out by hand (axis domains) rather than with ``make_subplots``, which costs
    more than the rest of the figure.
    """
    sweeps = exploration.sweeps
    gap = 0.07
    height = (1 - gap * (len(sweeps) - 1)) / len(sweeps)
    columns = (
        ("uncertainty (nats)", [0, np.log(NUM_CLASSES) * 1.02], ("predictive_entropy", "epistemic"), (0.0, 0.46)),
        ("confidence", [0, 1.02], ("probability", "deterministic_probability"), (0.54, 1.0)),
    )
    lines = {
        "predictive_entropy": (f"{name} predictive entropy (nats)", MODEL_COLOURS["bayesian"], "solid"),
        "epistemic": (f"{name} mutual information (nats)", UNCERTAINTY_COLOURS["epistemic"], "solid"),
        "probability": (f"{name} probability of its digit", MODEL_COLOURS["bayesian"], "dot"),
        "deterministic_probability": ("deterministic max probability", MODEL_COLOURS["deterministic"], "dot"),
    }
    traces, layout, titles = [], {}, []
    for row, answers in enumerate(sweeps):
        top = 1 - row * (height + gap)
        labels, blank = answers.sweep.labels(), answers.sweep.blank
        for column, (unit, value_range, fields, x_domain) in enumerate(columns):
            panel = 2 * row + column + 1
            suffix = "" if panel == 1 else str(panel)
            layout[f"xaxis{suffix}"] = {"domain": x_domain, "anchor": f"y{suffix}", "tickfont": {"size": 9}}
            layout[f"yaxis{suffix}"] = {"domain": [top - height, top], "anchor": f"x{suffix}", "range": value_range}
            titles.append(
                {
                    "text": f"{answers.sweep.title}: {unit}",
                    "x": sum(x_domain) / 2,
                    "y": top,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 12},
                }
            )
            for field in fields:
                name, colour, dash = lines[field]
                digits = answers.deterministic_digit if field == "deterministic_probability" else answers.digit
                traces.append(
                    {
                        "type": "scatter",
                        "x": labels,
                        "y": np.where(blank, np.nan, getattr(answers, field)),  # no ink left: a gap
                        "customdata": digits,
                        "mode": "lines+markers",
                        "name": name,
                        "legendgroup": field,
                        "showlegend": row == 0,
                        "line": {"color": colour, "dash": dash},
                        "xaxis": f"x{suffix}",
                        "yaxis": f"y{suffix}",
                        "hovertemplate": f"%{{x}}: %{{y:.3f}}, digit %{{customdata}}<extra>{name}</extra>",
                    }
                )
    layout.update(
        title={"text": f"What if? How the answer changes with the input (T = {exploration.num_samples})"},
        annotations=titles,
        legend={"orientation": "h", "y": -0.08},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        height=170 * len(sweeps) + 120,
    )
    return PlainFigure(traces, layout)


# --- the "Inside the model" tab: figures from an insight JSON (bnn.evaluation.insight) and model cards ---------------

SCORE_LABELS = {
    "predictive_entropy": "predictive entropy",
    "mutual_information": "mutual information",
    "max_probability": "max probability",
}
SCORE_DASHES = {"predictive_entropy": "solid", "mutual_information": "dot", "max_probability": "solid"}


def _step_histogram(histogram: dict, log_counts: bool = False, **trace) -> go.Scatter:
    """A precomputed histogram (``{"edges", "counts"}``) as a step line: it overlays cleanly and works on log axes.

    ``log_counts`` leaves empty bins out (gaps), as a log count axis cannot show zero.
    """
    counts = [None if log_counts and count == 0 else count for count in histogram["counts"]]
    return go.Scatter(x=histogram["edges"], y=[*counts, counts[-1]], mode="lines", line_shape="hv", **trace)


def coverage_figure(insight: dict) -> go.Figure:
    """Accuracy on the most certain x % of test digits, for each ranking of an insight's ``coverage``.

    Markers show where the model card's "not sure" thresholds cut (the digits below them are kept).
    """
    coverage = insight["coverage"]
    percent = [100 * value for value in coverage["coverage"]]
    figure = go.Figure()
    for curve in coverage["curves"]:
        name = f"{curve['kind']}, ranked by {SCORE_LABELS.get(curve['score'], curve['score'])}"
        figure.add_trace(
            go.Scatter(
                x=percent,
                y=curve["accuracy"],
                mode="lines",
                name=name,
                line={"color": MODEL_COLOURS.get(curve["kind"]), "dash": SCORE_DASHES.get(curve["score"], "solid")},
                hovertemplate=f"most certain %{{x:.0f}} %: accuracy %{{y:.4f}}<extra>{name}</extra>",
            )
        )
    for mark in coverage["thresholds"]:
        name = f'{mark["kind"]} "not sure" threshold on {SCORE_LABELS.get(mark["score"], mark["score"])}'
        figure.add_trace(
            go.Scatter(
                x=[100 * mark["coverage"]],
                y=[mark["accuracy"]],
                mode="markers",
                name=name,
                marker={
                    "color": MODEL_COLOURS.get(mark["kind"]),
                    "size": 11,
                    "symbol": "diamond" if mark["score"] == "predictive_entropy" else "circle-open",
                    "line": {"width": 2, "color": UNCERTAINTY_COLOURS["threshold"]},
                },
                hovertemplate=f"threshold {mark['threshold']:.3f} nats keeps %{{x:.1f}} %: accuracy %{{y:.4f}}"
                f"<extra>{name}</extra>",
            )
        )
    figure.update_layout(
        title=f"Accuracy against coverage on {insight['test_size']:,} MNIST test digits (T = {insight['num_samples']})",
        xaxis={"title": "test digits kept, most certain first (%)", "range": [0, 101]},
        yaxis={"title": "accuracy on the kept digits", "tickformat": ".1%"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def ood_histogram_figure(insight: dict) -> go.Figure | None:
    """Predictive entropy (left) and mutual information (right) on MNIST test (solid) vs the OOD set (dashed).

    AUROCs are in the legend, the "not sure" thresholds are dotted lines; counts on a log axis.
    None when the insight has no ``ood`` section.
    """
    ood = insight.get("ood")
    if not ood:
        return None
    scores = list(dict.fromkeys(histogram["score"] for histogram in ood["histograms"]))
    titles = [f"{SCORE_LABELS[score]} (nats)" for score in scores]
    figure = make_subplots(rows=1, cols=len(scores), subplot_titles=titles)
    auroc_keys = {"predictive_entropy": "ood_auroc_entropy", "mutual_information": "ood_auroc_mutual_information"}
    for item in ood["histograms"]:
        column = scores.index(item["score"]) + 1
        kind, colour = item["kind"], MODEL_COLOURS.get(item["kind"])
        auroc = ood["auroc"][kind].get(auroc_keys[item["score"]])
        sides = (
            ("in_distribution", "MNIST test", "solid", ""),
            ("out_of_distribution", ood["set"], "dash", f" (AUROC {auroc:.4f})" if auroc is not None else ""),
        )
        for side, label, dash, suffix in sides:
            name = f"{kind}, {label}{suffix}"
            figure.add_trace(
                _step_histogram(
                    {"edges": item["edges"], "counts": item[side]},
                    log_counts=True,
                    name=f"{name}: {SCORE_LABELS[item['score']]}",
                    line={"color": colour, "dash": dash},
                    hovertemplate=f"%{{x:.3f}} nats: %{{y}} images<extra>{name}</extra>",
                ),
                row=1,
                col=column,
            )
        threshold = insight.get("thresholds", {}).get(kind, {}).get(item["score"])
        if threshold is not None:
            figure.add_vline(x=threshold, line={"color": colour, "dash": "dot", "width": 1}, row=1, col=column)
    figure.update_yaxes(type="log", title_text="images")
    figure.update_layout(
        title=f"MNIST test vs {ood['set']} ({ood['size']:,} images each, T = {insight['num_samples']}); "
        'dotted: "not sure" thresholds',
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def pruning_figure(insight: dict) -> go.Figure:
    """Test accuracy against the share of kernel weights pruned: Bayesian by |mu| / sigma, deterministic by |w|."""
    figure = go.Figure()
    for kind, curve in insight["pruning"].items():
        labels = [f"{100 * fraction:g} %" for fraction in curve["fractions"]]
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=curve["accuracy"],
                mode="lines+markers",
                name=f"{kind}, pruned by {curve['score']}",
                line={"color": MODEL_COLOURS.get(kind)},
                customdata=curve["nll"],
                hovertemplate="%{x} pruned: accuracy %{y:.4f}, NLL %{customdata:.3f} nats<extra>" + kind + "</extra>",
            )
        )
    bayesian = insight["pruning"].get("bayesian", {})
    figure.update_layout(
        title=f"Pruning the weights of least worth ({bayesian.get('num_weights', 0):,} kernel weights, "
        f"T = {bayesian.get('num_samples', '?')}, {insight['test_size']:,} test digits)",
        xaxis={"title": "kernel weights set to zero (lowest score first)", "type": "category"},
        yaxis={"title": "test accuracy", "tickformat": ".0%", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


TRAINING_PANELS = (
    ("NLL per example (nats)", (("nll", "training", "solid"), ("val_nll", "validation", "dash"))),
    ("KL / N (nats per example)", (("kl", "training", "solid"),)),
    ("validation accuracy", (("val_accuracy", "validation", "dash"),)),
)


def training_curves_figure(cards: dict[str, ModelCard | None]) -> go.Figure | None:
    """Per epoch: training and validation NLL, KL / N and validation accuracy, one colour per kind.

    Reads the ``history`` (``{"nll", "kl", "val_nll", "val_accuracy"}``, one float per epoch) of each card in
    ``cards`` (kind -> ``bnn.model.card.ModelCard``). None when no card records a history.
    """
    histories = {kind: card.history for kind, card in cards.items() if card is not None and card.history}
    if not histories:
        return None
    figure = make_subplots(rows=1, cols=len(TRAINING_PANELS), subplot_titles=[title for title, _ in TRAINING_PANELS])
    shown = set()  # one legend entry per kind and split
    for kind, history in histories.items():
        for column, (_, series) in enumerate(TRAINING_PANELS, start=1):
            for key, split, dash in series:
                values = history.get(key)
                if not values or (key == "kl" and not any(values)):  # a deterministic network has no KL term
                    continue
                group = f"{kind}, {split}"
                figure.add_trace(
                    go.Scatter(
                        x=list(range(1, len(values) + 1)),
                        y=values,
                        mode="lines",
                        name=group,
                        legendgroup=group,
                        showlegend=group not in shown,
                        line={"color": MODEL_COLOURS.get(kind), "dash": dash},
                        hovertemplate=f"epoch %{{x}}: %{{y:.4f}}<extra>{group}</extra>",
                    ),
                    row=1,
                    col=column,
                )
                shown.add(group)
    figure.update_xaxes(title_text="epoch")
    figure.update_layout(title="Training curves (from the model cards)", legend={"orientation": "h", "y": -0.25})
    return figure


CONVERGENCE_PANELS = (
    ("accuracy", "accuracy"),
    ("nll", "NLL (nats)"),
    ("mutual_information", "mean mutual information (nats)"),
)


def convergence_figure(insight: dict) -> go.Figure:
    """Monte Carlo estimates of accuracy, NLL and mean mutual information against T (log axis), with error bars.

    The deterministic network (T = 1) is a dashed line; the dotted line marks the app's default T.
    """
    convergence = insight["convergence"]
    counts = convergence["num_samples"]
    figure = make_subplots(rows=1, cols=len(CONVERGENCE_PANELS), subplot_titles=[t for _, t in CONVERGENCE_PANELS])
    for column, (metric, _) in enumerate(CONVERGENCE_PANELS, start=1):
        estimate = convergence["bayesian"][metric]
        figure.add_trace(
            go.Scatter(
                x=counts,
                y=estimate["mean"],
                error_y={"type": "data", "array": estimate["std"], "thickness": 1},
                mode="lines+markers",
                name="bayesian (mean ± std over runs)",
                legendgroup="bayesian",
                showlegend=column == 1,
                line={"color": MODEL_COLOURS["bayesian"]},
                customdata=estimate["std"],
                hovertemplate="T = %{x}: %{y:.4f} ± %{customdata:.4f}<extra>bayesian</extra>",
            ),
            row=1,
            col=column,
        )
        deterministic = convergence.get("deterministic", {}).get(metric)
        if deterministic is not None:
            figure.add_trace(
                go.Scatter(
                    x=[counts[0], counts[-1]],
                    y=[deterministic, deterministic],
                    mode="lines",
                    name="deterministic (T = 1)",
                    legendgroup="deterministic",
                    showlegend=column == 1,
                    line={"color": MODEL_COLOURS["deterministic"], "dash": "dash"},
                    hovertemplate=f"{deterministic:.4f}<extra>deterministic</extra>",
                ),
                row=1,
                col=column,
            )
        figure.add_vline(x=PREDICTION_SAMPLES, line={"color": "grey", "dash": "dot", "width": 1}, row=1, col=column)
    figure.update_xaxes(type="log", title_text="weight samples T")
    figure.update_layout(
        title=f"Monte Carlo convergence on {convergence['num_images']:,} test digits "
        f"({convergence['num_seeds']} runs per T); dotted: the app's default T",
        legend={"orientation": "h", "y": -0.25},
    )
    return figure
