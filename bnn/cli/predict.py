"""``python -m bnn predict``: files or folders read as digits (a table, or JSON lines) or as whole numbers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bnn import config as config_module
from bnn.reading.verdict import TABLE_COLUMNS, failure_row


def predict(args: argparse.Namespace) -> int:
    from bnn.image import preprocess_steps
    from bnn.reading.digit import read_digit
    from bnn.reading.networks import load_networks

    networks = load_networks(args.arch, args.assets_dir, kinds=(args.kind, "deterministic"), warm=False)
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
            verdict = read_digit(steps, networks, args.kind, args.num_samples, args.seed).verdict
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

    sampled, deterministic = networks.models[args.kind], networks.models["deterministic"]
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
            record = {"file": str(path), "kind": args.kind, "method": args.kind, **reading.record()}
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
    """``[#####-----] 5/10 files`` on stderr, redrawn in place; a new line once the last one is done."""

    WIDTH = 30  # characters of the bar itself

    def __init__(self, total: int, unit: str = "files"):
        self.total, self.done, self.unit = total, 0, unit
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self._draw()
        if self.done == self.total:
            print(file=sys.stderr, flush=True)

    def _draw(self) -> None:
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        print(f"\r[{bar}] {self.done}/{self.total} {self.unit}", end="", file=sys.stderr, flush=True)
