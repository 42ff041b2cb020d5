#!/usr/bin/env bash
# Retrain the four shipped networks with the shipped recipe (augmented training, see bnn/augment.py).
#   bash scripts/train_all.sh [OUTPUT_DIR]      (default: assets/; MNIST from $BNN_DATA_DIR)
# The MLPs use Config's defaults; the LeNet-5s decay the learning rate faster (0.9 per epoch) so that
# 35 epochs reach a plateau of the validation NLL on two CPU cores. Two chains run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-assets}
python=${PYTHON:-.venv/bin/python}
"$python" -m bnn train --arch conv --kind bayesian --epochs 35 --learning-rate-decay 0.9 --output-dir "$output" &
conv=$!
"$python" -m bnn train --arch mlp --kind both --output-dir "$output"
"$python" -m bnn train --arch conv --kind deterministic --epochs 35 --learning-rate-decay 0.9 --output-dir "$output"
wait "$conv"
