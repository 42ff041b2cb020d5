"""bnn.model.environment: the machine and versions that model cards and benchmark reports record."""

import os
import subprocess
import sys

from helpers import ROOT

from bnn.model.environment import environment


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
