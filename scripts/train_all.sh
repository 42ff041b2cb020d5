#!/usr/bin/env bash
# Retrain the four shipped networks with the shipped recipe (Config's defaults: augmented training, see
# bnn/augment.py; at most 60 epochs, learning rate decayed by 0.95 per epoch, early stopping on validation NLL).
#   bash scripts/train_all.sh [OUTPUT_DIR]      (default: assets/; MNIST from $BNN_DATA_DIR)
# The two architectures train side by side, each with its Bayesian network first.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-assets}
python=${PYTHON:-.venv/bin/python}
"$python" -m bnn train --arch conv --kind both --output-dir "$output" &
conv=$!
"$python" -m bnn train --arch mlp --kind both --output-dir "$output"
wait "$conv"
