"""Plotly figures built from a Prediction, an evaluation report or posterior parameters. No Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

MODEL_COLOURS = {"bayesian": "#1f77b4", "deterministic": "#ff7f0e"}


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
