"""bnn.model.environment: the machine and versions that model cards and benchmark reports record."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bnn.model.environment import environment

ROOT = Path(__file__).resolve().parents[1]


def test_environment_names_the_cores_platform_and_library_versions():
    import numpy as np
    import tensorflow as tf
    import tensorflow_probability as tfp

    found = environment()
    assert 1 <= found["cpus"] <= (os.cpu_count() or 1)
    assert found["platform"]
    versions = found["versions"]
    assert list(versions) == ["python", "tensorflow", "tensorflow_probability", "tf_keras", "numpy"]
    assert (versions["tensorflow"], versions["tensorflow_probability"], versions["numpy"]) == (
        tf.__version__,
        tfp.__version__,
        np.__version__,
    )


def test_importing_it_does_not_load_tensorflow():
    code = "import sys, bnn.model.environment; print('tensorflow' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["mlp-bayesian", "mlp-deterministic"])
def test_shipped_model_cards_record_what_it_returns(name):
    card = json.loads((ROOT / "assets" / f"{name}.json").read_text())
    found = environment()
    assert set(card["versions"]) == set(found["versions"])
    assert set(card["training"]["machine"]) == {"cpus", "platform"}
