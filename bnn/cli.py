"""Command line: ``python -m bnn train | evaluate | insight | predict | shift | ablate``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from bnn import config as config_module
from bnn.config import Config
from bnn.evaluation import ablation as ablate_module
from bnn.evaluation import confirmation
from bnn.evaluation import insight as insight_module
from bnn.evaluation import shift as shift_module
from bnn.reading.verdict import TABLE_COLUMNS, failure_row


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    """One ``--option`` per field of :class:`Config`, so defaults are written only once."""
    for field in dataclasses.fields(Config):
        flag = "--" + field.name.replace("_", "-")
        if field.name == "kind":
            parser.add_argument(
                flag,
                choices=[*config_module.ALL_KINDS, "both"],
                default="both",
                help="which network to train (default: both = bayesian and deterministic)",
            )
        elif field.name == "arch":
            parser.add_argument(flag, choices=config_module.ARCHITECTURES, default=field.default)
        elif field.name == "variational_layer":
            parser.add_argument(flag, choices=config_module.VARIATIONAL_LAYERS, default=field.default)
        elif field.name == "posterior_init":
            parser.add_argument(flag, choices=config_module.POSTERIOR_INITS, default=field.default)
        elif field.name == "kl_weight":
            shipped = ", ".join(f"{arch} {weight:g}" for arch, weight in config_module.SHIPPED_KL_WEIGHT.items())
            parser.add_argument(flag, type=float, default=None, help=f"(default: the shipped one of --arch: {shipped})")
        elif field.name == "posterior_init_fraction":
            parser.add_argument(flag, type=float, default=field.default, help="(default: posterior_init_scale)")
        elif field.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default)
        elif field.name == "hidden_units":
            parser.add_argument(flag, type=int, nargs="+", default=list(field.default), help="MLP widths")
        else:
            parser.add_argument(
                flag, type=type(field.default), default=field.default, help=f"(default: {field.default})"
            )


def _add_data_options(parser: argparse.ArgumentParser, ood: bool = False) -> None:
    parser.add_argument(
        "--data-dir", help=f"MNIST folder (default: ${config_module.DATA_DIR_ENV}, then the Keras cache)"
    )
    parser.add_argument("--download", action="store_true", help="download MNIST into the Keras cache if missing")
    if ood:
        parser.add_argument(
            "--ood-dir",
            help="Fashion-MNIST folder (default: $BNN_OOD_DIR, then "
            f"{config_module.FASHION_MNIST_SYSTEM_DIR}, then the Keras cache)",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bnn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train networks and write weights + model cards")
    _add_config_options(train)
    _add_data_options(train)
    train.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help=f"where weights and cards go (default: ${config_module.ASSETS_DIR_ENV} or assets/)",
    )
    train.add_argument("--checkpoint-dir", type=Path, default=Path("runs"), help="best-epoch checkpoints")

    evaluate = commands.add_parser("evaluate", help="evaluate the shipped networks on MNIST test and Fashion-MNIST")
    _add_data_options(evaluate, ood=True)
    evaluate.add_argument("--arch", choices=config_module.ARCHITECTURES, default="mlp")
    evaluate.add_argument("--num-samples", type=int, default=Config.evaluation_samples)
    evaluate.add_argument("--seed", type=int, default=Config.seed)
    evaluate.add_argument("--assets-dir", type=Path, default=None)
    evaluate.add_argument("--output", type=Path, default=None, help="write the report as JSON here")
    evaluate.add_argument(
        "--figures-dir",
        type=Path,
        default=None,
        help="write the reliability diagram and weight-posterior histograms (HTML) here",
    )

    insight = commands.add_parser(
        "insight", help="compute the app's 'Inside the model' charts: coverage, OOD, weights, pruning, convergence"
    )
    _add_data_options(insight, ood=True)
    insight.add_argument("--arch", choices=config_module.ARCHITECTURES, default="mlp")
    insight.add_argument("--num-samples", type=int, default=Config.evaluation_samples)
    insight.add_argument("--seed", type=int, default=Config.seed)
    insight.add_argument("--assets-dir", type=Path, default=None)
    insight.add_argument(
        "--output",
        type=Path,
        default=None,
        help="write the JSON here (default: insight-ARCH.json in the assets folder)",
    )
    insight.add_argument(
        "--num-images", type=int, default=None, help="the first N MNIST and Fashion-MNIST test images (default: all)"
    )
    insight.add_argument(
        "--convergence-images",
        type=int,
        default=insight_module.CONVERGENCE_IMAGES,
        help="test digits for the Monte Carlo convergence runs, up to T = "
        f"{max(insight_module.CONVERGENCE_SAMPLES)} (default: %(default)s)",
    )
    insight.add_argument("--figures-dir", type=Path, default=None, help="write the tab's charts (HTML) here")

    predict = commands.add_parser(
        "predict",
        help="predict digits in image files with both networks: a table, or one JSON object per line",
        description="Exit status 0 when every file was read, 1 when some could not be (their rows say why).",
    )
    predict.add_argument("files", nargs="+", type=Path, help="image files, or folders of images (not recursive)")
    predict.add_argument("--json", action="store_true", help="one JSON object per line per file instead of the table")
    predict.add_argument(
        "--number", action="store_true", help="read each file as a whole number: its digits, left to right"
    )
    predict.add_argument("--arch", choices=config_module.ARCHITECTURES, default="mlp")
    predict.add_argument(
        "--method",
        choices=config_module.UNCERTAINTY_KINDS,
        default="bayesian",
        help="the uncertainty method answering beside the deterministic network (default: %(default)s)",
    )
    predict.add_argument("--num-samples", type=int, default=Config.evaluation_samples)
    predict.add_argument("--seed", type=int, default=None)
    predict.add_argument("--assets-dir", type=Path, default=None)

    photos = commands.add_parser(
        "photos", help="read MNIST test digits photographed on paper (bnn.corpora.photos) with the shipped MLPs"
    )
    _add_data_options(photos)
    photos.add_argument(
        "--num-images", type=int, default=300, help="the first N MNIST test digits (default: %(default)s)"
    )
    photos.add_argument("--num-blanks", type=int, default=30, help="empty pages per condition (default: %(default)s)")
    photos.add_argument("--num-samples", type=int, default=30)
    photos.add_argument("--seed", type=int, default=Config.seed)
    photos.add_argument("--assets-dir", type=Path, default=None)
    photos.add_argument("--output", type=Path, default=None, help="write the report as JSON here")

    shift = commands.add_parser(
        "shift", help="score every shipped network on MNIST test digits corrupted at high resolution"
    )
    shift.add_argument(
        "--data-dir", help=f"MNIST folder (default: ${config_module.DATA_DIR_ENV}, then the Keras cache)"
    )
    shift.add_argument("--output", type=Path, required=True, help="write the report as JSON here")
    shift.add_argument(
        "--num-images",
        type=int,
        default=shift_module.NUM_IMAGES,
        help="the first N MNIST test digits (default: %(default)s)",
    )
    shift.add_argument("--num-samples", type=int, default=Config.evaluation_samples)
    shift.add_argument("--seed", type=int, default=Config.seed)
    shift.add_argument("--assets-dir", type=Path, default=None)
    shift.add_argument(
        "--figure", type=Path, default=None, help="write accuracy and mutual information against rotation (HTML) here"
    )
    ablate = commands.add_parser(
        "ablate", help="train the variational MLP's candidate recipes on one budget and score them on validation"
    )
    _add_data_options(ablate, ood=True)
    ablate.add_argument("--output", type=Path, required=True, help="the JSON, rewritten after each candidate")
    ablate.add_argument("--epochs", type=int, default=ablate_module.EPOCHS, help="per candidate (%(default)s)")
    ablate.add_argument("--only", nargs="+", default=None, help="these candidates (default: all)")
    ablate.add_argument(
        "--confirm",
        nargs="+",
        type=Path,
        default=None,
        metavar="DIR",
        help="instead of training candidates: score a candidate (the winner unless --candidate) trained to full length (the ARCH-bayesian card and "
        "weights in each DIR, from `python -m bnn train` with its settings) against the shipped network of its "
        "architecture, and record whether it replaces it",
    )
    ablate.add_argument(
        "--candidate",
        nargs="+",
        default=None,
        help="with --confirm: the candidate those networks were trained as (default: the winner); one name for "
        "every DIR, or one per DIR in the same order",
    )
    ablate.add_argument("--assets-dir", type=Path, default=None, help="the shipped networks (default: assets/)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {
            "train": _train,
            "evaluate": _evaluate,
            "insight": _insight,
            "predict": _predict,
            "shift": _shift,
            "photos": _photos,
            "ablate": _ablate,
        }
        return commands[args.command](args)
    except (FileNotFoundError, ValueError, RuntimeError) as error:  # our errors carry the fix in their message
        print(f"error: {error}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
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


def _evaluate(args: argparse.Namespace) -> int:
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
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.output}")
    if args.figures_dir:
        args.figures_dir.mkdir(parents=True, exist_ok=True)
        charts = {"reliability": figures.reliability_figure(report)}
        for model in (model for model in models if model.kind in config_module.KINDS):
            charts[f"{model.name}-weights"] = figures.weight_posterior_figure(
                {model.kind: weight_posterior(posterior_parameters(model.network))},
                title=f"{model.name}: weight posterior",
            )
        for name, figure in charts.items():
            path = args.figures_dir / f"{name}.html"
            figure.write_html(path, include_plotlyjs=True)  # self-contained: opens offline
            print(f"wrote {path}")
    return 0


def _insight(args: argparse.Namespace) -> int:
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
            path = args.figures_dir / f"insight-{args.arch}-{chart.name}.html"
            figure.write_html(path, include_plotlyjs=True)  # self-contained: opens offline
            print(f"wrote {path}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from bnn.image import preprocess_steps
    from bnn.reading.digit import read_digit
    from bnn.reading.networks import load_networks

    networks = load_networks(args.arch, args.assets_dir, kinds=(args.method, "deterministic"), warm=False)
    paths = image_paths(args.files)
    if args.number:
        return _predict_numbers(args, networks, paths)
    bar = ProgressBar(len(paths)) if len(paths) >= config_module.PROGRESS_MIN_FILES else None
    rows, status = [], 0
    for path, problem in paths:
        try:
            if problem:
                raise ValueError(problem)
            steps = preprocess_steps(path.read_bytes())
        except (OSError, ValueError) as error:  # an unreadable file gets its message; the others are still answered
            status = 1
            record, row = {"file": str(path), "error": str(error)}, failure_row(str(path), str(error))
        else:  # a bad --num-samples is the command's error (exit status 2), not the file's
            verdict = read_digit(steps, networks, args.method, args.num_samples, args.seed).verdict
            record, row = verdict.record(str(path)), verdict.row(str(path))
        if args.json:
            print(json.dumps(record), flush=True)
        rows.append(row)
        if bar is not None:
            bar.advance()
    if not args.json:
        print(format_rows(rows, TABLE_COLUMNS))
    return status


def _predict_numbers(args: argparse.Namespace, networks, paths: list[tuple[Path, str]]) -> int:
    """``predict --number``: each file read as a whole number; a paragraph per file, or one JSON object per line."""
    from bnn.reading.number import read_number

    sampled, deterministic = networks.models[args.method], networks.models["deterministic"]
    status = 0
    for path, problem in paths:
        try:
            if problem:
                raise ValueError(problem)
            reading = read_number(path.read_bytes(), sampled, args.num_samples, args.seed, deterministic=deterministic)
        except (OSError, ValueError) as error:  # BlankImageError and TooManyDigitsError are ValueErrors
            status = 1
            record, text = {"file": str(path), "error": str(error)}, f"{path}: {error}"
        else:
            record = {"file": str(path), "method": args.method, **reading.record()}
            text = f"{path}: {reading.headline().replace('**', '')}\n  {reading.sentence()}"
        print(json.dumps(record) if args.json else text, flush=True)
    return status


def image_paths(arguments: list[Path]) -> list[tuple[Path, str]]:
    """Each file argument, and the images inside each folder argument (sorted), with a problem ("" if none)."""
    paths = []
    for argument in arguments:
        if not argument.is_dir():
            paths.append((argument, ""))
            continue
        inside = sorted(
            path
            for path in argument.iterdir()
            if path.is_file() and path.suffix.lower().lstrip(".") in config_module.IMAGE_SUFFIXES
        )
        suffixes = ", ".join(config_module.IMAGE_SUFFIXES)
        paths += [(path, "") for path in inside] or [(argument, f"no image files ({suffixes}) in this folder")]
    return paths


def format_rows(rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    """A plain-text table: one line of column names, then one line per row, each column as wide as its widest cell."""
    widths = [max([len(column), *(len(row[column]) for row in rows)]) for column in columns]
    lines = [[column.ljust(width) for column, width in zip(columns, widths, strict=True)]]
    lines += [[row[column].ljust(width) for column, width in zip(columns, widths, strict=True)] for row in rows]
    return "\n".join("  ".join(line).rstrip() for line in lines)


class ProgressBar:
    """``[#####-----] 5/10 files`` on stderr, redrawn in place; a new line once the last file is done."""

    WIDTH = 30  # characters of the bar itself

    def __init__(self, total: int):
        self.total, self.done = total, 0
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self._draw()
        if self.done == self.total:
            print(file=sys.stderr, flush=True)

    def _draw(self) -> None:
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        print(f"\r[{bar}] {self.done}/{self.total} files", end="", file=sys.stderr, flush=True)


def _photos(args: argparse.Namespace) -> int:
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
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.output}")
    return 0


def _shift(args: argparse.Namespace) -> int:
    from bnn.evaluation.shift import format_shift_table, run_shift_benchmark

    args.output.parent.mkdir(parents=True, exist_ok=True)  # before minutes of work, not after
    report = run_shift_benchmark(
        args.num_images, args.num_samples, args.seed, data_dir=args.data_dir, assets_dir=args.assets_dir, log=print
    )
    print(format_shift_table(report))
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    if args.figure:
        from bnn.figures import rotation_figure

        args.figure.parent.mkdir(parents=True, exist_ok=True)
        rotation_figure(report).write_html(args.figure, include_plotlyjs=True)  # self-contained: opens offline
        print(f"wrote {args.figure}")
    return 0


def _ablate(args: argparse.Namespace) -> int:
    from bnn.data import load_fashion_mnist_test, load_mnist

    data = load_mnist(args.data_dir, download=args.download)
    if args.confirm:
        return _confirm(args, data.validation, load_fashion_mnist_test(args.ood_dir))
    report = ablate_module.run_ablation(
        data.train, data.validation, load_fashion_mnist_test(args.ood_dir), args.output, args.epochs,
        only=tuple(args.only) if args.only else None, log=print,
    )  # fmt: skip
    from bnn.figures import tables

    print(tables.format_ablation_table(report))
    print(f"wrote {args.output}; chosen by its rule: {report['winner']}")
    return 0


def _confirm(args: argparse.Namespace, validation, ood) -> int:
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
