"""Figures of the committed reports: reliability, the weight posterior, rotation, and the "Inside the model" tab's
charts (coverage, out-of-distribution histograms, pruning, training curves, convergence in T)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bnn.config import PREDICTION_SAMPLES, parse_network_name
from bnn.figures.style import ARCH_DASHES, MODEL_COLOURS, UNCERTAINTY_COLOURS

if TYPE_CHECKING:
    from bnn.model.card import ModelCard


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


def teaching_figure(report: dict, summary: dict) -> go.Figure:
    """Learning curves of the teaching report: per style (a column), the accuracy on the rest of the style against
    k examples taught per class (top; the untaught network dotted) and the MNIST test accuracy lost (bottom), for
    the variational network and its deterministic twin (means over the draws)."""
    styles = list(summary)
    figure = make_subplots(
        rows=2,
        cols=len(styles),
        shared_xaxes=True,
        subplot_titles=[*styles, *([""] * len(styles))],
        vertical_spacing=0.12,
    )
    for column, style in enumerate(styles, start=1):
        for kind, by_k in summary[style].items():
            ks = [int(k) for k in by_k]
            colour = MODEL_COLOURS.get(kind)
            traces = (
                (1, [by_k[k]["accuracy"] for k in by_k], "solid", f"{kind}, taught"),
                (1, [by_k[k]["untaught_accuracy"] for k in by_k], "dot", f"{kind}, untaught"),
                (2, [100 * by_k[k]["mnist_fall"] for k in by_k], "solid", f"{kind}, MNIST points lost"),
            )
            for row, values, dash, name in traces:
                figure.add_trace(
                    go.Scatter(
                        x=ks,
                        y=values,
                        mode="lines+markers",
                        name=name,
                        legendgroup=name,
                        showlegend=column == 1,
                        line={"color": colour, "dash": dash},
                        hovertemplate=f"k = %{{x}}: %{{y:.3f}}<extra>{name}</extra>",
                    ),
                    row=row,
                    col=column,
                )
    figure.update_xaxes(title="examples taught per class (k)", type="log", tickvals=report["examples_per_class"], row=2)
    figure.update_yaxes(title="accuracy on the rest", row=1, col=1)
    figure.update_yaxes(title="MNIST points lost", row=2, col=1)
    figure.update_layout(
        title=f"Teaching a style the networks never saw ({report['draws']} draws per k, T = {report['num_samples']})",
        legend={"orientation": "h", "y": -0.2},
        height=650,
    )
    return figure
