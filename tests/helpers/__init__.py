"""What the tests share beyond conftest.py's fixtures: drawn digits, synthetic insight, small networks.

Importable from every folder of tests/ (pyproject's pythonpath holds tests/): ``from helpers.digits import ...``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
