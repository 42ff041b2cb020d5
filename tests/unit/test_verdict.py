"""What the page says about a prediction: levels, "not sure" and its reasons, sentences, table rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bench.browser.session import VERDICT
from bnn.config import ASSETS_DIR, Config
from bnn.model.card import ModelCard
from bnn.model.predict import Prediction
from bnn.model.weights import read_card
from bnn.reading.verdict import (
    COMPARISON_COLUMNS,
    MAX_ENTROPY,
    OVERCONFIDENCE_GAP,
    TABLE_COLUMNS,
    Thresholds,
    Verdict,
    comparison_rows,
    failure_row,
    not_sure_reasons,
    summarise,
    uncertainty_level,
)

LOOSE = Thresholds(predictive_entropy=10.0, mutual_information=10.0)  # flags nothing


def one_hot_ish(digit: int, confidence: float = 0.99) -> np.ndarray:
    probabilities = np.full(10, (1 - confidence) / 9)
    probabilities[digit] = confidence
    return probabilities


def prediction(*rows: np.ndarray) -> Prediction:
    """A Prediction of one image whose weight samples give the class distributions ``rows``."""
    return Prediction(np.asarray(rows, np.float32)[:, None, :])


CONFIDENT = prediction(*[one_hot_ish(3)] * 10)
DISAGREEING = prediction(*[one_hot_ish(3)] * 6, *[one_hot_ish(5)] * 4)  # samples are sure, but of different digits
AMBIGUOUS = prediction(*[np.array([0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5])] * 10)  # samples agree that it is 4 or 9
DETERMINISTIC_3 = prediction(one_hot_ish(3, 0.999))


def test_thresholds_come_from_the_model_card():
    card = json.loads((ASSETS_DIR / "mlp-bayesian.json").read_text())
    thresholds = read_card(ASSETS_DIR, "mlp-bayesian").thresholds
    assert thresholds.predictive_entropy == card["uncertainty_thresholds"]["predictive_entropy"]
    assert thresholds.mutual_information == card["uncertainty_thresholds"]["epistemic"]
    assert "validation" in thresholds.rule
    deterministic = read_card(ASSETS_DIR, "mlp-deterministic").thresholds
    assert deterministic.predictive_entropy > 0 and deterministic.mutual_information is None
    assert ModelCard.untrained(Config()).thresholds == Thresholds()
    described = thresholds.describe()
    assert "validation" in described and f"{thresholds.mutual_information:.2f} nats" in described
    assert "never called not sure" in Thresholds().describe()


def test_a_confident_prediction_is_called_sure():
    verdict = summarise(CONFIDENT, DETERMINISTIC_3, Thresholds(0.5, 0.3), Thresholds(0.2))
    assert (verdict.digit, verdict.deterministic_digit, verdict.votes, verdict.num_samples) == (3, 3, 10, 10)
    assert verdict.probability == pytest.approx(0.99, abs=1e-6)
    assert not verdict.not_sure and verdict.reasons == () and verdict.level == "low"
    assert verdict.mutual_information == pytest.approx(0, abs=1e-6)
    headline = verdict.headline()
    assert "Bayesian: 3" in headline and "Deterministic: 3" in headline and "not sure" not in headline
    assert "fairly sure" in verdict.explanation() and verdict.deterministic_note() == ""
    assert verdict.votes_sentence() == "10 of the 10 weight samples voted for 3."


def test_disagreeing_samples_are_not_sure_because_of_epistemic_uncertainty():
    verdict = summarise(DISAGREEING, DETERMINISTIC_3, Thresholds(predictive_entropy=10, mutual_information=0.3))
    assert verdict.mutual_information > 0.3 and verdict.not_sure
    assert len(verdict.reasons) == 1 and "epistemic" in verdict.reasons[0] and "disagree" in verdict.reasons[0]
    assert "not sure" in verdict.headline() and verdict.explanation().startswith("The network is not sure")
    assert verdict.votes == 6


def test_the_brief_line_keeps_both_digits_and_not_sure_and_reads_as_the_headline_does():
    sure = summarise(CONFIDENT, DETERMINISTIC_3, Thresholds(0.5, 0.3), Thresholds(0.2))
    assert sure.brief() == "**Bayesian: 3** · **Deterministic: 3**"
    unsure = summarise(DISAGREEING, DETERMINISTIC_3, Thresholds(10, 0.3), kind="mc-dropout")
    assert unsure.brief() == "**MC dropout: 3** (**not sure**) · **Deterministic: 3**"
    for verdict in (sure, unsure):  # the load benchmark's sessions read a verdict with this pattern
        assert VERDICT.search(verdict.brief()) and VERDICT.search(verdict.headline())
        assert len(verdict.brief()) < len(verdict.headline()) / 2


def test_an_ambiguous_image_is_not_sure_because_of_total_uncertainty_alone():
    verdict = summarise(AMBIGUOUS, DETERMINISTIC_3, Thresholds(predictive_entropy=0.5, mutual_information=0.3))
    assert verdict.expected_entropy == pytest.approx(math.log(2), abs=1e-5)
    assert verdict.mutual_information == pytest.approx(0, abs=1e-5)  # the samples agree: no epistemic doubt
    assert verdict.not_sure and len(verdict.reasons) == 1 and "total uncertainty" in verdict.reasons[0]


def test_both_thresholds_exceeded_give_both_reasons_in_one_sentence():
    reasons = not_sure_reasons(predictive_entropy=1.0, mutual_information=0.6, thresholds=Thresholds(0.5, 0.3))
    assert len(reasons) == 2 and reasons[0].endswith(";") and reasons[1].startswith("and ")


@pytest.mark.parametrize(
    ("ratio", "level"),
    [(0.0, "very low"), (0.1, "very low"), (0.3, "low"), (0.7, "moderate"), (1.0, "moderate"), (1.5, "high")]
    + [(2.0, "high"), (3.0, "very high")],
)
def test_levels_in_words_follow_the_thresholds(ratio, level):
    thresholds = Thresholds(predictive_entropy=0.5, mutual_information=0.25)
    assert uncertainty_level(0.5 * ratio, 0.0, thresholds) == level
    assert uncertainty_level(0.0, 0.25 * ratio, thresholds) == level
    flagged = bool(not_sure_reasons(0.5 * ratio, 0.25 * ratio, thresholds))
    assert flagged == (ratio > 1)  # "high" and above, and only those, come with "not sure"


def test_without_thresholds_nothing_is_flagged_and_the_level_uses_the_largest_entropy():
    assert not_sure_reasons(2.0, 1.0, Thresholds()) == ()
    assert uncertainty_level(0.0, 0.0, Thresholds()) == "very low"
    assert uncertainty_level(MAX_ENTROPY, 0.0, Thresholds()) == "very high"


def test_an_overconfident_deterministic_network_is_pointed_out():
    verdict = summarise(DISAGREEING, prediction(one_hot_ish(5, 0.98)), LOOSE, Thresholds(0.2))
    note = verdict.deterministic_note()
    assert "much more confident" in note and "0.98 for 5" in note
    assert (
        summarise(AMBIGUOUS, prediction(one_hot_ish(9, 0.6)), LOOSE)
        .deterministic_note()
        .startswith("The two networks disagree")
    )
    flat = prediction(np.full(10, 0.1))
    assert (
        "flags this image too"
        in summarise(prediction(np.full(10, 0.1)), flat, LOOSE, Thresholds(0.2)).deterministic_note()
    )


def test_truth_note_says_which_network_got_it_right():
    verdict = summarise(CONFIDENT, prediction(one_hot_ish(8)), LOOSE, true_label=3)
    assert verdict.truth_note() == "True label: **3**. Bayesian right, deterministic wrong."
    assert summarise(CONFIDENT, DETERMINISTIC_3, LOOSE).truth_note() == ""


def test_uncertainty_sentences_carry_the_numbers_and_add_up():
    verdict = summarise(DISAGREEING, DETERMINISTIC_3, LOOSE)
    assert verdict.predictive_entropy == pytest.approx(verdict.expected_entropy + verdict.mutual_information, abs=1e-5)
    sentences = verdict.uncertainty_sentences()
    assert list(sentences) == ["total", "aleatoric", "epistemic"]
    assert (
        f"{verdict.mutual_information:.3f} nats" in sentences["epistemic"]
        and "mutual information" in sentences["epistemic"]
    )
    assert "expected entropy" in sentences["aleatoric"] and "predictive entropy" in sentences["total"]


def test_index_picks_one_image_of_a_batch():
    batch = Prediction(np.concatenate([CONFIDENT.samples, DISAGREEING.samples], axis=1))
    deterministic = Prediction(np.concatenate([DETERMINISTIC_3.samples] * 2, axis=1))
    assert summarise(batch, deterministic, LOOSE, index=1).votes == 6
    assert summarise(batch, deterministic, LOOSE, index=0).votes == 10


def test_table_row_for_several_uploads():
    row = summarise(DISAGREEING, DETERMINISTIC_3, Thresholds(10, 0.3)).row("scan.jpg")
    assert tuple(row) == TABLE_COLUMNS
    assert (row["file"], row["digit"], row["not sure"], row["Deterministic"]) == ("scan.jpg", "3", "not sure", "3")
    assert row["probability"] == "0.59" and row["problem"] == ""
    failed = failure_row("notes.txt", "This file is not a PNG ...")
    assert tuple(failed) == TABLE_COLUMNS and failed["problem"].startswith("This file") and failed["digit"] == ""


def test_another_method_is_named_in_the_headline_and_its_samples_in_the_votes():
    verdict = summarise(DISAGREEING, DETERMINISTIC_3, Thresholds(10, 0.3), kind="mc-dropout")
    assert verdict.headline().startswith("**MC dropout: 3**") and "Bayesian" not in verdict.headline()
    assert verdict.votes_sentence() == "6 of the 10 dropout masks voted for 3."
    assert "ensemble members" in summarise(CONFIDENT, DETERMINISTIC_3, Thresholds(), kind="ensemble").votes_sentence()
    wrong = summarise(CONFIDENT, prediction(one_hot_ish(8)), LOOSE, true_label=3, kind="ensemble")
    assert wrong.truth_note() == "True label: **3**. Deep ensemble right, deterministic wrong."
    assert "(Deep ensemble) against 8" in wrong.deterministic_note()


def test_comparison_rows_give_each_method_its_own_answer_and_verdict():
    rows = comparison_rows(
        {
            "bayesian": (CONFIDENT, Thresholds(0.5, 0.3)),
            "mc-dropout": (DISAGREEING, Thresholds(10, 0.3)),
            "deterministic": (DETERMINISTIC_3, Thresholds(0.2)),
        }
    )
    assert [tuple(row) for row in rows] == [COMPARISON_COLUMNS] * 3
    assert [row["method"] for row in rows] == ["Variational (Flipout)", "MC dropout", "Deterministic"]
    assert [row["digit"] for row in rows] == ["3", "3", "3"]
    assert [row["votes"] for row in rows] == ["10 / 10", "6 / 10", "1 / 1"]
    assert [row["not sure"] for row in rows] == ["", "not sure", ""]
    assert rows[2]["mutual information"] == "0.000" and float(rows[1]["mutual information"]) > 0.3


# --- every sentence the page shows, word for word ----------------------------------------------------------------


def verdict_of(**fields) -> Verdict:
    """A Verdict with plain values, any of them replaced by ``fields``."""
    plain = {
        "digit": 3,
        "probability": 0.5,
        "votes": 6,
        "num_samples": 10,
        "predictive_entropy": 0.8,
        "expected_entropy": 0.5,
        "mutual_information": 0.3,
        "level": "high",
        "not_sure": False,
        "reasons": (),
        "deterministic_digit": 3,
        "deterministic_probability": 0.6,
        "deterministic_flagged": False,
    }
    return Verdict(**{**plain, **fields})


def test_the_headline_and_explanation_word_for_word():
    reasons = not_sure_reasons(1.0, 0.6, Thresholds(0.5, 0.3))
    unsure = verdict_of(not_sure=True, reasons=reasons)
    assert unsure.headline() == (
        "**Bayesian: 3** with probability 0.50, uncertainty high (**not sure**) · **Deterministic: 3** with "
        "probability 0.60"
    )
    assert unsure.explanation() == "The network is not sure about this image: " + reasons[0] + " " + reasons[1]
    assert verdict_of().explanation() == (
        "The network is fairly sure: its uncertainty is below the thresholds chosen on the validation set."
    )


def test_both_reasons_word_for_word():
    assert not_sure_reasons(1.0, 0.6, Thresholds(0.5, 0.3)) == (
        (
            "its weight samples disagree (epistemic uncertainty 0.60 nats, above the threshold 0.30), so the image is "
            "probably unlike anything it was trained on;"
        ),
        (
            "and its averaged answer is spread over several digits (total uncertainty 1.00 nats, above the threshold "
            "0.50)."
        ),
    )


def test_the_deterministic_note_word_for_word_and_at_the_gap_exactly():
    at_the_gap = verdict_of(probability=0.25, deterministic_probability=0.25 + OVERCONFIDENCE_GAP)
    assert at_the_gap.deterministic_note() == (
        "The deterministic network is much more confident (0.45 for 3) than the Bayesian average (0.25 for 3): a "
        "single set of weights cannot tell what it has never seen."
    )
    assert (
        verdict_of(deterministic_digit=5).deterministic_note() == "The two networks disagree: 3 (Bayesian) against 5."
    )
    assert verdict_of(deterministic_flagged=True).deterministic_note() == (
        "The deterministic network's own entropy threshold flags this image too."
    )


def test_the_uncertainty_sentences_word_for_word():
    assert verdict_of().uncertainty_sentences() == {
        "total": "Total uncertainty (predictive entropy) is 0.800 nats out of at most 2.30: how spread out the averaged "
        "answer is over the ten digits.",
        "aleatoric": "Aleatoric uncertainty (expected entropy) is 0.500 nats: the doubt each sampled network has on "
        "its own, from an image that is ambiguous in itself; more training would not remove it.",
        "epistemic": "Epistemic uncertainty (mutual information) is 0.300 nats: how much the sampled networks "
        "disagree with each other, the model's own ignorance; it grows on things unlike the training digits.",
    }


def test_the_record_is_the_clis_json_line():
    verdict = verdict_of(not_sure=True, reasons=("a reason.",), kind="mc-dropout")
    assert verdict.record("seven.png") == {
        "file": "seven.png",
        "kind": "mc-dropout",
        "method": "mc-dropout",
        "digit": 3,
        "probability": 0.5,
        "votes": 6,
        "num_samples": 10,
        "predictive_entropy": 0.8,
        "expected_entropy": 0.5,
        "mutual_information": 0.3,
        "uncertainty": "high",
        "not_sure": True,
        "reasons": ["a reason."],
        "deterministic_digit": 3,
        "deterministic_probability": 0.6,
    }


def test_a_sure_row_leaves_the_not_sure_column_empty():
    assert verdict_of().row("a.png")["not sure"] == ""


def test_without_thresholds_the_level_is_the_share_of_a_quarter_of_the_largest_entropy():
    quarter = 0.25 * MAX_ENTROPY
    assert uncertainty_level(0.3 * quarter, 0.0, Thresholds()) == "low"
    assert uncertainty_level(1.5 * quarter, 0.0, Thresholds()) == "high"


def test_a_deterministic_entropy_exactly_at_its_threshold_is_not_flagged():
    flat = prediction(np.full(10, 0.1))
    limit = float(flat.predictive_entropy[0])
    assert not summarise(CONFIDENT, flat, LOOSE, Thresholds(predictive_entropy=limit)).deterministic_flagged
    assert summarise(CONFIDENT, flat, LOOSE, Thresholds(predictive_entropy=limit - 1e-9)).deterministic_flagged


def test_a_kind_without_a_page_name_is_listed_by_its_id():
    (row,) = comparison_rows({"laplace": (CONFIDENT, LOOSE)})
    assert row["method"] == "laplace"
