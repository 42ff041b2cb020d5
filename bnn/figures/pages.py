"""The generated results pages, ``docs/results/<page>.md``, written from the committed JSON only.

Each page says which JSON it comes from, the command that measures that JSON again and the machine it was
measured on, then gives the tables. ``python -m bnn docs`` writes them; ``python -m bnn docs --check`` says which
pages differ from what their JSON gives (a test runs it), so no page can quote a figure its JSON does not hold.

    pages = render_pages(Path("."))          # {Path("docs/results/shift.md"): "...", ...}
    stale = stale_pages(Path("."))           # [] when every page is up to date
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bnn.config import ARCHITECTURES
from bnn.figures import tables

RESULTS_DIR = Path("docs") / "results"
FROM_WEIGHTS = (
    "any; these figures follow from the shipped weights and a fixed seed, the same on every machine up to "
    "floating-point rounding"
)


@dataclass(frozen=True)
class Page:
    """One generated page: its title, the files it reads, the commands that measure them again, a sentence on
    what it shows, and the function that writes its body from the repository root."""

    name: str
    title: str
    sources: tuple[str, ...]
    commands: tuple[str, ...]
    about: str
    body: Callable[[Path], str]
    machine: Callable[[Path], str] = lambda root: FROM_WEIGHTS


def _json(root: Path, relative: str) -> dict | None:
    path = root / relative
    return json.loads(path.read_text()) if path.is_file() else None


def _cards(root: Path, arch: str) -> dict:
    from bnn.model.weights import read_card

    return {kind: read_card(root / "assets", f"{arch}-{kind}") for kind in _shipped_kinds(root, arch)}


def _shipped_kinds(root: Path, arch: str) -> list[str]:
    from bnn.model.weights import shipped_kinds

    return list(shipped_kinds(arch, root / "assets"))


def _report(root: Path, arch: str) -> dict | None:
    return _json(root, "assets/report.json" if arch == "mlp" else f"assets/report-{arch}.json")


def _code(text: str) -> str:
    return f"```\n{text}\n```"


def _evaluation(root: Path) -> str:
    blocks = []
    for arch in ARCHITECTURES:
        report = _report(root, arch)
        if report is not None:
            blocks.append(f"## {arch}\n\n{_code(tables.format_table(report))}")
    return "\n\n".join(blocks)


def _methods(root: Path) -> str:
    shift = _json(root, "assets/shift.json")
    bench = _json(root, "bench/results.json") or {}
    blocks = []
    for arch in ARCHITECTURES:
        report = _report(root, arch)
        if report is None:
            continue
        timed = bench.get("predictive", {}).get("methods", {}).get(arch, {})
        latency = {kind: row["p50"] for kind, row in timed.items()} or None
        blocks.append(f"## {arch}\n\n{tables.format_methods_table(report, shift, _cards(root, arch), latency)}")
    return "\n\n".join(blocks)


def _shift(root: Path) -> str:
    return tables.format_shift_table(_json(root, "assets/shift.json"))


def _photos(root: Path) -> str:
    report = _json(root, "assets/photos.json")
    return (
        f"## Photos and uploads\n\n{tables.format_photo_table(report)}\n\n"
        f"## Crops to the ink, beside their twin with a margin of paper\n\n{tables.format_crop_table(report)}"
    )


def _numbers(root: Path) -> str:
    blocks = []
    for name, title in (("cut", "Cutting touching digits apart"), ("merge", "Joining the pieces of one digit")):
        decision = _json(root, f"assets/{name}-decision.json")
        rows = ["| feature | coefficient |", "|---|---:|"]
        rows += [
            f"| {feature} | {value:.3f} |"
            for feature, value in zip(decision["features"], decision["coefficients"], strict=True)
        ]
        rows.append(f"| intercept | {decision['intercept']:.3f} |")
        before = decision["rule_before"]
        counts = {key: value for key, value in before.items() if key != "rule"}
        blocks.append(
            f"## {title}\n\nFitted on {_listed(decision['fitted_on'])}.\n\nOut of fold: "
            f"{_listed(decision['cross_validated'])}. The hand-set rule it replaced ({before['rule']}): "
            f"{_listed(counts)}.\n\n" + "\n".join(rows)
        )
    return "\n\n".join(blocks)


def _listed(counts: dict) -> str:
    """``{"one_digit": 3, ...}`` -> "one digit: 3, ..."."""
    return ", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in counts.items())


def _insight(root: Path) -> str:
    from bnn.figures.captions import chart_captions

    insights = {arch: _json(root, f"assets/insight-{arch}.json") for arch in ARCHITECTURES}
    insights = {arch: insight for arch, insight in insights.items() if insight is not None}
    blocks = [tables.format_insight_tables(insights)]
    for arch, insight in insights.items():
        captions = chart_captions(arch, insight)
        sentences = "\n".join(f"- **{name}**: {captions[name]}" for name in ("coverage", "ood", "weights", "pruning"))
        blocks.append(f"## What the {arch} posterior shows\n\n{sentences}")
    return "\n\n".join(blocks)


def _ablation(root: Path) -> str:
    from bnn.evaluation.confirmation import shipped_recipe

    report = _json(root, "assets/ablation.json")
    recipes = ", ".join(f"{arch}: {shipped_recipe(report, arch)}" for arch in report.get("confirmation", {}))
    return (
        f"## Candidates at the ablation's budget (validation digits only)\n\n{tables.format_ablation_table(report)}\n\n"
        f"## Confirmed at full length\n\n{tables.format_confirmation_table(report)}\n\nShipped recipe: {recipes}."
    )


def _teaching(root: Path) -> str:
    from bnn.evaluation.teaching import summary

    report = _json(root, "assets/teaching.json")
    return (
        f"The learning curves: [teaching-curves.html](teaching-curves.html) (an interactive Plotly figure).\n\n"
        f"{tables.format_teaching_table(report, summary(report))}"
    )


def _teaching_figure(root: Path) -> str:
    """The learning curves as a self-contained Plotly page, the same each time: its div id fixed and its template
    named (importing Streamlit makes its own theme Plotly's default, so the file would depend on what ran before)."""
    from bnn.evaluation.teaching import summary
    from bnn.figures.reports import teaching_figure

    report = _json(root, "assets/teaching.json")
    figure = teaching_figure(report, summary(report))
    figure.layout.template = "plotly"
    return figure.to_html(include_plotlyjs="cdn", div_id="teaching-curves")


def _mutants(root: Path) -> str:
    report = _json(root, "bench/mutants.json")
    lines = ["| module | mutants | caught | score |", "|---|---:|---:|---:|"]
    for module, row in report["modules"].items():
        score = 100 * row["caught"] / row["mutants"]
        lines.append(f"| `{module}` | {row['mutants']:,} | {row['caught']:,} | {score:.1f} % |")
    total = sum(row["mutants"] for row in report["modules"].values())
    return f"{report['mutmut']}, {total:,} mutants, measured {report['measured_at']}.\n\n" + "\n".join(lines)


def _benchmarks(root: Path) -> str:
    bench = importlib.import_module("bench.__main__")  # the repository's benchmark package
    return _code(bench.table(_json(root, "bench/results.json")))


def _bench_machine(root: Path) -> str:
    results = _json(root, "bench/results.json")
    machine = results["machine"]
    return (
        f"{machine['cpus_usable']} usable cores ({machine['cpu_model']}), {machine['platform']}, Python "
        f"{machine['python']}, TensorFlow {machine['tensorflow']}; started {results['started_at']}"
    )


PAGES = (
    Page(
        "evaluation",
        "Evaluation on the MNIST test set",
        ("assets/report.json", "assets/report-conv.json"),
        (
            "python -m bnn evaluate --output assets/report.json",
            "python -m bnn evaluate --arch conv --output assets/report-conv.json",
        ),
        "Accuracy, NLL, Brier score and ECE on the 10,000 test digits, Fashion-MNIST AUROC, and the round trip of "
        "the test digits through the serving pipeline, for every shipped network.",
        _evaluation,
    ),
    Page(
        "methods",
        "Variational inference against MC dropout and a deep ensemble",
        ("assets/report.json", "assets/report-conv.json", "assets/shift.json", "assets/*.json (model cards)"),
        ("python -m bnn evaluate ...", "python -m bnn shift --output assets/shift.json", "python -m bench"),
        "Every network kind of one architecture on the same rows; training time comes from the model cards (the "
        "machine that trained each network), the latency from the benchmark run.",
        _methods,
        lambda root: (
            f"the metrics as for the evaluation; the latency row on the benchmark's machine ({_bench_machine(root)})"
        ),
    ),
    Page(
        "shift",
        "The shift benchmark",
        ("assets/shift.json",),
        ("python -m bnn shift --output assets/shift.json",),
        "Test digits corrupted at high resolution (rotation, blur, noise, thickness, elastic distortion, occlusion, "
        "...) and read through the serving pipeline: accuracy of every network, NLL of each variational network "
        "against its twin.",
        _shift,
    ),
    Page(
        "photos",
        "Photos, scans and crops",
        ("assets/photos.json",),
        ("python -m bnn photos --output assets/photos.json",),
        "The first 300 test digits rendered as people upload them (`bnn.corpora.photos`), read by the shipped MLPs "
        "at T = 30 exactly as the Upload tab reads a file, and 30 empty pages per condition.",
        _photos,
    ),
    Page(
        "numbers",
        "Reading whole numbers: the fitted segmentation decisions",
        ("assets/cut-decision.json", "assets/merge-decision.json"),
        ("python -m scripts.fit_cut_decision", "python -m scripts.fit_merge_decision"),
        "The two logistic decisions `bnn.image.segment` asks when neighbouring pieces of ink may be one digit or "
        "two, fitted on training digits only.",
        _numbers,
    ),
    Page(
        "insight",
        "Inside the model",
        tuple(f"assets/insight-{arch}.json" for arch in ARCHITECTURES),
        tuple(f"python -m bnn insight --arch {arch}" for arch in ARCHITECTURES),
        "What the posterior learned: pruning by signal-to-noise against magnitude, and how the Monte Carlo "
        "estimates settle as T grows (mean and standard deviation over runs).",
        _insight,
    ),
    Page(
        "ablation",
        "The variational recipe: ablation and confirmation",
        ("assets/ablation.json",),
        ("python -m bnn ablate --output assets/ablation.json", "python -m bnn ablate --confirm DIR ..."),
        "Candidate recipes of the variational MLP trained on the same budget and scored on validation digits only; "
        "a winner ships only when confirmed at full length against the shipped network and its twin.",
        _ablation,
    ),
    Page(
        "teaching",
        "Teaching a style the networks never saw",
        ("assets/teaching.json",),
        ("python -m bnn teaching --output assets/teaching.json",),
        "For k examples per class of a style (scikit-learn's optical digits, black-and-white crops of test digits, "
        "a photo condition), five random draws each, the variational MLP and its twin are taught one lesson "
        "(`bnn.teach`) and scored on the rest of the style, on the MNIST test set and against Fashion-MNIST.",
        _teaching,
    ),
    Page(
        "mutants",
        "Mutation testing",
        ("bench/mutants.json",),
        ("make mutants",),
        "Each module that decides what a user is told, mutated line by line (mutmut) and tested with the fast tests "
        "named in pyproject.toml: the share of mutants some test fails on. The survivors judged equivalent are "
        "listed, with why, in [development](../development.md#mutation-testing).",
        _mutants,
        lambda root: "any; which mutants a test fails on follows from the code and its tests",
    ),
    Page(
        "benchmarks",
        "Benchmarks",
        ("bench/results.json",),
        ("python -m bench --output bench/results.json",),
        "Latency of the posterior predictive, preprocessing, training, memory, the page in a browser, serving "
        "many sessions, and reading a number; medians and ratios measured in one run.",
        _benchmarks,
        _bench_machine,
    ),
)


def render_page(page: Page, root: Path) -> str:
    """One page's Markdown, from the JSON under ``root`` (the repository)."""
    sources = ", ".join(f"`{source}`" for source in page.sources)
    commands = "\n".join(f"    {command}" for command in page.commands)
    return (
        f"# {page.title}\n\n"
        f"Generated by `python -m bnn docs` from {sources}: edit the code or the data, not this page.\n\n"
        f"{page.about}\n\n"
        f"Measured again by:\n\n{commands}\n\n"
        f"Machine: {page.machine(root)}.\n\n"
        f"{page.body(root).rstrip()}\n"
    )


def render_pages(root: Path) -> dict[Path, str]:
    """Every page by its path relative to ``root``, and the figures they link to."""
    pages = {RESULTS_DIR / f"{page.name}.md": render_page(page, root) for page in PAGES}
    pages[RESULTS_DIR / "teaching-curves.html"] = _teaching_figure(root)
    return pages


def write_pages(root: Path) -> list[Path]:
    """Write every page under ``root``; returns the paths written."""
    written = []
    for relative, text in render_pages(root).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(relative)
    return written


def stale_pages(root: Path) -> list[Path]:
    """The pages whose file is missing or differs from what its JSON gives now."""
    stale = []
    for relative, text in render_pages(root).items():
        path = root / relative
        if not path.is_file() or path.read_text() != text:
            stale.append(relative)
    return stale


__all__ = ["PAGES", "Page", "render_page", "render_pages", "stale_pages", "write_pages"]
