"""The verbs that train networks, measure them and write the results pages: ``train``, ``evaluate``, ``insight``,
``photos``, ``shift``, ``ablate`` (and its confirmation), ``docs``."""

from __future__ import annotations

import argparse
import dataclasses
import json

from bnn import config as config_module
from bnn.config import Config
from bnn.evaluation import ablation as ablate_module
from bnn.evaluation import confirmation
from bnn.evaluation import insight as insight_module


def write_json(path, report: dict, indent: int = 2) -> None:
    """``report`` as JSON at ``path`` (its folder made if need be), and a line saying so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=indent) + "\n")
    print(f"wrote {path}")


def write_html(figure, path) -> None:
    """``figure`` as a self-contained page at ``path`` (it opens offline), and a line saying so."""
    figure.write_html(path, include_plotlyjs=True)
    print(f"wrote {path}")


def train(args: argparse.Namespace) -> int:
    from bnn.data import load_mnist
    from bnn.model.train import train

    data = load_mnist(args.data_dir, download=args.download)
    output_dir = args.output_dir or config_module.assets_dir()
    kinds = config_module.KINDS if args.kind == "both" else (args.kind,)
    if args.posterior_init == "twin":
        kinds = sorted(kinds, key=lambda kind: kind == "bayesian")  # the twin first: the posterior starts from it
    settings = {field.name: getattr(args, field.name) for field in dataclasses.fields(Config)}
    settings["hidden_units"] = tuple(settings["hidden_units"])
    for kind in kinds:
        config = Config(**{**settings, "kind": kind})
        print(f"== training {config.name} on {len(data.train)} images ({data.source})")
        result = train(config, data, output_dir=output_dir, checkpoint_dir=args.checkpoint_dir, twin_dir=output_dir)
        print(f"== {config.name}: wrote {output_dir}/{config.name}.json")
        print(json.dumps(result.card.metrics, indent=2))
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from bnn import figures
    from bnn.data import load_fashion_mnist_test, load_mnist
    from bnn.evaluation.insight import weight_posterior
    from bnn.evaluation.report import build_report
    from bnn.figures.tables import format_table
    from bnn.model.networks import posterior_parameters
    from bnn.model.predict import load_model
    from bnn.model.weights import shipped_kinds

    test = load_mnist(args.data_dir, download=args.download).test
    ood = load_fashion_mnist_test(args.ood_dir)
    assets_dir = args.assets_dir or config_module.assets_dir()
    kinds = shipped_kinds(args.arch, assets_dir) or config_module.KINDS  # none: the loader says what is missing
    models = [load_model(kind, args.arch, assets_dir) for kind in kinds]
    report = build_report(models, test, ood, args.num_samples, args.seed, log=print, progress=True, round_trip=True)
    print(format_table(report))
    if args.output:
        write_json(args.output, report)
    if args.figures_dir:
        args.figures_dir.mkdir(parents=True, exist_ok=True)
        charts = {"reliability": figures.reliability_figure(report)}
        for model in (model for model in models if model.kind in config_module.KINDS):
            charts[f"{model.name}-weights"] = figures.weight_posterior_figure(
                {model.kind: weight_posterior(posterior_parameters(model.network))},
                title=f"{model.name}: weight posterior",
            )
        for name, figure in charts.items():
            write_html(figure, args.figures_dir / f"{name}.html")
    return 0


def insight(args: argparse.Namespace) -> int:
    from bnn.data import Dataset, load_fashion_mnist_test, load_mnist
    from bnn.figures.inside import INSIGHT_CHARTS, inside_charts
    from bnn.model.predict import load_model

    output = args.output or insight_module.insight_path(args.assets_dir or config_module.assets_dir(), args.arch)
    output.parent.mkdir(parents=True, exist_ok=True)  # before minutes of work, not after
    test = load_mnist(args.data_dir, download=args.download).test
    ood = load_fashion_mnist_test(args.ood_dir)
    if args.num_images is not None:
        test, ood = (Dataset(data.images[: args.num_images], data.labels[: args.num_images]) for data in (test, ood))
    bayesian, deterministic = (load_model(kind, args.arch, args.assets_dir) for kind in config_module.KINDS)
    insight = insight_module.build_insight(
        bayesian, deterministic, test, ood, args.num_samples, args.seed, args.convergence_images, log=print
    )
    output.write_text(json.dumps(insight, indent=1) + "\n")
    print(f"wrote {output} ({output.stat().st_size / 1024:.0f} KB)")
    charts = [chart for chart in inside_charts(args.arch, insight) if chart.name in INSIGHT_CHARTS]
    for chart in charts:
        print(f"  {chart.name}: {chart.caption}")
    if args.figures_dir:
        args.figures_dir.mkdir(parents=True, exist_ok=True)
        for chart in charts:
            figure = chart.build()
            if figure is None:  # no OOD set
                continue
            write_html(figure, args.figures_dir / f"insight-{args.arch}-{chart.name}.html")
    return 0


def photos(args: argparse.Namespace) -> int:
    from bnn.data import Dataset, load_mnist
    from bnn.evaluation.photos import photo_report
    from bnn.figures.tables import format_crop_table, format_photo_table
    from bnn.model.predict import load_model

    test = load_mnist(args.data_dir, download=args.download).test
    digits = Dataset(test.images[: args.num_images], test.labels[: args.num_images])
    models = {f"mlp-{kind}": load_model(kind, "mlp", args.assets_dir) for kind in config_module.KINDS}
    report = photo_report(models, digits, args.num_samples, args.seed, args.num_blanks)
    print(format_photo_table(report) + "\n\n" + format_crop_table(report))
    if args.output:
        write_json(args.output, report)
    return 0


def shift(args: argparse.Namespace) -> int:
    from bnn.evaluation.shift import run_shift_benchmark
    from bnn.figures.tables import format_shift_table

    args.output.parent.mkdir(parents=True, exist_ok=True)  # before minutes of work, not after
    report = run_shift_benchmark(
        args.num_images, args.num_samples, args.seed, data_dir=args.data_dir, assets_dir=args.assets_dir, log=print
    )
    print(format_shift_table(report))
    write_json(args.output, report)
    if args.figure:
        from bnn.figures import rotation_figure

        args.figure.parent.mkdir(parents=True, exist_ok=True)
        write_html(rotation_figure(report), args.figure)
    return 0


def ablate(args: argparse.Namespace) -> int:
    from bnn.data import load_fashion_mnist_test, load_mnist

    data = load_mnist(args.data_dir, download=args.download)
    if args.confirm:
        return confirm(args, data.validation, load_fashion_mnist_test(args.ood_dir))
    report = ablate_module.run_ablation(
        data.train, data.validation, load_fashion_mnist_test(args.ood_dir), args.output, args.epochs,
        only=tuple(args.only) if args.only else None, log=print,
    )  # fmt: skip
    from bnn.figures import tables

    print(tables.format_ablation_table(report))
    print(f"wrote {args.output}; chosen by its rule: {report['winner']}")
    return 0


def confirm(args: argparse.Namespace, validation, ood) -> int:
    from bnn.figures import tables
    from bnn.model.predict import load_model

    report = ablate_module.read_ablation(args.output)
    names = args.candidate or [report["winner"]]
    if len(names) not in (1, len(args.confirm)):
        raise ValueError(f"give one --candidate for every DIR or one per DIR, not {len(names)} for {len(args.confirm)}")
    names = names * len(args.confirm) if len(names) == 1 else names
    # every corrupted row on the first validation digits, computed once for every folder
    rows = confirmation.CONFIRMATION_CORRUPTIONS
    shifted = ablate_module.shift_inputs(validation, report["shift"]["num_images"], rows, report["seed"])
    for folder, name in zip(args.confirm, names, strict=True):
        found = [arch for arch in config_module.ARCHITECTURES if (folder / f"{arch}-bayesian.json").is_file()]
        if len(found) != 1:
            raise ValueError(f"{folder} must hold one variational network's card (mlp-bayesian.json or conv-...)")
        arch = found[0]
        shipped = load_model("bayesian", arch, args.assets_dir)
        twin = load_model("deterministic", arch, args.assets_dir)
        print(f"confirming {name} trained to full length ({folder}) against the shipped {shipped.card.name}")
        trained = load_model("bayesian", arch, folder)
        confirmation.confirm(report, shipped, twin, trained, name, validation, ood, shifted)
        ablate_module.write_ablation(args.output, report)
    print(tables.format_confirmation_table(report))
    for arch in report["confirmation"]:
        print(f"{arch}: the shipped recipe is {confirmation.shipped_recipe(report, arch)}")
    print(f"wrote {args.output}")
    return 0


def teaching(args: argparse.Namespace) -> int:
    from bnn.data import load_fashion_mnist_test, load_mnist
    from bnn.evaluation.teaching import summary, teaching_report
    from bnn.figures.tables import format_teaching_table
    from bnn.model.predict import load_model

    test = load_mnist(args.data_dir, download=args.download).test
    ood = load_fashion_mnist_test(args.ood_dir)
    models = {kind: load_model(kind, args.network, args.assets_dir) for kind in config_module.KINDS}
    examples = tuple(int(text) for text in args.examples.split(","))
    report = teaching_report(models, test, ood, None, examples, args.draws, seed=args.seed, log=print)
    report["network"] = args.network
    print(format_teaching_table(report, summary(report)))
    if args.output:
        write_json(args.output, report, indent=1)
    return 0


def docs(args: argparse.Namespace) -> int:
    from bnn.figures.pages import stale_pages, write_pages

    if args.check:
        stale = stale_pages(args.root)
        for path in stale:
            print(f"{path} differs from what its JSON gives: run python -m bnn docs")
        return 1 if stale else 0
    for path in write_pages(args.root):
        print(f"wrote {path}")
    return 0
