"""scripts/mutation_scores.py: mutmut's result lines counted per module, a hung mutant counted as caught."""

from __future__ import annotations

from scripts.mutation_scores import scores

RESULTS = """
    bnn.model.uncertainty.x_entropy__mutmut_1: killed
    bnn.model.uncertainty.x_entropy__mutmut_2: survived
    bnn.model.uncertainty.x_auroc__mutmut_7: timeout
    bnn.reading.verdict.xǁVerdictǁheadline__mutmut_3: killed
    bnn.reading.verdict.xǁVerdictǁheadline__mutmut_4: no tests
"""


def test_mutants_are_counted_per_module_and_a_timeout_is_caught():
    assert scores(RESULTS) == {
        "bnn.model.uncertainty": {"mutants": 3, "caught": 2},
        "bnn.reading.verdict": {"mutants": 2, "caught": 1},
    }
