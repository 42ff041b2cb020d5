"""Streamlit page: draw, upload or pick a digit; see the Bayesian network's belief beside the deterministic answer.

Layout, widgets and caching only: preprocessing, prediction, the words of the verdict and the figures all come
from the ``bnn`` package. Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import logging
import os
import random

import streamlit as st
from streamlit_drawable_canvas import st_canvas

import bnn
from bnn import config, plots
from bnn.assets import shipped_architectures
from bnn.data import load_mnist_test
from bnn.examples import EXAMPLES, example_image
from bnn.preprocess import PreprocessSteps
from bnn.summary import (
    HOW_TO_READ,
    MNIST_MISSING,
    Thresholds,
    enlarge,
    failure_row,
    preprocessing_panels,
    summarise,
)

LOGGER = logging.getLogger("bnn.app")
ARCH_LABELS = {"mlp": "MLP", "conv": "Conv"}
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
MAX_UPLOAD_MB = config.MAX_IMAGE_BYTES // (1024 * 1024)  # mirrored in .streamlit/config.toml (a test checks)
CANVAS_SIZE = 280  # px; ten canvas pixels per pixel of the 28 x 28 input
IMAGE_ERRORS = (bnn.InvalidImageError, bnn.BlankImageError)
DRAW_PROMPT = "Draw a digit on the black canvas: the prediction appears when you lift the pen."
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

st.set_page_config(page_title="Bayesian digit recogniser", page_icon="🔢", layout="wide")


# --- cached work: models once per process, predictions once per (input, network, T, seed) ------------------


@st.cache_resource(show_spinner="Loading the networks…")
def load_models(arch: str, assets_dir: str) -> dict[str, bnn.DigitModel]:
    models = {kind: bnn.load_model(kind, arch, assets_dir) for kind in config.KINDS}
    warm_up = bnn.preprocess_image(example_image("noise"))[None]
    for model in models.values():  # compile the sampler now, so the first drawing is answered as fast as the rest
        model.predict(warm_up, num_samples=10)
    return models


@st.cache_data(max_entries=16, show_spinner=False)  # a 10 MB photo keeps ~10 MB of steps
def prepare_bytes(data: bytes) -> PreprocessSteps:
    return bnn.preprocess_steps(data)


@st.cache_data(show_spinner=False)
def prepare_example(name: str) -> PreprocessSteps:
    return bnn.preprocess_steps(example_image(name))


@st.cache_data(max_entries=512, show_spinner=False)
def predict(image, arch: str, assets_dir: str, num_samples: int, seed: int) -> tuple[bnn.Prediction, bnn.Prediction]:
    """Bayesian and deterministic predictions of one (28, 28) input."""
    models = load_models(arch, assets_dir)
    batch = image[None]
    return models["bayesian"].predict(batch, num_samples=num_samples, seed=seed), models["deterministic"].predict(batch)


@st.cache_resource(show_spinner="Loading the MNIST test digits…")
def load_test_digits(data_dir: str, keras_cache: str):  # the arguments key the cache: where the data is looked for
    return load_mnist_test()


# --- one result: the input, what the network sees, the verdict and the charts ------------------------------


def show_result(suffix: str, network_input, steps: PreprocessSteps | None = None, true_label: int | None = None):
    """Everything about one (28, 28) input, inside the containers ``result-<suffix>`` / ``verdict-<suffix>``.

    Uses the sidebar's choices (``arch``, ``num_samples``, ``seed``); returns the :class:`Verdict`.
    """
    bayesian, deterministic = predict(network_input, arch, assets_dir, num_samples, seed)
    models = load_models(arch, assets_dir)
    thresholds = Thresholds.from_card(models["bayesian"].card)
    verdict = summarise(
        bayesian, deterministic, thresholds, Thresholds.from_card(models["deterministic"].card), true_label=true_label
    )
    if steps is not None and suffix != "draw":  # beside a drawing, the canvas itself shows the input
        given, seen, words = st.columns([1, 1, 4], gap="medium")
        given.image(enlarge(steps.grayscale), caption="your image", width="stretch")
    else:
        seen, words = st.columns([1, 3], gap="medium")
    seen.image(enlarge(network_input), caption="what the network sees (28 x 28)", width="stretch")
    with words, st.container(key=f"verdict-{suffix}"):
        st.markdown(verdict.headline())
        (st.warning if verdict.not_sure else st.success)(verdict.explanation())
        st.markdown(" ".join(filter(None, [verdict.votes_sentence(), verdict.deterministic_note()])))
        if verdict.true_label is not None:
            st.markdown(verdict.truth_note())
    if steps is not None:
        with st.expander("How the image was prepared for the network"):
            for column, (caption, picture) in zip(st.columns(5), preprocessing_panels(steps), strict=True):
                column.image(enlarge(picture, 112), caption=caption)
    votes_column, spread_column = st.columns(2)
    votes_column.plotly_chart(plots.votes_figure(bayesian), key=f"votes-{suffix}", config=CHART_CONFIG)
    spread_column.plotly_chart(
        plots.sampled_probabilities_figure(bayesian), key=f"spread-{suffix}", config=CHART_CONFIG
    )
    split_column, compare_column = st.columns(2)
    with split_column:
        st.plotly_chart(
            plots.uncertainty_figure(bayesian, thresholds),
            key=f"split-{suffix}",
            config=CHART_CONFIG,
        )
        st.markdown("\n".join(f"- {sentence}" for sentence in verdict.uncertainty_sentences().values()))
    compare_column.plotly_chart(
        plots.softmax_comparison_figure(bayesian, deterministic), key=f"compare-{suffix}", config=CHART_CONFIG
    )
    return verdict


def show_failure(error: Exception) -> str:
    """Show (and return) the message for an input that failed; never a traceback."""
    if isinstance(error, IMAGE_ERRORS):
        message = str(error)
    else:  # a bug: the details go to the server log, the page says what to try
        LOGGER.error("unexpected error while showing a result", exc_info=error)
        message = "Something went wrong with this input. Try another image, or reload the page."
    st.error(message)
    return message


# --- the page ------------------------------------------------------------------------------------------------

st.title("Bayesian digit recogniser")
st.caption(
    "Draw, upload or pick a digit. A Bayesian network answers with T sampled sets of weights and says how sure "
    "it is; a deterministic network of the same shape answers beside it."
)
with st.expander("How to read this"):
    st.markdown(HOW_TO_READ)

assets_dir = str(config.assets_dir())  # $BNN_ASSETS_DIR or the repository's assets/
architectures = shipped_architectures(assets_dir)
with st.sidebar:
    st.header("Controls")
    num_samples = st.slider(
        "Weight samples T",
        min_value=10,
        max_value=1000,
        value=100,
        step=10,
        help="How many weight settings are drawn from the posterior. More samples, smoother estimates.",
    )
    network_label = st.selectbox(
        "Network",
        [ARCH_LABELS.get(arch, arch) for arch in architectures],
        help="The architecture; both its Bayesian and deterministic versions answer.",
    )
    seed = int(
        st.number_input(
            "Random seed",
            min_value=0,
            max_value=2**31 - 1,
            value=0,
            step=1,
            help="The same seed draws the same weight samples, so results are reproducible.",
        )
    )

if not architectures:
    st.error("No trained networks found in assets/: restore them with `git checkout -- assets/`.")
    st.stop()
arch = {ARCH_LABELS.get(name, name): name for name in architectures}[network_label]
try:
    load_models(arch, assets_dir)
except bnn.WeightsError as error:
    st.error(str(error))
    st.stop()
except Exception:  # e.g. weights that do not fit the architecture in their card
    LOGGER.exception("could not load the %s networks from %s", arch, assets_dir)
    st.error(f"The {network_label} networks could not be loaded. Restore assets/ with `git checkout -- assets/`.")
    st.stop()
st.sidebar.caption(Thresholds.from_card(load_models(arch, assets_dir)["bayesian"].card).describe())

draw_tab, upload_tab, test_tab, examples_tab = st.tabs(
    ["Draw", "Upload", "Test digits", "Not digits"], key="tabs", on_change="rerun"
)
# Input widgets are always rendered, so drawings and uploads survive a tab switch; results only in the open tab.

with draw_tab:
    canvas_column, result_column = st.columns([1, 2], gap="large")
    with canvas_column:
        brush_width = st.slider("Brush width", min_value=4, max_value=40, value=18, help="Pen width in canvas pixels.")
        canvas = st_canvas(
            stroke_width=brush_width,
            stroke_color="#FFFFFF",
            background_color="#000000",
            update_streamlit=True,
            height=CANVAS_SIZE,
            width=CANVAS_SIZE,
            drawing_mode="freedraw",
            return_image_data=True,
            key="canvas",
        )
        st.caption("Draw one digit, white on black. Undo and clear are in the canvas toolbar.")
    if draw_tab.open:
        with result_column, st.container(key="result-draw"):
            drawing = canvas.image_bytes if (canvas.json_data or {}).get("objects") else None
            if drawing is None:
                st.info(DRAW_PROMPT)
            else:
                try:
                    steps = prepare_bytes(drawing)
                    show_result("draw", steps.final, steps)
                except bnn.BlankImageError:  # strokes too faint or too small to count as ink
                    st.info(DRAW_PROMPT)
                except Exception as error:  # noqa: BLE001 -- any failure becomes a message, never a traceback
                    show_failure(error)

with upload_tab:
    uploads = st.file_uploader(
        "Upload images of digits (a phone photo of a dark digit on white paper works)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        max_upload_size=MAX_UPLOAD_MB,
        help=f"PNG, JPEG, BMP, GIF or WebP, at most {MAX_UPLOAD_MB} MB each. Several files at once are fine.",
    )
    if upload_tab.open:
        if not uploads:
            st.info("Upload one image of a digit, or several at once to compare them.")
        table = st.empty()  # filled once all files are read, above their detailed results
        rows = []
        for position, upload in enumerate(uploads or []):
            with st.container(key=f"result-upload-{position}", border=True):
                st.subheader(upload.name)
                try:
                    steps = prepare_bytes(upload.getvalue())
                    verdict = show_result(f"upload-{position}", steps.final, steps)
                except Exception as error:  # noqa: BLE001 -- bad files get a message; the others still show
                    rows.append(failure_row(upload.name, show_failure(error)))
                else:
                    rows.append(verdict.row(upload.name))
        if len(rows) > 1:
            table.dataframe(rows, hide_index=True)

with test_tab:
    if test_tab.open:
        try:
            test_digits = load_test_digits(os.environ.get(config.DATA_DIR_ENV, ""), str(config.KERAS_CACHE_DIR))
        except bnn.DataNotFoundError:
            st.info(MNIST_MISSING)
        except Exception as error:  # damaged data files: say so, keep the page
            LOGGER.exception("could not read MNIST")
            st.error(f"The MNIST files could not be read ({error}). Replace them and reload the page.")
        else:
            another = st.button("Another test digit")
            if another or not 0 <= st.session_state.get("test_index", -1) < len(test_digits):
                st.session_state["test_index"] = random.randrange(len(test_digits))
            index = st.session_state["test_index"]
            st.caption(f"MNIST test image {index} of {len(test_digits):,}; it was never used in training.")
            with st.container(key="result-test"):
                try:
                    show_result("test", test_digits.images[index], true_label=int(test_digits.labels[index]))
                except Exception as error:  # noqa: BLE001
                    show_failure(error)

with examples_tab:
    if examples_tab.open:
        st.markdown(
            "Things the networks never saw, generated in code. Watch the Bayesian samples disagree (epistemic "
            "uncertainty) while the deterministic network may still answer with confidence."
        )
        for name, example in EXAMPLES.items():
            with st.container(key=f"result-example-{name}", border=True):
                st.subheader(example.title)
                st.caption(example.description)
                try:
                    steps = prepare_example(name)
                    show_result(f"example-{name}", steps.final, steps)
                except Exception as error:  # noqa: BLE001
                    show_failure(error)
