#!/usr/bin/env bash
# Retrain the shipped networks with the shipped recipe (Config's defaults: augmented training, see
# bnn/data/augment.py; at most 60 epochs, learning rate decayed by 0.95 per epoch, early stopping on validation NLL).
#   bash scripts/train_all.sh [OUTPUT_DIR]      (default: assets/; MNIST from $BNN_DATA_DIR)
# The two architectures train side by side, each its Bayesian network and its twin, then its two baselines:
# MC dropout (Config.dropout_rate, chosen on the MLP's validation NLL and used for both) and a deep ensemble
# of Config.ensemble_size members.
# Training is deterministic: the same code and data give the same weights, bit for bit.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-assets}
python=${PYTHON:-.venv/bin/python}
{
  "$python" -m bnn train --arch conv --kind both --output-dir "$output"
  "$python" -m bnn train --arch conv --kind mc-dropout --output-dir "$output"
  "$python" -m bnn train --arch conv --kind ensemble --output-dir "$output"
} &
conv=$!
"$python" -m bnn train --arch mlp --kind both --output-dir "$output"
"$python" -m bnn train --arch mlp --kind mc-dropout --output-dir "$output"
"$python" -m bnn train --arch mlp --kind ensemble --output-dir "$output"
wait "$conv"
