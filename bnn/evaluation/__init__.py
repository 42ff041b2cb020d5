"""Measuring the networks: the test report, the photo report, the shift benchmark and its corruptions,
"Inside the model", the recipe's ablation."""
