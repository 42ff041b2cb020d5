"""Command line: ``python -m bnn predict | teach | train | evaluate | insight | photos | shift | ablate | docs``: the
parser and the dispatch; each verb lives in ``bnn.cli.predict`` (reading files), ``bnn.cli.lessons`` (teaching) or
``bnn.cli.reports`` (training and measuring)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from bnn import config as config_module
from bnn.cli import lessons, predict, reports
from bnn.config import Config
from bnn.evaluation import ablation as ablate_module
from bnn.evaluation import insight as insight_module
from bnn.evaluation import shift as shift_module


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
        "--kind",
        "--method",  # an alias of --kind, for scripts that use it
        dest="kind",
        choices=config_module.UNCERTAINTY_KINDS,
        default="bayesian",
        help="the kind of network answering with samples beside the deterministic one: variational (bayesian), "
        "MC dropout or ensemble (default: %(default)s)",
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
    teach = commands.add_parser(
        "teach",
        help="teach the shipped variational network and its twin your digits: writes both to --output",
        description="Each file is read as one digit (as predict does); a blank or unreadable file stops the lesson. "
        "Load the result with bnn.load_model(kind, arch, assets_dir=OUTPUT) or --assets-dir OUTPUT.",
    )
    teach.add_argument("files", nargs="+", type=Path, help="image files, or folders of images (not recursive)")
    labels = teach.add_mutually_exclusive_group(required=True)
    labels.add_argument("--labels", help="the true digits, comma-separated, in the order of the files: 3,5,...")
    labels.add_argument("--labels-csv", type=Path, help="a CSV of file,label rows (file as given or its name)")
    teach.add_argument("--network", choices=config_module.ARCHITECTURES, default="mlp", help="mlp or conv")
    teach.add_argument("--output", type=Path, required=True, help="the folder for the taught weights and cards")
    teach.add_argument("--seed", type=int, default=0)
    teach.add_argument("--assets-dir", type=Path, default=None, help="the networks to teach (default: assets/)")
    teach.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    teaching = commands.add_parser(
        "teaching", help="measure what teaching learns of unseen styles and what it forgets -> assets/teaching.json"
    )
    _add_data_options(teaching, ood=True)
    teaching.add_argument("--network", choices=config_module.ARCHITECTURES, default="mlp")
    teaching.add_argument("--draws", type=int, default=5, help="random draws of the examples per k (%(default)s)")
    teaching.add_argument("--examples", default="1,2,5,10", help="k, examples per class taught (%(default)s)")
    teaching.add_argument("--seed", type=int, default=0)
    teaching.add_argument("--assets-dir", type=Path, default=None)
    teaching.add_argument("--output", type=Path, default=None, help="write the report as JSON here")
    docs = commands.add_parser(
        "docs", help="write docs/results/*.md from the committed JSON (assets/, bench/results.json)"
    )
    docs.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page differs from its JSON")
    docs.add_argument("--root", type=Path, default=Path("."), help="the repository (default: the current folder)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {
            "train": reports.train,
            "evaluate": reports.evaluate,
            "insight": reports.insight,
            "predict": predict.predict,
            "shift": reports.shift,
            "photos": reports.photos,
            "ablate": reports.ablate,
            "docs": reports.docs,
            "teach": lessons.teach,
            "teaching": reports.teaching,
        }
        return commands[args.command](args)
    except (FileNotFoundError, ValueError, RuntimeError) as error:  # our errors carry the fix in their message
        print(f"error: {error}", file=sys.stderr)
        return 2
