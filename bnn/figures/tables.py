"""Markdown and plain-text tables of the committed reports, for the CLI and the generated docs pages."""

from __future__ import annotations

import numpy as np

from bnn.config import CANVAS_SIZE, KINDS, network_name, parse_network_name
from bnn.evaluation.confirmation import same_shift_rows, shift_rows_won
from bnn.evaluation.report import ROUND_TRIP_SIZES
from bnn.model.card import ModelCard
from bnn.model.metrics import ECE_BINS

TABLE_ROWS = (
    ("accuracy", "test accuracy", "{:.4f}"),
    ("nll", "test NLL (nats)", "{:.4f}"),
    ("brier", "Brier score", "{:.4f}"),
    ("ece", f"ECE ({ECE_BINS} bins)", "{:.4f}"),
    ("accuracy_at_95_coverage", "accuracy, 95 % most certain", "{:.4f}"),
    ("ood_auroc_entropy", "OOD AUROC, entropy", "{:.4f}"),
    ("ood_auroc_mutual_information", "OOD AUROC, mutual information", "{:.4f}"),
    ("ood_auroc_max_probability", "OOD AUROC, max probability", "{:.4f}"),
    *((f"round_trip_accuracy_{size}px", f"accuracy, preprocessed at {size} px", "{:.4f}") for size in ROUND_TRIP_SIZES),
    ("num_samples", "weight samples T", "{}"),
)


def format_table(report: dict) -> str:
    """The report's metrics as a plain-text table, one column per model."""
    names = list(report["models"])
    lines = [f"{'':<32}" + "".join(f"{name:>15}" for name in names)]
    for key, label, fmt in TABLE_ROWS:
        cells = []
        for name in names:
            value = report["models"][name].get(key)
            cells.append(f"{'-' if value is None else fmt.format(value):>15}")
        if any(cell.strip() != "-" for cell in cells):
            lines.append(f"{label:<32}" + "".join(cells))
    return "\n".join(lines)


def format_methods_table(
    report: dict, shift_report: dict | None, cards: dict[str, ModelCard], latency_ms: dict[str, float] | None = None
) -> str:
    """A Markdown table comparing every network kind of one architecture on the same rows.

    ``report`` from :func:`build_report`; ``shift_report`` from ``bnn.evaluation.shift``; ``cards`` the model cards by kind
    (training time and weights size); ``latency_ms`` one image at T = 100 by kind, from ``python -m bench``.
    """
    kinds = list(report["models"])
    arch = cards[kinds[0]].arch
    shifted = {kind: _shift_rows(shift_report, network_name(arch, kind)) for kind in kinds} if shift_report else {}
    if not all(shifted.values()):  # a network the shift benchmark has not scored yet
        shifted = {}

    def metric(key: str, digits: int = 4) -> list[str]:
        return [_cell(report["models"][kind].get(key), digits) for kind in kinds]

    rows = [
        ("test accuracy", metric("accuracy")),
        ("test NLL (nats)", metric("nll")),
        ("Brier score", metric("brier")),
        (f"ECE ({ECE_BINS} bins)", metric("ece")),
        ("accuracy, 95 % most certain (by entropy)", metric("accuracy_at_95_coverage")),
        ("Fashion-MNIST AUROC, entropy", metric("ood_auroc_entropy")),
        ("Fashion-MNIST AUROC, mutual information", metric("ood_auroc_mutual_information")),
        (f"accuracy, preprocessed at {CANVAS_SIZE} px", metric(f"round_trip_accuracy_{CANVAS_SIZE}px")),
    ]
    if shifted:
        best = _lowest_nll_counts(shifted)
        count = len(next(iter(shifted.values())))
        rows += [
            (
                f"shift: mean accuracy over {count} corrupted rows",
                [_cell(_mean(shifted[k], "accuracy"), 3) for k in kinds],
            ),
            ("shift: mean NLL (nats)", [_cell(_mean(shifted[k], "nll"), 3) for k in kinds]),
            (f"shift: rows with the lowest NLL of the {len(kinds)}", [str(best[kind]) for kind in kinds]),
        ]
    rows += [
        ("weight samples T per image", [str(report["models"][kind]["num_samples"]) for kind in kinds]),
        (
            "training time (min, on the machine that trained it)",
            [_cell(sum(cards[k].epoch_seconds) / 60, 0) for k in kinds],
        ),
        ("weights (MB)", [_cell(cards[kind].weights_bytes / 1e6, 1) for kind in kinds]),
    ]
    if latency_ms:
        rows.append(("one image, T = 100 (ms, median)", [_cell(latency_ms.get(kind), 1) for kind in kinds]))
    header = "| | " + " | ".join(kinds) + " |"
    lines = [header, "|---" + "|---:" * len(kinds) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _shift_rows(shift_report: dict, network: str) -> list[dict]:
    return [row for row in shift_report["rows"] if row["network"] == network and row["corruption"] != "clean"]


def _mean(rows: list[dict], key: str) -> float | None:
    return float(np.mean([row[key] for row in rows])) if rows else None


def _lowest_nll_counts(shifted: dict[str, list[dict]]) -> dict[str, int]:
    """Per kind, on how many corrupted rows its NLL is the lowest of all kinds."""
    counts = dict.fromkeys(shifted, 0)
    for rows in zip(*shifted.values(), strict=True):
        counts[list(shifted)[int(np.argmin([row["nll"] for row in rows]))]] += 1
    return counts


def format_photo_table(report: dict) -> str:
    """`photo_report` as a Markdown table: a row per condition."""
    names = list(next(iter(report["conditions"].values()))["accuracy"])
    lines = [
        "| upload | refused as blank | " + " | ".join(f"acc. {name}" for name in names) + " | empty page refused |",
        "|---|---:|" + "---:|" * len(names) + "---:|",
    ]
    for condition, row in report["conditions"].items():
        cells = [f"{row['refused']} of {report['num_images']}"]
        cells += [f"{row['accuracy'][name]:.3f}" for name in names]
        cells.append(f"{row['blanks_refused']} of {report['num_blanks']}")
        lines.append(f"| {condition} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_crop_table(report: dict) -> str:
    """The crops of `photo_report` as a Markdown table: each network's accuracy cropped to the ink and with a
    margin of paper, a row per crop."""
    names = list(next(iter(report["crops"].values()))["accuracy"])
    lines = [
        "| crop | refused (one level) | "
        + " | ".join(f"acc. {name} tight / margin" for name in names)
        + " | input difference | empty crop refused |",
        "|---|---:|" + "---:|" * len(names) + "---:|---:|",
    ]
    for crop, row in report["crops"].items():
        cells = [f"{row['refused']} ({row['one_level']}) of {report['num_images']}"]
        cells += [f"{row['accuracy'][name]:.3f} / {row['margin_accuracy'][name]:.3f}" for name in names]
        cells.append(f"{row['mean_abs_difference']:.4f}")
        cells.append(f"{row['blanks_refused']} of {report['num_blanks']}")
        lines.append(f"| {crop} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_insight_tables(insights: dict[str, dict]) -> str:
    """The two Markdown tables of docs/results/insight.md from stored insight (arch -> JSON): test accuracy (%)
    against the share of weights pruned, and the Monte Carlo estimates (mean ± standard deviation over runs) against
    T."""
    first = next(iter(insights.values()))
    fractions = first["pruning"]["bayesian"]["fractions"]
    lines = [
        "| test accuracy (%), pruned | " + " | ".join(f"{fraction:.0%}" for fraction in fractions) + " |",
        "|---" * (len(fractions) + 1) + "|",
    ]
    for arch, insight in insights.items():
        for kind, pruning in insight["pruning"].items():
            score = "SNR" if kind == "bayesian" else "magnitude"
            accuracies = " | ".join(f"{100 * accuracy:.2f}" for accuracy in pruning["accuracy"])
            lines.append(f"| {arch} {kind} (by {score}) | {accuracies} |")
    convergence = first["convergence"]
    header = ["T"] + [f"{arch} {metric}" for arch in insights for metric in ("accuracy", "NLL", "MI")]
    lines += ["", "| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for row, count in enumerate(convergence["num_samples"]):
        cells = [str(count)]
        for insight in insights.values():
            bayesian = insight["convergence"]["bayesian"]
            for metric, digits in (("accuracy", 4), ("nll", 4), ("mutual_information", 5)):
                cells.append(f"{bayesian[metric]['mean'][row]:.{digits}f} ± {bayesian[metric]['std'][row]:.{digits}f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_confirmation_table(report: dict) -> str:
    """The full-length check as a Markdown table: per architecture, the network shipped when the candidates were
    checked, its deterministic twin and each candidate, with the shift rows where each beats the shipped one."""
    header = ["network", "recipe", *(label for _, label, _ in TABLE_COLUMNS)]
    header += ["shift rows below shipped", "best epoch", "epochs", "passed"]
    lines = ["| " + " | ".join(header) + " |", "|---|---" + "|---:" * (len(header) - 3) + "|---|"]
    for arch, confirmation in report.get("confirmation", {}).items():
        shipped = confirmation["shipped"]
        rows = [(shipped["network"], "shipped before", shipped, "-")]
        if "twin" in confirmation:  # scored since the rule compares with the twin
            rows.append((confirmation["twin"]["network"], "twin", confirmation["twin"], "-"))
        rows += [
            (f"{arch}-bayesian, full length", name, row, {True: "yes", False: "no", None: "not judged"}[row["passed"]])
            for name, row in confirmation["candidates"].items()
        ]
        for network, recipe, row, passed in rows:
            won = "-" if row is shipped else _rows_won_cell(row["validation"], shipped["validation"])
            cells = [network, recipe, *_metric_cells(row["validation"]), won, str(row["best_epoch"])]
            cells += [str(row["epochs_trained"]), passed]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rows_won_cell(metrics: dict, shipped: dict) -> str:
    """How many shift rows ``metrics`` has the lower NLL on, as "N of M"; "-" when scored on other rows."""
    if not same_shift_rows(metrics, shipped):
        return "-"
    return f"{shift_rows_won(metrics, shipped)} of {len(shipped['shift_rows'])}"


TABLE_COLUMNS = (
    ("accuracy", "val acc.", "{:.4f}"),
    ("nll", "val NLL", "{:.4f}"),
    ("ece", "val ECE", "{:.4f}"),
    ("mean_top_probability", "mean top p", "{:.4f}"),
    ("shift_nll", "shift-val NLL", "{:.3f}"),
    ("ood_auroc_mutual_information", "Fashion AUROC (MI)", "{:.4f}"),
)


def format_ablation_table(report: dict) -> str:
    """The ablation as a Markdown table, one row per candidate in the order run; the winner in bold."""
    header = ["candidate", *(label for _, label, _ in TABLE_COLUMNS), "best epoch", "epochs", "min"]
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for row in report["candidates"]:
        name = f"**{row['name']}**" if row["name"] == report.get("winner") else row["name"]
        cells = [name, *_metric_cells(row["validation"]), str(row["best_epoch"])]
        cells += [str(row["epochs_trained"]), f"{row['seconds'] / 60:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _metric_cells(validation: dict) -> list[str]:
    """One row's TABLE_COLUMNS cells: each validation metric formatted, "-" where there is none."""
    return ["-" if validation.get(key) is None else fmt.format(validation[key]) for key, _, fmt in TABLE_COLUMNS]


def format_shift_table(report: dict) -> str:
    """The report as a Markdown table: accuracy of each network per corruption, then NLL Bayesian / deterministic."""
    networks = report["networks"]
    by_key = {(row["corruption"], str(row["severity"]), row["network"]): row for row in report["rows"]}
    architectures = dict.fromkeys(parse_network_name(name)[0] for name in networks)
    pairs = [arch for arch in architectures if all(network_name(arch, kind) in networks for kind in KINDS)]
    header = [
        "corruption",
        "severity",
        *(f"acc. {name}" for name in networks),
        *(f"NLL {arch} B / D" for arch in pairs),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
    for corruption, severity in dict.fromkeys((row["corruption"], str(row["severity"])) for row in report["rows"]):
        rows = {name: by_key.get((corruption, severity, name)) for name in networks}
        cells = [corruption, severity]
        cells += [f"{rows[name]['accuracy']:.3f}" if rows[name] else "-" for name in networks]
        for arch in pairs:
            bayesian, deterministic = rows[network_name(arch, "bayesian")], rows[network_name(arch, "deterministic")]
            cells.append(f"{bayesian['nll']:.2f} / {deterministic['nll']:.2f}" if bayesian and deterministic else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_teaching_table(report: dict, summary: dict) -> str:
    """The teaching report as a Markdown table: per style, network and k, the accuracy on the rest of the style
    untaught and taught, the error left (taught / untaught), NLL, the MNIST test accuracy lost and the
    Fashion-MNIST AUROC by mutual information after teaching (means over the draws). Lesson times are the
    benchmark's (``python -m bench --only teach``), measured on a quiet machine."""
    lines = [
        (
            "| style | network | k | acc. untaught | acc. taught | error left | NLL taught | MNIST lost (points) | "
            "Fashion AUROC (MI) |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for style, by_kind in summary.items():
        for kind, by_k in by_kind.items():
            for k, row in by_k.items():
                ratio = "-" if row["error_ratio"] is None else f"{row['error_ratio']:.2f}"
                auroc = (
                    "-" if row["ood_auroc_mutual_information"] is None else f"{row['ood_auroc_mutual_information']:.4f}"
                )
                lines.append(
                    f"| {style} | {kind} | {k} | {row['untaught_accuracy']:.3f} | {row['accuracy']:.3f} | {ratio} | "
                    f"{row['nll']:.3f} | {100 * row['mnist_fall']:.2f} | {auroc} |"
                )
    untaught = report["untaught"]
    lines.append("")
    lines.append(
        "Untaught: "
        + "; ".join(
            f"{kind} MNIST test accuracy {scores['mnist_accuracy']:.4f}"
            + (
                ""
                if scores["ood_auroc_mutual_information"] is None
                else f", Fashion AUROC (MI) {scores['ood_auroc_mutual_information']:.4f}"
            )
            for kind, scores in untaught.items()
        )
        + "."
    )
    return "\n".join(lines)
