"""Streamlit page: draw, upload or pick a digit; see the Bayesian network's belief beside the deterministic answer.

Layout, widgets, caching and the page's words only: preprocessing, prediction, the verdict and the figures all
come from the ``bnn`` package. Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from bnn.config import SERVING_THREADS

for _name, _value in SERVING_THREADS.items():  # before TensorFlow starts; the environment may override them
    os.environ.setdefault(_name, _value)

import bnn  # after the thread settings above
from bnn import config, figures
from bnn.corpora.nondigits import EXAMPLES, example_image
from bnn.data import load_mnist_test
from bnn.evaluation.insight import read_insight
from bnn.figures.images import enlarge, preprocessing_panels
from bnn.figures.inside import inside_charts
from bnn.image import NetworkInput, PreprocessSteps
from bnn.model.archive import pack_networks, unpack_networks
from bnn.model.teach import MAX_EXAMPLES, training_coreset
from bnn.model.weights import SHIFT_FILE, read_json, report_path, shipped_architectures, shipped_kinds
from bnn.reading.digit import answer_digit
from bnn.reading.lessons import CHECK_DIGITS, Lesson, Lessons
from bnn.reading.lessons import accuracy as lesson_accuracy
from bnn.reading.verdict import (
    KIND_NAMES,
    MAX_ENTROPY,
    Verdict,
    answer_name,
    comparison_rows,
    failure_row,
)
from bnn.reading.whatif import Exploration, explore

LOGGER = logging.getLogger("bnn.app")
ARCH_LABELS = {"mlp": "MLP", "conv": "Conv"}
MAX_UPLOAD_MB = config.MAX_IMAGE_BYTES // (1024 * 1024)  # mirrored in .streamlit/config.toml (a test checks)
SAMPLES_LABEL = "Weight samples T"
METHOD_LABEL = "Uncertainty method"
DRAW_PROMPT = (
    "Draw a digit on the black canvas: the prediction appears when you lift the pen. Undo and clear are in the "
    "canvas toolbar, the brush width in the sidebar."
)
DRAW_LINE_PROMPT = "Draw a digit below: the answer shows here."
DRAW_LINE_FAILED = "No answer: the message is under the canvas."
NUMBER_LINE_PROMPT = "Write a number below: the reading shows here."
NUMBER_LINE_FAILED = "No reading: the message is under the canvas."
# On a narrow screen the columns stack and a result falls below its canvas, out of view after a stroke: there
# (below Streamlit's 640 px breakpoint for columns) one line above each canvas gives the answer. A canvas's
# floating toolbar (streamlit-drawable-canvas) rises 2.65rem above the canvas when shown, over whatever is there
# (the tabs, that line): each canvas keeps that room free above it. The Number tab's width report takes no room.
# Where the columns do not stack, the Draw tab's canvas column is as wide as the canvas (so the canvas stays whole
# on a 1024 px screen) and the result takes the rest, or the row below when that is under 400 px.
# Plotly's mode bar, always shown on a touch screen, lies over a chart's title on a narrow one: hidden there (the
# chart still answers a finger, and Streamlit's full-screen button stays).
PAGE_CSS = """<style>
@media (min-width: 641px) {
  div:has(> .st-key-verdict-line-draw), div:has(> .st-key-verdict-line-number) { display: none; }
  [data-testid="stColumn"]:has(.st-key-canvas) { flex: 0 0 CANVAS_SIZEpx; }
  [data-testid="stColumn"]:has(.st-key-result-draw) { flex: 1 1 0; min-width: 400px; }
}
@media (max-width: 640px) { [data-testid="stPlotlyChart"] .modebar-container { display: none; } }
.st-key-verdict-line-draw p, .st-key-verdict-line-number p {
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
.st-key-canvas, .st-key-number-canvas { margin-top: 2rem; }
.st-key-number-column { display: none; }
</style>""".replace("CANVAS_SIZE", str(config.CANVAS_SIZE))
TEACH_INTRO = (
    "**Teach it.** If the answer was wrong, pick the digit you meant and teach it: the networks of this page "
    "learn your style; no one else's change."
)
TEACH_NEEDS_MNIST = (
    "Teaching replays a few MNIST training digits so that the networks keep what they knew: set BNN_DATA_DIR to "
    "the MNIST files (or run `python -m bnn train --download` once) and reload the page."
)
WHAT_HAPPENED = (
    "The posterior becomes the prior: each lesson starts from what the network believed, weight by weight, "
    "and moves it only as far as your example and a few replayed training digits ask. Weights it was sure of barely "
    "move, so it learns your style without forgetting the digits it knew; the deterministic twin, fine-tuned on the "
    'same examples, has no such anchor. "Forget what I taught" brings back the shipped networks exactly.'
)
DIGITS = list(range(10))
SOMETHING_WENT_WRONG = "Something went wrong with this input. Try another image, or reload the page."
PREPARED_LABEL = "How the image was prepared for the network"
METHODS_LABEL = 'Every method on this input (each flags "not sure" by its own validation thresholds)'
WHAT_IF_LABEL = "What if? This input rotated, shifted, thinner or thicker, partly covered"
WHAT_IF_HELP = (
    "Each row changes the network's input step by step; the chart below shows how the uncertainty of the chosen "
    "method (top) and both networks' confidence (bottom) follow. Epistemic uncertainty should grow as the "
    "input moves away from digits like those in training, while the deterministic network often stays sure."
)
INSIDE_INTRO = (
    "What the {network} networks learned, measured on data they never trained on: the MNIST test digits, "
    "Fashion-MNIST and rotated test digits. Every number comes from `python -m bnn evaluate`, `insight` and "
    "`shift` (JSON in assets/); nothing here is computed while you wait."
)
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

HOW_TO_READ = f"""
**A deterministic network** has one fixed set of weights and gives one answer with one probability. It says
"99 %" on a digit it has seen a thousand times and, often, just as loudly on a scribble it has never seen.

**A Bayesian network** keeps a *distribution* over its weights, learned from the data. Every time we look, we
draw **T** different weight settings from it ("{SAMPLES_LABEL}" in the sidebar) and ask each one. Where the
training data pinned the weights down, the samples agree; on strange inputs they disagree, and that disagreement
is the network telling you it does not know.

- **Votes**: how many of the T sampled networks picked each digit. All in one bar: they agree.
- **Sampled probabilities**: the spread of each digit's probability across the samples. Long boxes: they disagree.
- **Uncertainty split**: total uncertainty (predictive entropy) is the sum of *aleatoric* uncertainty (the image
  itself is ambiguous, e.g. a 4 that looks like a 9) and *epistemic* uncertainty (the network lacks knowledge;
  the samples disagree). Both are in nats; the largest possible value, for a uniform guess over ten digits, is
  {MAX_ENTROPY:.2f}.
- **"Not sure"** appears when either uncertainty is above a threshold chosen on {config.NUM_VALIDATION:,}
  validation images: the level that only the {config.FLAGGED_FRACTION:.0%} most uncertain validation digits exceed.
- **Deterministic vs Bayesian**: the orange bars are the deterministic network, the blue bars the Bayesian average.
"""

MNIST_MISSING = f"""
The MNIST test digits are not on this machine, so this tab has nothing to show; the other tabs work without them.
To get them, either start the app with `{config.DATA_DIR_ENV}` pointing at a folder holding the four original files
(`t10k-images-idx3-ubyte.gz` and the three others), or fetch Keras's copy into `~/.keras/datasets` once with
`python -c "import bnn; bnn.load_mnist(download=True)"`, then reload this page.
"""

st.set_page_config(page_title="Bayesian digit recogniser", page_icon="🔢", layout="wide")


@dataclass(frozen=True)
class Choices:
    """The sidebar's choices: which networks answer, with how many weight samples and which seed."""

    arch: str
    assets_dir: str
    num_samples: int
    seed: int
    kind: str = "bayesian"  # the kind that answers with uncertainty beside the deterministic network


@dataclass(frozen=True)
class Shown:
    """One input to show: the (28, 28) network input and, when it came from an image, how it was prepared."""

    network_input: NetworkInput
    steps: PreprocessSteps | None = None
    show_given: bool = True  # False beside the canvas, which shows the drawing itself
    true_label: int | None = None

    @classmethod
    def prepared(cls, steps: PreprocessSteps, show_given: bool = True) -> Shown:
        return cls(steps.final, steps, show_given)


# --- cached work: models once per process, predictions once per (input, network, T, seed) ------------------


@st.cache_resource(show_spinner="Loading the networks…")
def load_networks(arch: str, assets_dir: str) -> bnn.Networks:
    return bnn.load_networks(arch, assets_dir)


def session_lessons(arch: str) -> Lessons:
    """This page's lessons for ``arch``: kept in its Streamlit session state, so no other page's answers change."""
    return st.session_state.setdefault("lessons", {}).setdefault(arch, Lessons(arch))


def session_networks(choices: Choices) -> bnn.Networks:
    """The networks this page answers with: the shipped ones, or those its lessons taught."""
    return session_lessons(choices.arch).networks(load_networks(choices.arch, choices.assets_dir))


@st.cache_resource(show_spinner="Loading the digits replayed while teaching…")
def load_coreset(data_dir: str) -> tuple:
    return training_coreset(data_dir or None)  # none given: bnn looks where it always does


@st.cache_data(show_spinner=False)
def shipped_check(arch: str, assets_dir: str, kind: str, data_dir: str) -> dict[str, float]:
    """The shipped networks' accuracy on the forgetting check's MNIST test digits."""
    test = load_test_digits(data_dir, str(config.KERAS_CACHE_DIR))
    models = load_networks(arch, assets_dir).models
    images, labels = test.images[:CHECK_DIGITS], test.labels[:CHECK_DIGITS]
    return {name: lesson_accuracy(models[name], images, labels) for name in (kind, "deterministic")}


# Resource caches, not data caches: st.cache_data would pickle the steps (every stage's image) on every stroke, a new
# input each time, and unpickle them on every rerun. The steps are shared as they are: nothing modifies them.
@st.cache_resource(max_entries=16, show_spinner=False)
def prepare_bytes(data: bytes) -> PreprocessSteps:
    return bnn.preprocess_steps(data)


@st.cache_resource(show_spinner=False)
def prepare_example(name: str) -> PreprocessSteps:
    return bnn.preprocess_steps(example_image(name))


def predict_kind(image, choices: Choices, kind: str, networks: bnn.Networks) -> bnn.Prediction:
    """One shipped network's prediction of one (28, 28) input (T from the sidebar where it applies)."""
    return networks.predict(image, kind, choices.num_samples, choices.seed)


@st.cache_data(max_entries=64, show_spinner=False)
def explore_input(image, choices: Choices) -> Exploration:
    """The what-if variants of one (28, 28) input through both shipped networks (one batched call each)."""
    return explore_with(load_networks(choices.arch, choices.assets_dir), image, choices)


def explore_taught(image, choices: Choices) -> Exploration:
    """The same through this page's networks: never cached across pages, which do not share lessons."""
    return explore_with(session_networks(choices), image, choices)


def explore_with(networks: bnn.Networks, image, choices: Choices) -> Exploration:
    models = networks.models
    return explore(models[choices.kind], models["deterministic"], image, choices.num_samples, choices.seed)


@st.cache_data(show_spinner=False)
def load_inside(arch: str, assets_dir: str) -> dict[str, dict | None]:
    """The JSON behind the "Inside the model" tab: evaluation report, shift benchmark and insight (None if missing)."""
    return {
        "report": read_json(report_path(assets_dir, arch)),
        "shift": read_json(Path(assets_dir) / SHIFT_FILE),
        "insight": read_insight(assets_dir, arch),
    }


@st.cache_resource(show_spinner="Loading the MNIST test digits…")
def load_test_digits(data_dir: str, keras_cache: str):  # the arguments key the cache: where the data is looked for
    return load_mnist_test()


# --- the sidebar: its choices go to every result -------------------------------------------------------------


def sidebar(architectures: tuple[str, ...], assets_dir: str) -> Choices:
    with st.sidebar:
        st.header("Controls")
        num_samples = st.slider(
            SAMPLES_LABEL,
            **config.SAMPLES_SLIDER,
            help="How many weight settings are drawn from the posterior. More samples, smoother estimates.",
        )
        network_label = st.selectbox(
            "Network",
            [ARCH_LABELS.get(arch, arch) for arch in architectures],
            help="The architecture; both its Bayesian and deterministic versions answer.",
        )
        seed = st.number_input(
            "Random seed",
            min_value=0,
            max_value=2**31 - 1,
            value=0,
            step=1,
            help="The same seed draws the same weight samples, so results are reproducible.",
        )
        arch = {ARCH_LABELS.get(name, name): name for name in architectures}.get(network_label, "")
        methods = [kind for kind in shipped_kinds(arch, assets_dir) if config.answers_with_samples(kind)]
        kind = st.selectbox(
            METHOD_LABEL,
            methods or ["bayesian"],
            format_func=lambda kind: KIND_NAMES[kind],
            help="Which approximation to the Bayesian posterior answers beside the deterministic network: "
            "variational inference (the default), MC dropout or a deep ensemble, where they are shipped.",
        )
    return Choices(arch=arch, assets_dir=assets_dir, num_samples=int(num_samples), seed=int(seed), kind=kind)


def brush_slider() -> int:
    """The pen width of both canvases, in the sidebar: a stroke reruns only its panel, which then does not send
    the slider again. Not one of the `Choices`, which key the cached predictions."""
    return int(st.sidebar.slider(**config.BRUSH_SLIDER))


# --- one result: the input, what the network sees, the verdict and the charts ------------------------------


def failure_message(error: Exception, expected: tuple[type[Exception], ...], fallback: str) -> str:
    """What the page says about a failure: an expected error's own message; for anything else (a bug), the
    ``fallback``, with the details in the server log. Never a traceback."""
    if isinstance(error, expected):
        return str(error)
    LOGGER.error("unexpected error: %s", fallback, exc_info=error)
    return fallback


@dataclass(frozen=True)
class Answered:
    """One input read and answered by the chosen method and the deterministic network, nothing of it shown yet."""

    shown: Shown
    answer: bnn.DigitAnswer
    networks: bnn.Networks  # those that answered, with their thresholds


def answer(read: Callable[[], Shown], choices: Choices) -> Answered | Exception:
    """Read one input and answer it, or the exception that stopped it; shows nothing. Computing before showing
    sends the whole verdict to the page in one go, instead of a piece before the work and the rest after it."""
    try:
        shown = read()
        networks = session_networks(choices)
        answered = answer_digit(
            shown.network_input, networks, choices.kind, choices.num_samples, choices.seed, shown.true_label
        )
        return Answered(shown, answered, networks)
    except Exception as error:  # noqa: BLE001 -- shown as a message by show_input
        return error


def show_input(
    suffix: str, outcome: Answered | Exception, choices: Choices, blank_prompt: str | None = None
) -> Verdict | str | None:
    """Show one input's result (`answer`'s outcome), or a message when it failed: the verdict, the message, or
    None when the input is blank and ``blank_prompt`` was shown instead."""
    try:
        if isinstance(outcome, Exception):
            raise outcome
        return show_result(suffix, outcome, choices)
    except Exception as error:  # noqa: BLE001 -- any failure becomes a message, never a traceback
        if blank_prompt is not None and isinstance(error, bnn.BlankImageError):
            st.info(blank_prompt)
            return None
        message = failure_message(error, (bnn.InvalidImageError, bnn.BlankImageError), SOMETHING_WENT_WRONG)
        st.error(message)
        return message


def show_result(suffix: str, answered: Answered, choices: Choices) -> Verdict:
    """Everything about one input, inside the containers ``result-<suffix>`` / ``verdict-<suffix>``: the verdict
    first, then the images, the charts and the other methods' answers."""
    shown, verdict = answered.shown, answered.answer.verdict
    sampled, deterministic = answered.answer.sampled, answered.answer.deterministic
    thresholds = answered.networks.thresholds
    if shown.steps is not None and shown.show_given:
        given, seen, words = st.columns([1, 1, 4], gap="medium")
    else:
        given, (seen, words) = None, st.columns([1, 3], gap="medium")
    with words, st.container(key=f"verdict-{suffix}"):  # the answer first: it reaches the page before any image
        # Two elements: every element is one more WebSocket message on every stroke.
        votes = " ".join(filter(None, [verdict.votes_sentence(), verdict.deterministic_note()]))
        st.markdown("\n\n".join(filter(None, [verdict.headline(), votes, verdict.truth_note()])))
        (st.warning if verdict.not_sure else st.success)(verdict.explanation())
    if given is not None:
        given.image(enlarge(shown.steps.grayscale), caption="your image", width="stretch")
    seen.image(enlarge(shown.network_input), caption="what the network sees (28 x 28)", width="stretch")
    if shown.steps is not None:  # closed by default: its images are made only once it is opened
        prepared = st.expander(PREPARED_LABEL, key=f"prepared-{suffix}", on_change="rerun")
        if prepared.open:
            with prepared:
                panels = preprocessing_panels(shown.steps)
                for column, (caption, picture) in zip(st.columns(len(panels)), panels, strict=True):
                    column.image(enlarge(picture, 112), caption=caption)
    # Every figure is built before the first is sent, so the page draws the four charts in one go.
    charts = {
        "votes": figures.votes_figure(sampled),
        "spread": figures.sampled_probabilities_figure(sampled),
        "split": figures.uncertainty_figure(sampled, thresholds[choices.kind]),
        "compare": figures.softmax_comparison_figure(sampled, deterministic, verdict.name),
    }
    # Two columns of two charts, not two rows of two columns: every block is one more message on every stroke.
    left, right = st.columns(2)
    left.plotly_chart(charts["votes"], key=f"votes-{suffix}", config=CHART_CONFIG)
    right.plotly_chart(charts["spread"], key=f"spread-{suffix}", config=CHART_CONFIG)
    left.plotly_chart(charts["split"], key=f"split-{suffix}", config=CHART_CONFIG)
    left.markdown("\n".join(f"- {sentence}" for sentence in verdict.uncertainty_sentences().values()))
    right.plotly_chart(charts["compare"], key=f"compare-{suffix}", config=CHART_CONFIG)
    if len(thresholds) > len(config.KINDS):  # more than the variational network and its twin are shipped
        methods = st.expander(METHODS_LABEL, key=f"methods-{suffix}", on_change="rerun")  # closed: nothing computed
        if methods.open:
            networks = answered.networks
            answers = {kind: predict_kind(shown.network_input, choices, kind, networks) for kind in thresholds}
            methods.dataframe(
                comparison_rows({kind: (answers[kind], thresholds[kind]) for kind in answers}), hide_index=True
            )
    what_if = st.expander(WHAT_IF_LABEL, key=f"what-if-{suffix}", on_change="rerun")  # closed: nothing computed
    if what_if.open:
        with what_if, st.container(key=f"explore-{suffix}"):
            show_exploration(suffix, shown.network_input, choices)
    return verdict


def show_exploration(suffix: str, network_input: NetworkInput, choices: Choices) -> None:
    """The input's variants as thumbnails with the chosen method's digit of each, and one chart of every sweep."""
    taught = session_lessons(choices.arch).taught
    exploration = (explore_taught if taught else explore_input)(network_input, choices)
    st.caption(WHAT_IF_HELP)
    for answers in exploration.sweeps:
        captions = [
            f"{label}: {read}" for label, read in zip(answers.sweep.labels(), answers.digits_shown(), strict=True)
        ]
        st.markdown(f"**{answers.sweep.title}** ({answer_name(choices.kind)} digit under each)")
        thumbnails = [enlarge(image, config.THUMBNAIL_SIZE) for image in answers.sweep.images]
        st.image(thumbnails, caption=captions, width=config.THUMBNAIL_SIZE)
    st.plotly_chart(
        figures.exploration_figure(exploration, answer_name(choices.kind)),
        key=f"explore-chart-{suffix}",
        config=CHART_CONFIG,
    )


def show_inside(choices: Choices, networks: bnn.Networks) -> None:
    """What the posterior learned, from stored JSON only (no TensorFlow work): one chart and one reading each."""
    stored = load_inside(choices.arch, choices.assets_dir)
    report, shift, insight = stored["report"], stored["shift"], stored["insight"]
    cards = {kind: networks.models[kind].card for kind in config.KINDS}
    st.markdown(INSIDE_INTRO.format(network=ARCH_LABELS.get(choices.arch, choices.arch)))
    for chart in inside_charts(choices.arch, insight, report, shift, cards):
        with st.container(key=f"inside-{chart.name}", border=True):
            figure = chart.build()
            if figure:
                st.plotly_chart(figure, key=f"inside-chart-{chart.name}", config=CHART_CONFIG)
            (st.caption if figure else st.info)(chart.caption)


def read_bytes(data: bytes, show_given: bool = True) -> Callable[[], Shown]:
    return lambda: Shown.prepared(prepare_bytes(data), show_given)


def read_example(name: str) -> Callable[[], Shown]:
    return lambda: Shown.prepared(prepare_example(name))


@st.fragment
def draw_panel(choices: Choices, is_open: bool, brush: int) -> None:
    """The Draw tab: the canvas and, while the tab is open, the drawing's result. A fragment, so a stroke reruns
    only this panel: the sidebar (the brush width included), the tabs and the rest of the page are neither rerun
    nor sent again."""
    canvas_column, result_column = st.columns([1, 2], gap="large")
    with canvas_column:
        answer_line = st.container(key="verdict-line-draw")  # shown on narrow screens only (PAGE_CSS)
        canvas = st_canvas(stroke_width=brush, **config.CANVAS)
    if not is_open:
        return
    drawing = canvas.image_bytes if (canvas.json_data or {}).get("objects") else None
    outcome = None if drawing is None else answer(read_bytes(drawing, show_given=False), choices)
    if isinstance(outcome, Answered):
        answer_line.markdown(outcome.answer.verdict.brief())
    elif outcome is None or isinstance(outcome, bnn.BlankImageError):  # as the prompt beside the canvas
        answer_line.markdown(DRAW_LINE_PROMPT)
    else:
        answer_line.markdown(DRAW_LINE_FAILED)
    with result_column, st.container(key="result-draw"):
        if outcome is None:
            st.info(DRAW_PROMPT)
        else:  # strokes too faint or too small to count as ink get the prompt too
            show_input("draw", outcome, choices, blank_prompt=DRAW_PROMPT)
    with result_column:
        answered = outcome.answer if isinstance(outcome, Answered) else None
        teach_panel("draw", choices, answered and [(answered.network_input, answered.verdict.digit)])


# --- teaching: the person's corrections update a posterior of this page's own ------------------------------


def teach_panel(suffix: str, choices: Choices, read: list[tuple[NetworkInput, int]] | None) -> None:
    """Under a result: "Was this right?", the true digit and Teach; then what the lesson changed, what the page
    taught so far, and forgetting, keeping or sharing it. ``read``: each digit of the result (its network input and
    the digit read): one for a drawing, one per digit for a number."""
    lessons = session_lessons(choices.arch)
    with st.container(key=f"teach-{suffix}", border=True):
        st.markdown(TEACH_INTRO)
        if read:
            ask_and_teach(suffix, read, choices, lessons)
        lesson = st.session_state.get(f"last-lesson-{choices.arch}")
        if lesson is not None and lessons.count:
            show_lesson(suffix, lesson, choices)
        if lessons.taught:
            show_lessons(suffix, lessons, choices)
        keep_or_share(suffix, lessons, choices)


def ask_and_teach(suffix: str, read: list[tuple[NetworkInput, int]], choices: Choices, lessons: Lessons) -> None:
    position = 0
    if len(read) > 1:  # a number: which of its digits is meant
        position = st.selectbox(
            "Which digit was wrong?",
            range(len(read)),
            format_func=lambda index: f"digit {index + 1} from the left, read as {read[index][1]}",
            key=f"which-digit-{suffix}",
        )
    network_input, digit_read = read[position]
    digit_column, button_column = st.columns([2, 1], vertical_alignment="bottom")
    true_digit = digit_column.selectbox(
        "Was this right? The digit you meant", DIGITS, index=digit_read, key=f"true-digit-{suffix}-{position}"
    )
    if not button_column.button("Teach", key=f"teach-button-{suffix}", width="stretch"):
        return
    try:
        coreset = load_coreset(os.environ.get(config.DATA_DIR_ENV, ""))
    except bnn.DataNotFoundError:
        st.info(TEACH_NEEDS_MNIST)
        return
    bar = st.progress(0.0, text="Teaching…")
    try:
        lesson = lessons.teach(
            load_networks(choices.arch, choices.assets_dir),
            network_input,
            int(true_digit),
            choices.kind,
            choices.num_samples,
            choices.seed,
            progress=lambda done, total: bar.progress(done / total, text=f"Teaching… step {done} of {total}"),
            coreset=coreset,
        )
    except bnn.TeachingError as error:
        bar.empty()
        st.error(str(error))
        return
    st.session_state[f"last-lesson-{choices.arch}"] = lesson
    st.rerun()  # the result above now comes from the taught networks


def show_lesson(suffix: str, lesson: Lesson, choices: Choices) -> None:
    """The drawing taught last, before and after: the sampled networks' votes, the epistemic uncertainty, the twin."""
    name = answer_name(choices.kind)
    before, after = lesson.before, lesson.after
    st.markdown(
        f"**Taught: {lesson.label}.** {name}: {before.verdict.digit} before, **{after.verdict.digit}** after "
        f"(epistemic uncertainty {before.verdict.mutual_information:.3f} -> {after.verdict.mutual_information:.3f} "
        f"nats) · Deterministic: {before.verdict.deterministic_digit} before, "
        f"**{after.verdict.deterministic_digit}** after."
    )
    left, right = st.columns(2)
    left.plotly_chart(
        figures.votes_figure(before.sampled, title="Votes before the lesson"),
        key=f"lesson-before-{suffix}",
        config=CHART_CONFIG,
    )
    right.plotly_chart(
        figures.votes_figure(after.sampled, title="Votes after the lesson"),
        key=f"lesson-after-{suffix}",
        config=CHART_CONFIG,
    )


def show_lessons(suffix: str, lessons: Lessons, choices: Choices) -> None:
    """Every example taught on this page, the forgetting check, "Forget what I taught" and what happened."""
    st.markdown(f"**{lessons.count} of at most {MAX_EXAMPLES} examples taught on this page.**")
    if lessons.count:
        thumbnails = [enlarge(image, config.THUMBNAIL_SIZE) for image in lessons.images]
        st.image(thumbnails, caption=[str(label) for label in lessons.labels], width=config.THUMBNAIL_SIZE)
    data_dir = os.environ.get(config.DATA_DIR_ENV, "")
    try:
        before = shipped_check(choices.arch, choices.assets_dir, choices.kind, data_dir)
        test = load_test_digits(data_dir, str(config.KERAS_CACHE_DIR))
    except bnn.DataNotFoundError:
        st.caption("The check of what was forgotten needs the MNIST test digits (see the Test digits tab).")
    else:
        after = lessons.check(
            session_networks(choices), choices.kind, test.images[:CHECK_DIGITS], test.labels[:CHECK_DIGITS]
        )
        st.markdown(
            f"What was forgotten, on {CHECK_DIGITS:,} MNIST test digits: {answer_name(choices.kind)} "
            f"{100 * before[choices.kind]:.1f} % -> **{100 * after[choices.kind]:.1f} %**, deterministic "
            f"{100 * before['deterministic']:.1f} % -> **{100 * after['deterministic']:.1f} %**."
        )
    if st.button("Forget what I taught", key=f"forget-{suffix}"):
        lessons.forget()
        st.session_state.pop(f"last-lesson-{choices.arch}", None)
        st.rerun()
    with st.expander("What happened?"):
        st.markdown(WHAT_HAPPENED)


def keep_or_share(suffix: str, lessons: Lessons, choices: Choices) -> None:
    """Download the taught network, or upload one: a zip of weights and cards, checked as shipped weights are."""
    keep = st.expander("Keep or share a taught network", key=f"keep-taught-{suffix}", on_change="rerun")  # closed
    if not keep.open:
        return
    with keep:
        if lessons.taught:
            st.download_button(
                "Download the taught network (.zip)",
                pack_networks(lessons.taught),
                file_name=f"taught-{choices.arch}.zip",
                mime="application/zip",
                key=f"download-taught-{suffix}",
            )
        upload = st.file_uploader("Upload a taught network (.zip)", type=["zip"], key=f"upload-taught-{suffix}")
        if upload is not None and st.session_state.get("adopted") != upload.file_id:
            try:
                lessons.adopt(unpack_networks(upload.getvalue(), choices.arch))
            except bnn.WeightsError as error:
                st.error(f"{error} The networks answering are unchanged.")
            else:
                st.session_state["adopted"] = upload.file_id
                st.session_state.pop(f"last-lesson-{choices.arch}", None)
                st.success(f"The uploaded network answers from now on ({', '.join(sorted(lessons.taught))}).")


# --- the Number tab: a whole number, digit by digit ---------------------------------------------------------

NUMBER_PROMPT = (
    f"Write a number of up to {config.MAX_DIGITS} digits on the canvas, left to right, or upload a photo of one."
)
NUMBER_SOURCES = ("Draw", "Upload a photo")
# The Number tab's canvas is as wide as the column it is drawn in (bnn.config.number_canvas), so the browser
# reports that column's width. Not the user agent: it says phone or not, not how wide the column is, and a tablet
# held upright, a narrow window, a phone asking for the desktop site or the sidebar open at 1024 px cut the wide
# canvas off as well. Not a switch: a phone user would first have to find it, below a canvas already cut off.
# The report (a fitted width differing from the one shown) reruns only this panel, once as the page opens on a
# column narrower than the wide canvas and again when the column changes; a wider column sends nothing.
COLUMN_WIDTH_JS = """
const reporters = new WeakMap();  // per mounted element, across the page's updates
export default function ({ parentElement, data, setStateValue }) {
  let reporter = reporters.get(parentElement);
  if (!reporter) {
    reporter = { sent: data.widest, box: null, observer: null, timer: 0 };  // the page shows the widest at first
    reporter.measure = () => {
      // The nearest laid-out box: this element is hidden, and so is the tab panel while another tab is open.
      let box = parentElement;
      while (box && box.clientWidth === 0) box = box.parentElement;
      if (!box || !reporter.observer) return;
      if (box !== reporter.box) {
        reporter.observer.disconnect();
        reporter.observer.observe(box);
        reporter.box = box;
      }
      const style = getComputedStyle(box);
      const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const { narrowest, widest } = reporter.data;
      const fitted = Math.max(narrowest, Math.min(widest, Math.floor(width)));
      if (fitted !== reporter.sent) {
        reporter.sent = fitted;
        reporter.setStateValue("width", fitted);
      }
    };
    reporter.schedule = () => {  // once a resize has settled
      clearTimeout(reporter.timer);
      reporter.timer = setTimeout(reporter.measure, 100);
    };
    reporters.set(parentElement, reporter);
  }
  Object.assign(reporter, { data, setStateValue });
  if (!reporter.observer) {  // mounted (again)
    reporter.observer = new ResizeObserver(reporter.schedule);
    reporter.box = null;
    window.addEventListener("resize", reporter.schedule);
    requestAnimationFrame(reporter.measure);  // at once: the page has just opened
  }
  return () => {
    clearTimeout(reporter.timer);
    reporter.observer.disconnect();
    reporter.observer = null;
    window.removeEventListener("resize", reporter.schedule);
  };
}
"""
column_width = st.components.v2.component("bnn.column_width", js=COLUMN_WIDTH_JS, isolate_styles=False)


@st.cache_data(max_entries=32, show_spinner=False)
def read_number(data: bytes, choices: Choices) -> bnn.NumberReading:
    """One image read as a whole number by the chosen method and the deterministic network (the shipped ones)."""
    return read_number_with(data, choices, load_networks(choices.arch, choices.assets_dir))


def read_number_with(data: bytes, choices: Choices, networks: bnn.Networks) -> bnn.NumberReading:
    models = networks.models
    return bnn.read_number(
        data, models[choices.kind], choices.num_samples, choices.seed, deterministic=models["deterministic"]
    )


def number_outcome(data: bytes, choices: Choices) -> bnn.NumberReading | Exception:
    """The image read as a number, or the exception that stopped it; shows nothing."""
    try:
        if session_lessons(choices.arch).taught:  # this page's networks: never cached across pages
            return read_number_with(data, choices, session_networks(choices))
        return read_number(data, choices)
    except Exception as error:  # noqa: BLE001 -- shown as a message by number_panel
        return error


def number_line(outcome: bnn.NumberReading | Exception | None, choices: Choices) -> str:
    """The one line above the canvas on a narrow screen: both readings, "not sure" kept, or where to look."""
    if outcome is None or isinstance(outcome, bnn.BlankImageError):
        return NUMBER_LINE_PROMPT
    if isinstance(outcome, Exception):
        return NUMBER_LINE_FAILED
    flag = " (**not sure**)" if outcome.not_sure else ""
    return (
        f"**{answer_name(choices.kind)}: {outcome.mean_reading}**{flag} · "
        f"**Deterministic: {outcome.deterministic_reading}**"
    )


@st.fragment
def number_panel(choices: Choices, is_open: bool, brush: int) -> None:
    """The Number tab: a canvas as wide as the column (at most the wide one) or an upload and, while the tab is
    open, each digit's crop and verdict and the number's most frequent sampled readings."""
    source = st.radio("Read a number from", NUMBER_SOURCES, horizontal=True, key="number-source")
    reported = column_width(
        key="number-column",  # hidden by PAGE_CSS
        data={"narrowest": config.NARROWEST_NUMBER_CANVAS, "widest": config.NUMBER_CANVAS["width"]},
        default={"width": None},
        on_width_change=lambda: None,  # the fragment reruns: the canvas takes the new width
    )
    answer_line = None
    if source == NUMBER_SOURCES[0]:
        answer_line = st.container(key="verdict-line-number")  # shown on narrow screens only (PAGE_CSS)
        canvas = st_canvas(**config.number_canvas(reported.get("width"), brush))
        st.caption("Write the digits left to right; touching is fine. Undo and clear are in the canvas toolbar.")
        data = canvas.image_bytes if (canvas.json_data or {}).get("objects") else None
    else:
        upload = st.file_uploader(
            "Upload a photo or scan of a number",
            type=list(config.IMAGE_SUFFIXES),
            max_upload_size=MAX_UPLOAD_MB,
            key="number-upload",
        )
        data = upload.getvalue() if upload is not None else None
    if not is_open:
        return
    outcome = None if data is None else number_outcome(data, choices)
    if answer_line is not None:
        answer_line.markdown(number_line(outcome, choices))
    with st.container(key="result-number"):
        if outcome is None or isinstance(outcome, bnn.BlankImageError):
            st.info(NUMBER_PROMPT)
            return
        if isinstance(outcome, Exception):
            expected = (bnn.InvalidImageError, bnn.TooManyDigitsError)
            st.error(failure_message(outcome, expected, SOMETHING_WENT_WRONG))
            return
        reading = outcome
        with st.container(key="verdict-number"):
            st.markdown(f"{answer_name(choices.kind)}: {reading.headline()}")
            (st.warning if reading.not_sure else st.success)(reading.explanation())
            st.markdown(reading.sentence())
        for column, position in zip(st.columns(len(reading.digits)), range(len(reading.digits)), strict=True):
            column.image(enlarge(reading.digits[position], 112), caption=reading.digit_caption(position))
        st.plotly_chart(figures.number_readings_figure(reading), key="number-readings", config=CHART_CONFIG)
    read = [(digit, int(label)) for digit, label in zip(reading.digits, reading.sampled.label, strict=True)]
    teach_panel("number", choices, read)


# --- the page ------------------------------------------------------------------------------------------------

assets_dir = str(config.assets_dir())  # $BNN_ASSETS_DIR or the repository's assets/
architectures = shipped_architectures(assets_dir)
choices = sidebar(architectures, assets_dir)

st.title("Bayesian digit recogniser")
st.caption(
    "Draw, upload or pick a digit. A Bayesian network answers with T sampled sets of weights and says how sure "
    "it is; a deterministic network of the same shape answers beside it."
)
with st.expander("How to read this"):
    st.markdown(HOW_TO_READ)

if not architectures:
    st.error("No trained networks found in assets/: restore them with `git checkout -- assets/`.")
    st.stop()
try:
    networks = load_networks(choices.arch, choices.assets_dir)
except Exception as error:  # noqa: BLE001 -- e.g. weights that do not fit the architecture in their card
    label = ARCH_LABELS.get(choices.arch, choices.arch)
    restore = f"The {label} networks could not be loaded. Restore assets/ with `git checkout -- assets/`."
    st.error(failure_message(error, (bnn.WeightsError,), restore))
    st.stop()
st.sidebar.caption(networks.thresholds[choices.kind].describe())
brush = brush_slider()  # below the thresholds' caption, which describes the method chosen above it

st.html(PAGE_CSS)  # style only: Streamlit adds it to the page without taking any room
draw_tab, upload_tab, number_tab, test_tab, examples_tab, inside_tab = st.tabs(
    ["Draw", "Upload", "Number", "Test digits", "Not digits", "Inside the model"], key="tabs", on_change="rerun"
)
# Input widgets are always rendered, so drawings and uploads survive a tab switch; results only in the open tab.

with draw_tab:
    draw_panel(choices, draw_tab.open, brush)

with upload_tab:
    uploads = st.file_uploader(
        "Upload images of digits (a phone photo of a dark digit on white paper works)",
        type=list(config.IMAGE_SUFFIXES),
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
            answered = answer(read_bytes(upload.getvalue()), choices)
            with st.container(key=f"result-upload-{position}", border=True):
                st.subheader(upload.name)
                outcome = show_input(f"upload-{position}", answered, choices)
                rows.append(
                    outcome.row(upload.name) if isinstance(outcome, Verdict) else failure_row(upload.name, outcome)
                )
        if len(rows) > 1:
            table.dataframe(rows, hide_index=True)

with number_tab:
    number_panel(choices, number_tab.open, brush)

with test_tab:
    if test_tab.open:
        try:
            test_digits = load_test_digits(os.environ.get(config.DATA_DIR_ENV, ""), str(config.KERAS_CACHE_DIR))
        except bnn.DataNotFoundError:
            st.info(MNIST_MISSING)
        except Exception as error:  # noqa: BLE001 -- damaged data files: say so, keep the page
            st.error(failure_message(error, (), "The MNIST files could not be read. Replace them and reload the page."))
        else:
            another = st.button("Another test digit")
            if another or not 0 <= st.session_state.get("test_index", -1) < len(test_digits):
                st.session_state["test_index"] = random.randrange(len(test_digits))
            index = st.session_state["test_index"]
            st.caption(f"MNIST test image {index} of {len(test_digits):,}; it was never used in training.")
            digit = Shown(test_digits.images[index], true_label=int(test_digits.labels[index]))
            outcome = answer(lambda: digit, choices)
            with st.container(key="result-test"):
                show_input("test", outcome, choices)

with examples_tab:
    if examples_tab.open:
        st.markdown(
            "Things the networks never saw, generated in code. Watch the Bayesian samples disagree (epistemic "
            "uncertainty) while the deterministic network may still answer with confidence."
        )
        for name, example in EXAMPLES.items():
            outcome = answer(read_example(name), choices)
            with st.container(key=f"result-example-{name}", border=True):
                st.subheader(example.title)
                st.caption(example.description)
                show_input(f"example-{name}", outcome, choices)

with inside_tab:
    if inside_tab.open:
        show_inside(choices, networks)
