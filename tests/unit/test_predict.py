import numpy as np
import pytest
import tensorflow as tf
from helpers.networks import record_predictions, untrained_model

from bnn.config import Config
from bnn.model import predict
from bnn.reading.networks import PredictionMemo


def _model(arch="mlp", kind="bayesian", init_scale=0.05, seed=0):
    return untrained_model(Config(arch=arch, kind=kind, posterior_init_scale=init_scale, seed=seed))


@pytest.fixture(scope="module")
def refusing_model():
    """One untrained network for the tests of what predict refuses: it refuses before any weight is used."""
    return _model()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)


def test_prediction_fields_have_documented_shapes(images):
    prediction = _model().predict(images, num_samples=7, seed=0)
    assert prediction.samples.shape == (7, 4, 10) and prediction.num_samples == 7 and len(prediction) == 4
    assert prediction.mean_probs.shape == (4, 10)
    np.testing.assert_allclose(prediction.mean_probs.sum(axis=1), 1.0, atol=1e-5)
    assert prediction.label.shape == (4,) and prediction.votes.shape == (4, 10)
    np.testing.assert_array_equal(prediction.votes.sum(axis=1), 7)
    for field in (prediction.predictive_entropy, prediction.expected_entropy, prediction.mutual_information):
        assert field.shape == (4,) and np.all(field >= 0)
    np.testing.assert_allclose(
        prediction.predictive_entropy, prediction.expected_entropy + prediction.mutual_information, atol=1e-6
    )
    one = prediction[2]
    assert one.samples.shape == (7, 1, 10) and one.label[0] == prediction.label[2]


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_batched_predictive_agrees_with_the_naive_loop(arch, images):
    model = _model(arch, init_scale=0.08)
    fast = model.predict(images, num_samples=2000, seed=1).samples
    naive = predict.sample_naively(model.network, images, num_samples=400)
    assert fast.std(axis=0).max() > 0.02  # the weights really are random, so the check below means something
    standard_error = np.sqrt(fast.var(axis=0) / len(fast) + naive.var(axis=0) / len(naive))
    assert np.all(np.abs(fast.mean(axis=0) - naive.mean(axis=0)) < 5 * standard_error + 1e-4)
    # The spread across weight samples agrees too (within 25 %), not just the mean.
    spread_ratio = fast.std(axis=0).mean() / naive.std(axis=0).mean()
    assert 0.75 < spread_ratio < 1.25


def test_batched_convolution_equals_one_convolution_per_sampled_kernel():
    model = _model("conv")
    layer = model.network.get_layer("conv_2")
    rng = np.random.default_rng(0)
    hidden = tf.constant(rng.random((1, 3, 14, 14, 6)), tf.float32)
    kernels = tf.constant(rng.normal(size=(5, 5, 5, 6, 16)), tf.float32)
    batched = predict._batched_conv(hidden, kernels, layer).numpy()
    assert batched.shape == (5, 3, 10, 10, 16)
    for t in range(5):
        expected = tf.nn.conv2d(hidden[0], kernels[t], strides=1, padding="VALID").numpy()
        np.testing.assert_allclose(batched[t], expected, rtol=1e-4, atol=1e-4)


def test_same_seed_same_samples_and_fresh_seeds_differ(images):
    model = _model()
    first = model.predict(images, num_samples=5, seed=42).samples
    np.testing.assert_array_equal(first, model.predict(images, num_samples=5, seed=42).samples)
    assert not np.array_equal(first, model.predict(images, num_samples=5, seed=43).samples)
    assert not np.array_equal(model.predict(images, 5).samples, model.predict(images, 5).samples)


def test_one_trace_serves_every_batch_size_and_sample_count(images):
    model = _model()
    for count, num_samples in [(1, 1), (4, 10), (3, 1000), (2, 37)]:
        model.predict(images[:count], num_samples=num_samples)
    assert model._sample_probs.experimental_get_tracing_count() == 1


def test_large_requests_are_split_into_chunks_with_independent_noise(images, monkeypatch):
    monkeypatch.setattr(predict, "_ACTIVATION_BUDGET", 3 * 256 * 10)  # 3 images per chunk at T = 10
    model = _model()
    repeated = np.repeat(images[:1], 7, axis=0)
    prediction = model.predict(repeated, num_samples=10, seed=0)
    assert prediction.samples.shape == (10, 7, 10)
    assert not np.array_equal(prediction.samples[:, 0], prediction.samples[:, 3])  # chunks got their own noise


def test_progress_bar_counts_every_image_and_changes_no_sample(images, monkeypatch, capsys):
    monkeypatch.setattr(predict, "_ACTIVATION_BUDGET", 3 * 256 * 10)  # 3 images per chunk at T = 10
    model, seven = _model(), np.repeat(images[:1], 7, axis=0)
    quiet = model.predict(seven, num_samples=10, seed=0)
    assert capsys.readouterr().out == ""
    shown = model.predict(seven, num_samples=10, seed=0, progress=True)
    np.testing.assert_array_equal(shown.samples, quiet.samples)
    assert "7/7" in capsys.readouterr().out


def test_deterministic_model_gives_one_sample_and_no_epistemic_uncertainty(images):
    model = _model(kind="deterministic")
    prediction = model.predict(images, num_samples=100)
    assert prediction.num_samples == 1
    np.testing.assert_array_equal(prediction.mutual_information, 0.0)
    expected = tf.nn.softmax(model.network(images)).numpy()
    np.testing.assert_allclose(prediction.mean_probs, expected, atol=1e-6)


def test_flat_inputs_are_accepted(images):
    model = _model()
    flat = model.predict(images.reshape(4, 784), num_samples=3, seed=0)
    np.testing.assert_array_equal(flat.samples, model.predict(images, num_samples=3, seed=0).samples)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((28, 28), np.float32), "shape"),
        (np.zeros((2, 32, 32), np.float32), "shape"),
        (np.full((1, 28, 28), 255.0, np.float32), r"\[0, 1\]"),
        (np.full((1, 28, 28), np.nan, np.float32), "finite"),
        (np.array([["a"] * 28] * 28)[None], "numeric"),
    ],
)
def test_bad_images_are_refused_with_a_hint(bad, message, refusing_model):
    with pytest.raises(ValueError, match=message):
        refusing_model.predict(bad, num_samples=2)


@pytest.mark.parametrize("num_samples", [0, -1, 10**6, 2.5, True])
def test_bad_sample_counts_are_refused(num_samples, images, refusing_model):
    with pytest.raises(ValueError, match="num_samples"):
        refusing_model.predict(images, num_samples=num_samples)


def test_skipping_blank_pixels_changes_no_sample():
    model = _model(init_scale=0.08)
    digits = np.zeros((3, 28, 28), np.float32)  # MNIST-like: a blank border, and one blank image
    digits[:2, 6:22, 8:20] = np.random.default_rng(1).random((2, 16, 12))
    # A faint background (too small to move any sum) means no pixel is skipped; the same seed gives the same noise.
    faint = np.where(digits == 0, np.float32(1e-20), digits)
    skipped = model.predict(digits, num_samples=50, seed=3).samples
    np.testing.assert_allclose(skipped, model.predict(faint, num_samples=50, seed=3).samples, rtol=1e-5, atol=1e-6)
    assert skipped.std(axis=0).max() > 0.02  # the weights really are random


def test_the_naive_baseline_traces_once_per_network_and_image_count(images):
    network = _model().network
    predict.sample_naively(network, images, num_samples=2)
    traces = predict._compiled_forward.experimental_get_tracing_count()
    naive = predict.sample_naively(network, images, num_samples=3)
    assert naive.shape == (3, 4, 10) and predict._compiled_forward.experimental_get_tracing_count() == traces


def test_the_prediction_memo_predicts_each_input_model_t_and_seed_once(images, monkeypatch):
    bayesian, deterministic = _model(), _model(kind="deterministic")
    memo = PredictionMemo({"bayesian": bayesian, "deterministic": deterministic}, maxsize=2)
    expected = bayesian.predict(images[:1], num_samples=5, seed=1).samples
    calls = record_predictions(monkeypatch)
    first = memo(images[0], "bayesian", 5, 1)
    np.testing.assert_array_equal(first.samples, expected)
    assert memo(images[0].copy(), "bayesian", 5, 1) is first  # an equal input, not only the same array
    assert len(calls) == 1
    memo(images[0], "bayesian", 5, 2)  # another seed
    memo(images[0], "deterministic", 5, 1)  # another model; the memo holds two, the first is dropped
    memo(images[0], "bayesian", 5, 1)
    assert calls == ["bayesian", "bayesian", "deterministic", "bayesian"]


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_frozen_weights_compute_the_posterior_scales_once_and_sample_the_same(arch, images):
    live = _model(arch, init_scale=0.08)
    frozen = live.frozen()
    digits = np.where(images > 0.5, images, 0)  # blank pixels too, as in a digit: the first layer reads fewer rows

    def softplus_ops(model):  # the scales are a softplus of each weight's parameter (models.mean_field_posterior)
        graph = model._sampler.graph
        return sum(operation.type == "Softplus" for operation in graph.get_operations())

    assert softplus_ops(live) > 0 and softplus_ops(frozen) == 0
    np.testing.assert_array_equal(
        frozen.predict(digits, num_samples=30, seed=5).samples, live.predict(digits, num_samples=30, seed=5).samples
    )
    # a live model (one still training) follows a change of the scales; a frozen one keeps the scales it was given
    variable = next(v for v in live.network.trainable_variables if "untransformed_scale" in v.name)
    before = live.predict(digits, num_samples=30, seed=5).samples
    variable.assign_add(tf.ones_like(variable))
    assert not np.array_equal(live.predict(digits, num_samples=30, seed=5).samples, before)
    np.testing.assert_array_equal(frozen.predict(digits, num_samples=30, seed=5).samples, before)


def test_freezing_is_done_once_and_only_where_a_posterior_has_scales():
    variational, deterministic = _model(), _model(kind="deterministic")
    frozen = variational.frozen()
    assert frozen is not variational and frozen.frozen() is frozen and frozen.network is variational.network
    assert deterministic.frozen() is deterministic
