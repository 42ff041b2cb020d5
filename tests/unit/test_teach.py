"""bnn.model.teach: a lesson updates a posterior with the old one as its prior (variational continual learning),
or fine-tunes a deterministic network on the same batches; seeded, and the model taught is left as it was."""

from __future__ import annotations

import numpy as np
import pytest

import bnn
from bnn.model import teach as teaching
from bnn.model.networks import weight_arrays
from bnn.model.teach import MAX_EXAMPLES, TeachingError, posterior_kl, teach


@pytest.fixture(scope="module")
def bayesian():
    return bnn.load_model("bayesian", "mlp")


@pytest.fixture(scope="module")
def one(mnist):
    """A test digit 1 that every shipped network reads as 1."""
    return mnist.test.images[np.flatnonzero(mnist.test.labels == 1)[0]]


def _same_weights(a, b) -> bool:
    first, second = weight_arrays(a.network), weight_arrays(b.network)
    return first.keys() == second.keys() and all(np.array_equal(first[key], second[key]) for key in first)


def test_the_kl_to_the_old_posterior_is_zero_without_a_change_and_grows_with_a_lesson(bayesian, one):
    assert posterior_kl(bayesian, bayesian) == 0.0
    taught = teach(bayesian, [one], [7], seed=0)
    assert posterior_kl(taught, bayesian) > 0


def test_the_prior_of_a_lesson_is_the_posterior_it_starts_from(bayesian, one):
    taught = teach(bayesian, [one], [7], seed=0)
    teacher = teaching._teacher(bayesian.card)
    layers = [layer for layer in bayesian.network.layers if isinstance(layer, teaching.VARIATIONAL_TYPES)]
    for layer, (loc, scale) in zip(layers, teacher.priors, strict=True):
        np.testing.assert_array_equal(loc.numpy(), layer.kernel_posterior.distribution.loc.numpy())
    again = teach(taught, [one], [7], seed=0)  # the next lesson's prior is the taught posterior
    taught_layers = [layer for layer in taught.network.layers if isinstance(layer, teaching.VARIATIONAL_TYPES)]
    for layer, (loc, _) in zip(taught_layers, teacher.priors, strict=True):
        np.testing.assert_array_equal(loc.numpy(), layer.kernel_posterior.distribution.loc.numpy())
    assert again.card.taught_examples == 2 and again.card.raw["taught"]["lessons"] == 2


def test_a_seed_gives_the_same_lesson_and_the_model_taught_is_untouched(bayesian, one):
    before = weight_arrays(bayesian.network)
    first, second = (teach(bayesian, [one], [7], seed=3) for _ in range(2))
    assert _same_weights(first, second)
    assert not _same_weights(first, teach(bayesian, [one], [7], seed=4))
    assert all(np.array_equal(before[key], value) for key, value in weight_arrays(bayesian.network).items())
    assert bayesian.card.taught_examples == 0 and first.card.taught_examples == 1
    assert "files" not in first.card.raw  # the taught weights are no file's until written


def test_a_one_taught_three_times_as_a_seven_reads_seven_and_the_shipped_network_still_reads_one(bayesian, one):
    taught = teach(bayesian, [one, one, one], [7, 7, 7], seed=0)
    assert int(bayesian.predict(one[None], 50, seed=0).label[0]) == 1
    assert int(taught.predict(one[None], 50, seed=0).label[0]) == 7


@pytest.mark.parametrize(("knob", "value"), [("NEW_SHARE", 0.9), ("KL_SCALE", 0.1)])
def test_a_heavier_share_of_new_examples_or_a_lighter_kl_moves_the_posterior_further(
    bayesian, one, monkeypatch, knob, value
):
    shipped = posterior_kl(teach(bayesian, [one], [7], seed=0), bayesian)
    monkeypatch.setattr(teaching, knob, value)
    teaching._teacher_for.cache_clear()  # a teacher reads the recipe when it is built
    try:
        assert (
            posterior_kl(teach(bayesian, [one], [7], seed=0), bayesian) > 1.2 * shipped
        )  # not wired: the same lesson, the same KL
    finally:
        teaching._teacher_for.cache_clear()  # the shipped recipe's teacher for the tests after this one


@pytest.mark.parametrize("kind", ["deterministic", "mc-dropout", "ensemble"])
def test_every_other_kind_is_fine_tuned_on_the_same_lesson(kind, one):
    model = bnn.load_model(kind, "mlp")
    taught = teach(model, [one, one, one], [7, 7, 7], seed=0)
    assert type(taught) is type(model) and taught.card.raw["taught"]["method"] == "fine-tuning"
    assert int(taught.predict(one[None], 10, seed=0).label[0]) == 7


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((2, 28, 28)), [1], "one label per image"),
        (np.zeros((1, 28, 28)), [10], "digits 0 to 9"),
        (np.zeros((1, 28, 28)), [-1], "digits 0 to 9"),
        (np.zeros((1, 28, 28)), [1.5], "digits 0 to 9"),
        (np.zeros((1, 20, 20)), [1], "(N, 28, 28)"),
        (np.full((1, 28, 28), 2.0), [1], "[0, 1]"),
        (np.full((1, 28, 28), np.nan), [1], "[0, 1]"),
        (np.zeros((MAX_EXAMPLES + 1, 28, 28)), [1] * (MAX_EXAMPLES + 1), f"at most {MAX_EXAMPLES}"),
    ],
)
def test_bad_lessons_are_refused_with_a_message(bayesian, images, labels, message):
    with pytest.raises(TeachingError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        teach(bayesian, images, labels)
