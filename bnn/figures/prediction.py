"""Charts of one answer: the votes of the T sampled networks, each digit's sampled probabilities, the uncertainty
split, the deterministic softmax beside the posterior mean, a number's readings, What if?'s sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from bnn.config import NUM_CLASSES, READINGS_SHOWN
from bnn.figures.style import (
    _COMPACT,
    _DIGIT_AXIS,
    _LEGEND_BELOW_MARGIN,
    DIGITS,
    INTERVAL,
    MODEL_COLOURS,
    UNCERTAINTY_COLOURS,
    PlainFigure,
)

if TYPE_CHECKING:  # the types only: importing bnn.model.predict loads TensorFlow
    from bnn.model.predict import Prediction
    from bnn.reading.number import NumberReading
    from bnn.reading.verdict import Thresholds
    from bnn.reading.whatif import Exploration


def votes_figure(prediction: Prediction, index: int = 0, title: str | None = None) -> go.Figure:
    """Histogram of sampled predictions: for each digit, how many of the T weight samples voted for it; ``title``
    replaces the default one (a lesson's before and after)."""
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
        "title": {"text": title or f"Votes of T = {prediction.num_samples} sampled networks"},
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
    expected_entropy = float(prediction.expected_entropy[index])
    mutual_information = float(prediction.mutual_information[index])
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
        for part, value in (("aleatoric", expected_entropy), ("epistemic", mutual_information))
    ]
    marks = (
        []
        if thresholds is None
        else [("total", thresholds.predictive_entropy), ("epistemic", thresholds.mutual_information)]
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
        "title": {"text": f"Uncertainty split: total {expected_entropy + mutual_information:.3f} nats"},
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
        (
            "uncertainty (nats)",
            [0, np.log(NUM_CLASSES) * 1.02],
            ("predictive_entropy", "mutual_information"),
            (0.0, 0.46),
        ),
        ("confidence", [0, 1.02], ("probability", "deterministic_probability"), (0.54, 1.0)),
    )
    lines = {
        "predictive_entropy": (f"{name} predictive entropy (nats)", MODEL_COLOURS["bayesian"], "solid"),
        "mutual_information": (f"{name} mutual information (nats)", UNCERTAINTY_COLOURS["epistemic"], "solid"),
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
