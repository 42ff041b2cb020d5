"""Plotly figures built from a Prediction, an evaluation or shift report, or posterior parameters. No Streamlit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnn.config import NUM_CLASSES

if TYPE_CHECKING:  # the types only: importing bnn.predict loads TensorFlow
    from bnn.explore import Exploration
    from bnn.predict import Prediction
    from bnn.verdict import Thresholds

MODEL_COLOURS = {"bayesian": "#1f77b4", "deterministic": "#ff7f0e"}
ARCH_DASHES = {"mlp": "solid", "conv": "dash"}
UNCERTAINTY_COLOURS = {"aleatoric": "#9467bd", "epistemic": "#d62728", "threshold": "#222222"}
DIGITS = list(range(NUM_CLASSES))
INTERVAL = (5, 95)  # percentiles of the sampled probabilities drawn as error bars on the Bayesian mean
_COMPACT = {"margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "height": 300}
_DIGIT_AXIS = {"title": "digit", "tickmode": "array", "tickvals": DIGITS, "range": [-0.6, NUM_CLASSES - 0.4]}


def votes_figure(prediction: Prediction, index: int = 0) -> go.Figure:
    """Histogram of sampled predictions: for each digit, how many of the T weight samples voted for it."""
    votes = prediction.votes[index]
    figure = go.Figure(
        go.Bar(
            x=DIGITS,
            y=votes,
            text=[str(count) if count else "" for count in votes],
            textposition="outside",
            marker_color=MODEL_COLOURS["bayesian"],
            hovertemplate="digit %{x}: %{y} votes<extra></extra>",
        )
    )
    figure.update_layout(
        title=f"Votes of T = {prediction.num_samples} sampled networks",
        xaxis=_DIGIT_AXIS,
        yaxis={"title": "votes", "range": [0, prediction.num_samples * 1.15]},
        **_COMPACT,
    )
    return figure


def sampled_probabilities_figure(prediction: Prediction, index: int = 0) -> go.Figure:
    """Per digit, the distribution of its probability over the T weight samples, as box plots.

    The boxes are computed here (quartiles, whiskers at the smallest and largest sample), so the figure
    sent to the browser has the same small size for T = 10 and T = 1000.
    """
    probabilities = prediction.samples[:, index, :].astype(np.float64)  # (T, 10)
    low, q1, median, q3, high = np.percentile(probabilities, [0, 25, 50, 75, 100], axis=0)
    figure = go.Figure(
        go.Box(
            x=DIGITS,
            q1=q1,
            median=median,
            q3=q3,
            lowerfence=low,
            upperfence=high,
            mean=probabilities.mean(axis=0),
            marker_color=MODEL_COLOURS["bayesian"],
            name="sampled probabilities",
            showlegend=False,
        )
    )
    figure.update_layout(
        title="Sampled probabilities per digit",
        xaxis=_DIGIT_AXIS,
        yaxis={"title": "probability", "range": [-0.02, 1.02]},
        **_COMPACT,
    )
    return figure


def uncertainty_figure(prediction: Prediction, thresholds: Thresholds | None = None, index: int = 0) -> go.Figure:
    """The uncertainty split: predictive entropy = aleatoric (expected entropy) + epistemic (mutual information).

    The total bar is stacked from its two parts; markers show the model card's thresholds, when given.
    """
    aleatoric = float(prediction.aleatoric[index])
    epistemic = float(prediction.epistemic[index])
    rows = ["epistemic", "aleatoric", "total"]
    figure = go.Figure()
    for part, value in (("aleatoric", aleatoric), ("epistemic", epistemic)):
        figure.add_trace(
            go.Bar(
                y=[part, "total"],
                x=[value, value],
                orientation="h",
                name=f"{part} ({'expected entropy' if part == 'aleatoric' else 'mutual information'})",
                marker_color=UNCERTAINTY_COLOURS[part],
                hovertemplate=f"{part}: %{{x:.3f}} nats<extra></extra>",
            )
        )
    marks = (
        [] if thresholds is None else [("total", thresholds.predictive_entropy), ("epistemic", thresholds.epistemic)]
    )
    marks = [(row, value) for row, value in marks if value is not None]
    if marks:
        figure.add_trace(
            go.Scatter(
                y=[row for row, _ in marks],
                x=[value for _, value in marks],
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 28, "line": {"width": 3}},
                marker_color=UNCERTAINTY_COLOURS["threshold"],
                name="threshold (validation set)",
                hovertemplate="threshold %{x:.3f} nats<extra></extra>",
            )
        )
    figure.update_layout(
        title=f"Uncertainty split: total {aleatoric + epistemic:.3f} nats",
        barmode="stack",
        xaxis={"title": "nats", "range": [0, np.log(NUM_CLASSES) * 1.02]},
        yaxis={"categoryorder": "array", "categoryarray": rows},
        legend={"orientation": "h", "y": -0.35},
        **{**_COMPACT, "height": 320},
    )
    return figure


def softmax_comparison_figure(bayesian: Prediction, deterministic: Prediction, index: int = 0) -> go.Figure:
    """The deterministic network's softmax beside the Bayesian mean (error bars: 5-95 % of the samples)."""
    samples = bayesian.samples[:, index, :].astype(np.float64)
    mean = bayesian.mean_probs[index].astype(np.float64)
    lower, upper = np.percentile(samples, INTERVAL, axis=0)
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=DIGITS,
            y=mean,
            name=f"Bayesian mean (T = {bayesian.num_samples})",
            marker_color=MODEL_COLOURS["bayesian"],
            error_y={
                "type": "data",
                "array": np.maximum(upper - mean, 0),
                "arrayminus": np.maximum(mean - lower, 0),
                "thickness": 1,
            },
            hovertemplate="digit %{x}: %{y:.3f}<extra>Bayesian mean</extra>",
        )
    )
    figure.add_trace(
        go.Bar(
            x=DIGITS,
            y=deterministic.mean_probs[index],
            name="deterministic softmax",
            marker_color=MODEL_COLOURS["deterministic"],
            hovertemplate="digit %{x}: %{y:.3f}<extra>deterministic</extra>",
        )
    )
    figure.update_layout(
        title="Deterministic softmax vs Bayesian mean",
        barmode="group",
        xaxis=_DIGIT_AXIS,
        yaxis={"title": "probability", "range": [0, 1.05]},
        legend={"orientation": "h", "y": -0.3},
        **{**_COMPACT, "height": 330},
    )
    return figure


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


def weight_posterior_figure(parameters: list[dict[str, np.ndarray]], title: str = "") -> go.Figure:
    """Histograms of each layer's posterior kernel means (top) and standard deviations (bottom)."""
    figure = make_subplots(
        rows=2,
        cols=len(parameters),
        subplot_titles=[
            *(f"{layer['name']}: mean" for layer in parameters),
            *(f"{layer['name']}: std" for layer in parameters),
        ],
    )
    for column, layer in enumerate(parameters, start=1):
        figure.add_trace(
            go.Histogram(
                x=layer["kernel_mean"].ravel(), nbinsx=80, showlegend=False, marker_color=MODEL_COLOURS["bayesian"]
            ),
            row=1,
            col=column,
        )
        figure.add_trace(
            go.Histogram(x=layer["kernel_std"].ravel(), nbinsx=80, showlegend=False, marker_color="#2ca02c"),
            row=2,
            col=column,
        )
    figure.update_layout(title=title or "Weight posterior: kernel means and standard deviations per layer", bargap=0.02)
    return figure


def rotation_figure(shift_report: dict) -> go.Figure:
    """Accuracy (left) and mean mutual information in nats (right) against rotation angle, one line per network.

    Reads the ``rotation`` rows of a ``bnn.shift`` report, with its ``clean`` row drawn at 0 degrees.
    Colour tells Bayesian from deterministic; dashes tell the architectures apart.
    """
    rows = [row for row in shift_report["rows"] if row["corruption"] in ("clean", "rotation")]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("accuracy", "mean mutual information (nats)"))
    for network in dict.fromkeys(row["network"] for row in rows):
        arch, kind = network.split("-", 1)
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


def exploration_figure(exploration: Exploration) -> go.Figure:
    """What if? One column per sweep of ``bnn.explore``: uncertainty in nats (top) and probability (bottom).

    Top: the Bayesian network's predictive entropy and mutual information; bottom: the probability each
    network gives its own answer. The input as drawn is one step of every sweep.
    """
    sweeps = exploration.sweeps
    figure = make_subplots(
        rows=2,
        cols=len(sweeps),
        shared_yaxes=True,
        vertical_spacing=0.12,
        subplot_titles=[answers.sweep.title for answers in sweeps],
    )
    lines = (
        (1, "predictive_entropy", "Bayesian predictive entropy (nats)", MODEL_COLOURS["bayesian"], "solid"),
        (1, "epistemic", "Bayesian mutual information (nats)", UNCERTAINTY_COLOURS["epistemic"], "solid"),
        (2, "probability", "Bayesian probability of its digit", MODEL_COLOURS["bayesian"], "dot"),
        (2, "deterministic_probability", "deterministic max probability", MODEL_COLOURS["deterministic"], "dot"),
    )
    for column, answers in enumerate(sweeps, start=1):
        labels = answers.sweep.labels()
        for row, field, name, colour, dash in lines:
            digits = answers.deterministic_digit if field == "deterministic_probability" else answers.digit
            figure.add_trace(
                go.Scatter(
                    x=labels,
                    y=getattr(answers, field),
                    customdata=digits,
                    mode="lines+markers",
                    name=name,
                    legendgroup=field,
                    showlegend=column == 1,
                    line={"color": colour, "dash": dash},
                    hovertemplate=f"%{{x}}: %{{y:.3f}}, digit %{{customdata}}<extra>{name}</extra>",
                ),
                row=row,
                col=column,
            )
    figure.update_yaxes(range=[0, np.log(NUM_CLASSES) * 1.02], row=1, col=1, title="nats")
    figure.update_yaxes(range=[0, 1.02], row=2, col=1, title="probability")
    figure.update_xaxes(tickangle=-45, tickfont={"size": 9})
    figure.update_layout(
        title=f"What if? How the answer changes with the input (T = {exploration.num_samples})",
        legend={"orientation": "h", "y": -0.3},
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        height=460,
    )
    return figure
