"""Each mutated module's mutation score from mutmut's results, as JSON for the results page (`make mutants` runs it).

    python -m scripts.mutation_scores --output bench/mutants.json

A module's score is the share of its mutants some test failed on; a mutant that hung until mutmut's timeout counts
as caught. Survivors judged equivalent are listed, with why, in docs/development.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

CAUGHT = ("killed", "timeout")


def scores(results: str) -> dict[str, dict[str, int]]:
    """``mutmut results --all true`` lines (``  <module>.x_<function>__mutmut_<n>: <status>``) -> per module, how
    many mutants and how many were caught."""
    modules: dict[str, dict[str, int]] = {}
    for line in results.splitlines():
        name, _, status = line.strip().partition(": ")
        if "__mutmut_" not in name:
            continue
        module = re.sub(r"\.x(_|ǁ).*", "", name)
        row = modules.setdefault(module, {"mutants": 0, "caught": 0})
        row["mutants"] += 1
        row["caught"] += status.strip() in CAUGHT
    return dict(sorted(modules.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    results = subprocess.run([mutmut, "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    version = subprocess.run([mutmut, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    report = {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "mutmut": version,
        "modules": scores(results),
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
