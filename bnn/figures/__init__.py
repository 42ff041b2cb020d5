"""Plotly figures and their captions, Markdown tables, display images. No Streamlit.

figures.votes_figure(prediction)            # one answer's charts: bnn.figures.prediction
figures.reliability_figure(report)          # the reports' figures: bnn.figures.reports
tables.format_table(report)                 # Markdown tables: bnn.figures.tables; sentences: captions
"""

from bnn.figures.prediction import (
    exploration_figure,
    number_readings_figure,
    sampled_probabilities_figure,
    softmax_comparison_figure,
    uncertainty_figure,
    votes_figure,
)
from bnn.figures.reports import (
    CONVERGENCE_PANELS,
    SCORE_DASHES,
    SCORE_LABELS,
    TRAINING_PANELS,
    WEIGHT_QUANTITIES,
    convergence_figure,
    coverage_figure,
    ood_histogram_figure,
    pruning_figure,
    reliability_figure,
    rotation_figure,
    training_curves_figure,
    weight_posterior_figure,
)
from bnn.figures.style import (
    ARCH_DASHES,
    DIGITS,
    INTERVAL,
    MODEL_COLOURS,
    UNCERTAINTY_COLOURS,
    PlainFigure,
)

__all__ = [
    "ARCH_DASHES",
    "CONVERGENCE_PANELS",
    "DIGITS",
    "INTERVAL",
    "MODEL_COLOURS",
    "SCORE_DASHES",
    "SCORE_LABELS",
    "TRAINING_PANELS",
    "UNCERTAINTY_COLOURS",
    "WEIGHT_QUANTITIES",
    "PlainFigure",
    "convergence_figure",
    "coverage_figure",
    "exploration_figure",
    "number_readings_figure",
    "ood_histogram_figure",
    "pruning_figure",
    "reliability_figure",
    "rotation_figure",
    "sampled_probabilities_figure",
    "softmax_comparison_figure",
    "training_curves_figure",
    "uncertainty_figure",
    "votes_figure",
    "weight_posterior_figure",
]
