"""The machine and library versions that training and timing figures depend on.

One place for what the model card (``bnn.model.train``) and the benchmark report (``python -m bench``) record.
TensorFlow and friends are imported inside `environment`, so importing this module stays cheap.
"""

from __future__ import annotations

import os
import platform


def usable_cpus() -> int:
    """CPU cores this process may run on (its affinity mask where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def environment() -> dict:
    """``{"cpus": usable cores, "platform": platform string, "versions": {library: version}}``.

    ``versions`` names python, tensorflow, tensorflow_probability, tf_keras and numpy; importing them
    here loads TensorFlow if nothing has yet.
    """
    import numpy as np
    import tensorflow as tf
    import tensorflow_probability as tfp
    import tf_keras

    return {
        "cpus": usable_cpus(),
        "platform": platform.platform(),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "tensorflow_probability": tfp.__version__,
            "tf_keras": tf_keras.__version__,
            "numpy": np.__version__,
        },
    }
