"""The Streamlit page, driven by streamlit.testing.v1.AppTest (no browser). Uploads are drawn with Pillow."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import sys
import time
import tomllib
import types

import numpy as np
import plotly.tools
import pytest
from helpers import ROOT
from helpers.digits import drawn_digit, font_digit, png_bytes
from helpers.networks import record_predictions
from PIL import Image
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.caching import cache_utils
from streamlit.testing.v1 import AppTest

import bnn
import bnn.reading.networks
from bench.browser.session import DIGIT_STROKES, canvas_drawing
from bnn import config, figures
from bnn.corpora.nondigits import EXAMPLES
from bnn.model.weights import shipped_architectures, shipped_kinds
from bnn.reading import whatif as explore
from bnn.reading.verdict import KIND_NAMES, KIND_SAMPLES

APP = ROOT / "app.py"
TIMEOUT = 120  # seconds per script run; the first one imports TensorFlow and loads both networks
TABS = ["Draw", "Upload", "Number", "Test digits", "Not digits", "Inside the model"]
CHARTS_PER_RESULT = 4  # votes, sampled probabilities, uncertainty split, deterministic vs Bayesian
SWEEP_TITLES = ["Rotated", "Shifted sideways", "Thinner or thicker strokes", "Partly covered by a bar"]


def open_app(tab: str = "Draw") -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.session_state["tabs"] = tab
    return app.run()


def upload(app: AppTest, *files: tuple[str, bytes]) -> AppTest:
    app.file_uploader[0].set_value([(name, data, "application/octet-stream") for name, data in files])
    return app.run()


def texts(block) -> str:
    """Every piece of text shown inside ``block`` (markdown, alerts, captions, headers), one per line."""
    return "\n".join(node.value for node in block if isinstance(getattr(node, "value", None), str))


def charts(block) -> list:
    return list(block.get("plotly_chart"))


def chart_spec(app: AppTest, key: str) -> dict:
    return json.loads(app.main.get_by_key(key).proto.spec)


def result(app: AppTest, key: str):
    return app.main.get_by_key(key)


def skip_unless_mnist_is_shown(app: AppTest) -> None:
    """Skips on a machine without MNIST; where $BNN_DATA_DIR points at it (as the suite sets it), a page that says
    MNIST is missing is a bug, and fails."""
    missing = [info.value for info in app.info if "not on this machine" in info.value]
    if missing and not os.environ.get(config.DATA_DIR_ENV):
        pytest.skip(f"MNIST is not on this machine: set {config.DATA_DIR_ENV}")
    assert not missing, f"{config.DATA_DIR_ENV}={os.environ.get(config.DATA_DIR_ENV)}, yet the page says: {missing}"


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [error.value for error in app.exception]


def png(image: Image.Image, mode: str = "L") -> bytes:
    return png_bytes(image.convert(mode))


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module", autouse=True)
def warm_app():
    """One run first, so the models are loaded (st.cache_resource) before any test measures anything."""
    assert_no_exception(open_app())


# --- the page and its controls ----------------------------------------------------------------------------


def test_the_server_asks_tensorflow_for_one_thread_per_operation_and_two_at_once(monkeypatch):
    """Set before TensorFlow starts in a served process (`streamlit run app.py`), unless the environment says."""
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    assert_no_exception(open_app())
    assert (os.environ["TF_NUM_INTRAOP_THREADS"], os.environ["TF_NUM_INTEROP_THREADS"]) == ("1", "2")
    source = (ROOT / "app.py").read_text()
    assert source.index("os.environ.setdefault(_name, _value)") < source.index("\nimport bnn  # after")


def test_page_has_the_controls_tabs_and_a_draw_prompt():
    app = open_app()
    assert_no_exception(app)
    samples = app.sidebar.slider[0]
    assert (samples.label, samples.min, samples.max, samples.value) == ("Weight samples T", 10, 1000, 100)
    network = app.sidebar.selectbox[0]
    assert network.label == "Network" and network.value == "MLP"
    assert network.options == [{"mlp": "MLP", "conv": "Conv"}[arch] for arch in shipped_architectures()]
    seed = app.sidebar.number_input[0]
    assert (seed.label, seed.value) == ("Random seed", 0)
    assert '"Not sure" above these thresholds' in texts(app.sidebar) and "validation" in texts(app.sidebar)
    assert [tab.label for tab in app.tabs] == TABS
    how_to_read = " ".join(texts(next(box for box in app.expander if box.label == "How to read this")).split())
    for phrase in ("deterministic", "Bayesian network", "aleatoric", "epistemic", "Not sure", "Weight samples T"):
        assert phrase.lower() in how_to_read.lower()
    assert "5,000 validation images" in how_to_read and "5% most uncertain" in how_to_read and "2.30" in how_to_read
    draw = result(app, "result-draw")
    assert draw.info[0].value.startswith("Draw a digit")
    assert not charts(draw) and "Bayesian:" not in texts(draw)
    with pytest.raises(KeyError):
        result(app, "verdict-draw")


def test_network_selector_lists_only_shipped_architectures(tmp_path):
    for kind in config.KINDS:
        shutil.copy(ROOT / "assets" / f"mlp-{kind}.json", tmp_path)
    assert shipped_architectures(tmp_path) == ("mlp",)
    (tmp_path / "conv-bayesian.json").write_text("{}")
    assert shipped_architectures(tmp_path) == ("mlp",)  # a Bayesian conv without its deterministic twin is not shown
    (tmp_path / "conv-deterministic.json").write_text("{}")
    assert shipped_architectures(tmp_path) == ("mlp", "conv")
    assert shipped_architectures() == ("mlp", "conv")  # the repository ships both


def test_choosing_a_network_loads_that_architecture(monkeypatch):
    monkeypatch.setattr(bnn.model.weights, "shipped_architectures", lambda assets_dir=None: ("mlp", "conv"))
    requested = []
    real_load_model = bnn.model.predict.load_model

    def load_model(kind, arch="mlp", assets_dir=None):
        requested.append((kind, arch))
        if arch == "conv":  # not shipped here: the page must say so instead of failing
            raise bnn.WeightsError("Model card assets/conv-bayesian.json is missing. Restore the shipped files.")
        return real_load_model(kind, arch, assets_dir)

    monkeypatch.setattr(bnn.reading.networks, "load_model", load_model)
    app = open_app()
    assert app.sidebar.selectbox[0].options == ["MLP", "Conv"]
    app.sidebar.selectbox[0].select("Conv").run()
    assert_no_exception(app)
    assert ("bayesian", "conv") in requested
    assert "conv-bayesian.json is missing" in app.error[0].value


def test_upload_limit_is_the_same_in_config_toml_and_in_code():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["maxUploadSize"] * 1024 * 1024 == config.MAX_IMAGE_BYTES
    assert settings["server"]["headless"] is True
    assert settings["client"]["showErrorDetails"] == "none"  # no traceback in the browser, ever
    assert settings["browser"]["gatherUsageStats"] is False
    app = open_app("Upload")
    assert app.file_uploader[0].proto.max_upload_size_mb * 1024 * 1024 == config.MAX_IMAGE_BYTES


def test_only_the_open_tab_computes_results():
    app = open_app("Draw")
    for key in ("result-test", *(f"result-example-{name}" for name in EXAMPLES)):
        with pytest.raises(KeyError):
            result(app, key)
    assert len(app.file_uploader) == 1  # the uploader is kept on every run, so uploads survive tab switches


# --- Draw --------------------------------------------------------------------------------------------------


class FakeCanvas:
    """Stands in for streamlit_drawable_canvas (its JavaScript only runs in a browser) and records the call."""

    def __init__(self, objects: list, image: bytes | None):
        self.calls: list[dict] = []
        self.module = types.ModuleType("streamlit_drawable_canvas")
        self.module.st_canvas = self.st_canvas
        self.objects, self.image = objects, image

    def st_canvas(self, **arguments):
        self.calls.append(arguments)
        return types.SimpleNamespace(json_data={"objects": self.objects}, image_bytes=self.image)

    def last(self, key: str) -> dict:
        """The arguments of the latest call for the canvas with this key (the Draw and Number tabs each have one)."""
        return next(call for call in reversed(self.calls) if call["key"] == key)


def canvas_png(image: Image.Image) -> bytes:
    """What the canvas sends: an RGBA PNG, opaque black background, white strokes."""
    return png(image, "RGBA")


@pytest.fixture
def fake_canvas(monkeypatch):
    def install(objects: list, image: bytes | None) -> FakeCanvas:
        canvas = FakeCanvas(objects, image)
        monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", canvas.module)
        return canvas

    return install


def test_drawing_a_digit_shows_both_verdicts_and_the_charts(fake_canvas):
    canvas = fake_canvas([{"type": "path"}], canvas_png(drawn_digit(7)))
    app = open_app("Draw")
    assert_no_exception(app)
    arguments = canvas.last("canvas")
    assert arguments["key"] == "canvas" and arguments["drawing_mode"] == "freedraw"
    assert arguments["update_streamlit"] is True and arguments["return_image_data"] is True
    assert (arguments["stroke_color"], arguments["background_color"]) == ("#FFFFFF", "#000000")
    verdict = texts(result(app, "verdict-draw"))
    assert "Bayesian: 7" in verdict and "Deterministic: 7" in verdict and "not sure" not in verdict
    assert len(result(app, "verdict-draw").children) == 2  # one text, one box: each element is a message per stroke
    assert len(charts(result(app, "result-draw"))) == CHARTS_PER_RESULT
    brush = next(slider for slider in app.sidebar.slider if slider.label == "Brush width")
    brush.set_value(30).run()
    assert canvas.last("canvas")["stroke_width"] == canvas.last("number-canvas")["stroke_width"] == 30


def test_a_drawing_is_predicted_before_its_result_is_sent_and_the_verdict_goes_before_images_and_charts(
    fake_canvas, monkeypatch
):
    """The order in which the page receives a drawing's result: nothing between the canvas and the predictions
    (so the result reaches the page in one go), then the verdict, and only then the images and the charts."""
    # A drawing no other test makes (this canvas size): the process's memo holds no prediction of it yet.
    canvas = fake_canvas([{"type": "path"}], canvas_png(drawn_digit(0, size=271)))
    events: list[tuple[str, str]] = []
    enqueue, block = DeltaGenerator._enqueue, DeltaGenerator._block

    def record_canvas(**arguments):
        events.append(("canvas", arguments["key"]))
        return canvas.st_canvas(**arguments)

    def record_element(self, delta_type, element_proto, *args, **kwargs):
        events.append((delta_type, str(getattr(element_proto, "body", ""))))
        return enqueue(self, delta_type, element_proto, *args, **kwargs)

    def record_block(self, *args, **kwargs):  # containers and columns: sent to the page as they are made
        events.append(("block", ""))
        return block(self, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "_enqueue", record_element)
    monkeypatch.setattr(DeltaGenerator, "_block", record_block)
    record_predictions(monkeypatch, lambda model, images: ("predict", model.kind), into=events)
    monkeypatch.setattr(canvas.module, "st_canvas", record_canvas)
    app = open_app("Draw")
    assert_no_exception(app)
    assert "Bayesian: 0" in texts(result(app, "verdict-draw"))
    kinds = [kind for kind, _ in events]
    after_canvas = kinds[events.index(("canvas", "canvas")) + 1 :]
    assert after_canvas[:2] == ["predict", "predict"], after_canvas[:5]
    headline = next(i for i, (_, body) in enumerate(events) if body.startswith("**Bayesian: 0**"))
    assert headline < kinds.index("imgs") < kinds.index("plotly_chart"), kinds


def test_the_charts_of_an_answer_reach_st_plotly_chart_unvalidated(fake_canvas, monkeypatch):
    """Plotly's validation and copying were most of the figures' cost on every stroke, and st.plotly_chart validates
    any figure it is given as a dict: the page hands it `bnn.figures.PlainFigure`s, which it takes as they are."""
    fake_canvas([{"type": "path"}], canvas_png(drawn_digit(7)))
    handed = []
    take_figure = plotly.tools.return_figure_from_figure_or_data  # what st.plotly_chart does first with its figure

    def record(figure_or_data, validate_figure):
        handed.append(figure_or_data)
        return take_figure(figure_or_data, validate_figure)

    monkeypatch.setattr(plotly.tools, "return_figure_from_figure_or_data", record)
    app = open_what_if(open_app("Draw"), "draw")
    assert_no_exception(app)
    assert len(handed) == 2 * CHARTS_PER_RESULT + 1  # one result's charts on each run, then What if?'s chart
    assert all(isinstance(figure, figures.PlainFigure) and figure._checked is None for figure in handed), handed


@pytest.mark.parametrize(
    ("objects", "image"),
    [([], None), ([], canvas_png(drawn_digit(1))), ([{"type": "path"}], canvas_png(Image.new("L", (280, 280))))],
    ids=["never-drawn", "cleared", "no-ink"],
)
def test_blank_canvas_asks_for_a_digit_and_predicts_nothing(fake_canvas, objects, image):
    fake_canvas(objects, image)
    app = open_app("Draw")
    assert_no_exception(app)
    draw = result(app, "result-draw")
    assert [info.value[:12] for info in draw.info] == ["Draw a digit"]
    assert not charts(draw) and "Bayesian:" not in texts(draw)


@pytest.mark.parametrize(
    ("objects", "image", "line"),
    [
        ([], None, "Draw a digit below"),
        ([{"type": "path"}], canvas_png(Image.new("L", (280, 280))), "Draw a digit below"),
        ([{"type": "path"}], canvas_png(drawn_digit(7)), "**Bayesian: 7** · **Deterministic: 7**"),
        ([{"type": "path"}], b"these bytes are not a PNG", "No answer: the message is under the canvas."),
    ],
    ids=["never-drawn", "no-ink", "a-seven", "unreadable"],
)
def test_a_line_above_the_canvas_gives_the_answer_for_narrow_screens(fake_canvas, objects, image, line):
    """Where the columns stack (a phone) the result falls below the canvas: the line above it, hidden on wide
    screens by the page's style (tests/system/test_browser.py checks both), says the answer or what to do."""
    fake_canvas(objects, image)
    app = open_app("Draw")
    assert_no_exception(app)
    (shown,) = result(app, "verdict-line-draw").markdown
    assert shown.value.startswith(line), shown.value


def test_a_canvas_image_that_cannot_be_read_gets_a_message_not_a_crash(fake_canvas):
    """Any failure to read the drawing (not only a blank one) is shown as a message, never a NameError."""
    fake_canvas([{"type": "path"}], b"these bytes are not a PNG")
    app = open_app("Draw")
    assert_no_exception(app)
    draw = result(app, "result-draw")
    assert draw.error and "not a PNG" in draw.error[0].value
    assert not charts(draw) and "Bayesian:" not in texts(draw)


# --- What if? --------------------------------------------------------------------------------------------


def open_what_if(app: AppTest, suffix: str) -> AppTest:
    app.session_state[f"what-if-{suffix}"] = True  # what a click on the expander sends
    return app.run()


@pytest.mark.parametrize("suffix", ["draw", "upload-0", "test"])
def test_the_what_if_explorer_is_closed_at_first_and_shows_every_sweep_when_opened(fake_canvas, suffix):
    fake_canvas([{"type": "path"}], canvas_png(drawn_digit(4)))
    tab = {"draw": "Draw", "upload-0": "Upload", "test": "Test digits"}[suffix]
    app = open_app(tab)
    if suffix == "upload-0":
        app = upload(app, ("three.png", png(font_digit(3, size=300))))
    if tab == "Test digits":
        skip_unless_mnist_is_shown(app)
    assert_no_exception(app)
    what_if = [box for box in result(app, f"result-{suffix}").expander if box.label.startswith("What if?")]
    assert len(what_if) == 1 and not what_if[0].proto.expanded
    with pytest.raises(KeyError):  # closed: nothing computed or drawn
        result(app, f"explore-{suffix}")
    app = open_what_if(app, suffix)
    assert_no_exception(app)
    explorer = result(app, f"explore-{suffix}")
    titles = [text.value for text in explorer.markdown]
    assert titles == [f"**{title}** (Bayesian digit under each)" for title in SWEEP_TITLES]
    thumbnails = [len(image.captions) for image in explorer.image]
    assert thumbnails == [len(sweep.values) for sweep in explore.variants(np.zeros((28, 28)))]
    assert "0°: " in " ".join(explorer.image[0].captions)
    traces = json.loads(app.main.get_by_key(f"explore-chart-{suffix}").proto.spec)["data"]
    assert len(traces) == 4 * len(SWEEP_TITLES)


def test_what_if_says_blank_where_a_variant_has_no_ink_left(fake_canvas):
    """A 7 drawn with the default pen is a thin stroke: thinned by 1 or 2 px, nothing readable is left, and the
    page says so instead of giving the networks' guess at an empty input as a digit."""
    seven = canvas_drawing(7, DIGIT_STROKES[7], pen_width=config.BRUSH_SLIDER["value"])
    fake_canvas([{"type": "path"}], seven.png)
    app = open_what_if(open_app("Draw"), "draw")
    assert_no_exception(app)
    assert "Bayesian: 7" in texts(result(app, "verdict-draw"))
    explorer = result(app, "explore-draw")
    thickness = dict(
        caption.split(": ") for caption in explorer.image[SWEEP_TITLES.index("Thinner or thicker strokes")].captions
    )
    assert thickness["-2 px"] == "blank" and thickness["as drawn"] == "7", thickness


# --- Upload ------------------------------------------------------------------------------------------------


def test_upload_of_a_digit_shows_the_network_input_verdict_and_charts(capsys, monkeypatch):
    app = open_app("Upload")
    started = time.perf_counter()
    upload(app, ("four.png", png(font_digit(4, size=300))))
    elapsed = time.perf_counter() - started
    assert_no_exception(app)
    with capsys.disabled():
        print(f"\n[timing] upload of a new digit -> rendered result (AppTest run, T = 100): {elapsed:.2f} s")
    block = result(app, "result-upload-0")
    verdict = texts(result(app, "verdict-upload-0"))
    assert "Bayesian: 4" in verdict and "Deterministic: 4" in verdict and "not sure" not in verdict
    assert any(f"uncertainty {level} " in verdict for level in ("very low", "low", "moderate"))
    assert len(charts(block)) == CHARTS_PER_RESULT
    captions = [caption for image in block.image for caption in image.captions]
    assert captions == ["your image", "what the network sees (28 x 28)"]  # the steps wait for their expander
    shown = texts(block)
    for phrase in ("Aleatoric uncertainty", "Epistemic uncertainty", "Total uncertainty", "weight samples voted"):
        assert phrase in shown
    prepared = [box for box in block.expander if box.label == "How the image was prepared for the network"]
    assert len(prepared) == 1 and not prepared[0].proto.expanded and not prepared[0].image
    app.session_state["prepared-upload-0"] = True  # what a click on the expander sends
    app.run()
    block = result(app, "result-upload-0")
    captions = [caption for image in block.image for caption in image.captions]
    steps = [caption[0] for caption in captions[2:]]  # then the preprocessing steps, in order (no ruling here)
    assert len(captions) == 2 + 6 and steps == [str(number) for number in range(1, 7)]
    shown = texts(app.main)
    calls = record_predictions(monkeypatch)
    app.run()  # a rerun with the same input reads every prediction from the cache
    assert_no_exception(app)
    assert calls == [] and texts(app.main) == shown


def test_several_uploads_with_a_broken_one_show_the_good_ones_and_a_table():
    app = upload(
        open_app("Upload"),
        ("two.png", png(font_digit(2))),
        ("broken.png", b"\x89PNG\r\n\x1a\n this is not really a PNG"),
        ("seven.jpg", jpeg(font_digit(7))),
    )
    assert_no_exception(app)
    assert "Bayesian: 2" in texts(result(app, "verdict-upload-0"))
    assert "Bayesian: 7" in texts(result(app, "verdict-upload-2"))
    broken = result(app, "result-upload-1")
    with pytest.raises(bnn.InvalidImageError) as refused:
        bnn.preprocess_steps(b"\x89PNG\r\n\x1a\n this is not really a PNG")
    assert [error.value for error in broken.error] == [str(refused.value)]  # the error's own message, and only it
    assert str(refused.value).startswith("This file is not a PNG, JPEG")
    assert not charts(broken)
    assert len(charts(result(app, "result-upload-2"))) == CHARTS_PER_RESULT
    table = app.dataframe[0].value
    assert list(table["file"]) == ["two.png", "broken.png", "seven.jpg"]
    assert list(table["digit"]) == ["2", "", "7"] and table["problem"][1] == broken.error[0].value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png(Image.new("L", (200, 200), 255)), "blank"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(config.MAX_IMAGE_BYTES), "MB limit"),
        (b"just some text, not an image", "not a PNG"),
    ],
    ids=["blank-page", "empty-file", "too-large", "text-file"],
)
def test_bad_upload_gets_a_readable_message_and_no_prediction(data, message):
    app = upload(open_app("Upload"), ("bad.png", data))
    assert_no_exception(app)
    block = result(app, "result-upload-0")
    assert message in block.error[0].value
    assert not charts(block) and "Bayesian:" not in texts(block)


def test_an_unexpected_failure_shows_a_message_not_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not reach the page")

    monkeypatch.setattr(bnn.figures, "votes_figure", broken)
    app = upload(open_app("Upload"), ("three.png", png(font_digit(3))))
    assert_no_exception(app)
    errors = [error.value for error in result(app, "result-upload-0").error]
    assert errors == ["Something went wrong with this input. Try another image, or reload the page."]
    assert "internal detail" not in texts(app.main)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("no-networks", "No trained networks"),
        ("damaged-weights", "damaged or altered"),
        ("loader-bug", "The MLP networks could not be loaded"),
    ],
)
def test_missing_or_damaged_weights_give_a_message(tmp_path, monkeypatch, damage, expected):
    if damage != "no-networks":
        for kind in config.KINDS:
            shutil.copy(ROOT / "assets" / f"mlp-{kind}.json", tmp_path)
            (tmp_path / f"mlp-{kind}.weights.npz").write_bytes(b"not the shipped weights")
    if damage == "loader-bug":

        def broken(*args, **kwargs):
            raise RuntimeError("internal detail that must not reach the page")

        monkeypatch.setattr(bnn.reading.networks, "load_model", broken)
    monkeypatch.setenv(config.ASSETS_DIR_ENV, str(tmp_path))
    app = open_app()
    assert_no_exception(app)
    assert expected in app.error[0].value and "internal detail" not in app.error[0].value
    assert not app.tabs


# --- controls ----------------------------------------------------------------------------------------------


def test_changing_t_resamples_and_relabels_the_charts():
    app = upload(open_app("Upload"), ("five.png", png(font_digit(5))))
    assert "T = 100 " in chart_spec(app, "votes-upload-0")["layout"]["title"]["text"]
    app.sidebar.slider[0].set_value(1000).run()
    assert_no_exception(app)
    assert "T = 1000 " in chart_spec(app, "votes-upload-0")["layout"]["title"]["text"]
    assert "of the 1000 weight samples" in texts(result(app, "verdict-upload-0"))
    app.sidebar.slider[0].set_value(10).run()
    assert "of the 10 weight samples" in texts(result(app, "verdict-upload-0"))


def test_random_seed_makes_sampling_reproducible():
    app = open_app("Not digits")
    first = chart_spec(app, "spread-example-scribble")
    app.sidebar.number_input[0].set_value(1).run()
    assert_no_exception(app)
    assert chart_spec(app, "spread-example-scribble") != first
    app.sidebar.number_input[0].set_value(0).run()
    assert chart_spec(app, "spread-example-scribble") == first


def test_reruns_with_unchanged_input_do_not_recompute(monkeypatch):
    calls = record_predictions(monkeypatch)
    app = upload(open_app("Upload"), ("zero.png", png(font_digit(0, size=260))))
    assert sorted(calls) == sorted(config.KINDS)  # the verdict's two networks, once each
    app.run()  # nothing changed: a plain rerun
    assert len(calls) == len(config.KINDS)
    app.sidebar.number_input[0].set_value(3).run()  # a new seed is a new question
    assert len(calls) == 2 * len(config.KINDS)


# --- Test digits and Not digits ----------------------------------------------------------------------------


def test_test_digits_tab_shows_a_labelled_mnist_digit():
    app = open_app("Test digits")
    assert_no_exception(app)
    skip_unless_mnist_is_shown(app)
    block = result(app, "result-test")
    shown = texts(block)
    assert "True label:" in shown and "Bayesian:" in shown and "Deterministic:" in shown
    assert len(charts(block)) == CHARTS_PER_RESULT
    first = app.session_state["test_index"]
    next(button for button in app.button if button.label == "Another test digit").click().run()
    assert app.session_state["test_index"] != first  # 1 chance in 10,000 of drawing the same one


def test_test_digits_tab_says_how_to_get_mnist_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(config, "KERAS_CACHE_DIR", tmp_path / "keras-cache")  # never fall back to a real cache
    monkeypatch.setenv("HOME", str(tmp_path))
    app = open_app("Test digits")
    assert_no_exception(app)
    assert "MNIST test digits are not on this machine" in app.info[0].value
    assert "BNN_DATA_DIR" in app.info[0].value and "load_mnist(download=True)" in app.info[0].value
    assert not app.error
    with pytest.raises(KeyError):
        result(app, "result-test")


@pytest.fixture(scope="module")
def not_digits_page():
    app = open_app("Not digits")
    assert_no_exception(app)
    return app


# The MLP trained on distorted digits reads the seeded scribble as a confident 4 (the LeNet-5 is not sure of
# it): a regression of the augmented training (docs/decisions.md); strict, so a fix shows up.
SCRIBBLE_GAP = pytest.mark.xfail(strict=True, reason="the augmented Bayesian MLP is sure the scribble is a 4")


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=SCRIBBLE_GAP) if name == "scribble" else name for name in EXAMPLES]
)
def test_not_digits_tab_shows_every_example_and_the_bayesian_network_is_not_sure(not_digits_page, name):
    block = result(not_digits_page, f"result-example-{name}")
    assert EXAMPLES[name].title in texts(block)
    assert len(charts(block)) == CHARTS_PER_RESULT
    verdict = texts(result(not_digits_page, f"verdict-example-{name}"))
    assert "Bayesian:" in verdict and "Deterministic:" in verdict
    assert "not sure" in verdict, f"{name}: {verdict}"


# --- Inside the model ----------------------------------------------------------------------------------------

INSIDE_CHARTS = ("reliability", "coverage", "ood", "rotation", "weights", "pruning", "training", "convergence")


@pytest.mark.parametrize("network", ["MLP", "Conv"])
def test_inside_the_model_draws_every_chart_from_the_shipped_json_with_a_reading(network):
    app = open_app("Inside the model")
    if network not in app.sidebar.selectbox[0].options:
        pytest.skip(f"no {network} networks shipped")
    app.sidebar.selectbox[0].select(network).run()
    assert_no_exception(app)
    for name in INSIDE_CHARTS:
        box = result(app, f"inside-{name}")
        assert len(charts(box)) == 1, name
        assert len(box.caption) == 1 and any(character.isdigit() for character in box.caption[0].value), name
    assert "Not computed yet" not in texts(app.main)


def test_inside_the_model_says_which_command_computes_what_is_missing(tmp_path, monkeypatch):
    for kind in config.KINDS:  # the networks, without any report, shift or insight JSON
        for suffix in (".json", ".weights.npz"):
            shutil.copy(ROOT / "assets" / f"mlp-{kind}{suffix}", tmp_path)
    monkeypatch.setenv(config.ASSETS_DIR_ENV, str(tmp_path))
    app = open_app("Inside the model")
    assert_no_exception(app)
    missing = {name: result(app, f"inside-{name}").info for name in INSIDE_CHARTS if name != "training"}
    for name, info in missing.items():
        assert len(info) == 1 and "python -m bnn" in info[0].value, name
        assert not charts(result(app, f"inside-{name}")), name
    assert "python -m bnn insight --arch mlp" in missing["pruning"][0].value
    assert "python -m bnn shift" in missing["rotation"][0].value


# --- other uncertainty methods -------------------------------------------------------------------------------


def test_a_stroke_asks_streamlits_caches_only_for_the_networks_and_the_drawings_steps(fake_canvas, monkeypatch):
    """Each call of a Streamlit-cached function costs about 0.6 ms of hashing and bookkeeping (measured); a stroke's
    predictions sit in the networks' own memo, and the networks are looked up once per answer."""
    fake_canvas([{"type": "path"}], canvas_png(drawn_digit(4)))
    calls = []
    call = cache_utils.CachedFunc.__call__

    def counting(self, *args, **kwargs):
        calls.append(self._info.display_name.rsplit(".", 1)[-1])
        return call(self, *args, **kwargs)

    monkeypatch.setattr(cache_utils.CachedFunc, "__call__", counting)
    app = open_app("Draw")
    assert_no_exception(app)
    assert "Bayesian: 4" in texts(result(app, "verdict-draw"))
    # the page's own lookup, the answer's, and the drawing's preprocessing steps
    assert sorted(calls) == ["load_networks", "load_networks", "prepare_bytes"], calls


def test_a_stroke_is_answered_by_frozen_networks(fake_canvas, monkeypatch):
    """The served weights never change: their posterior scales are computed once (`DigitModel.frozen`)."""
    fake_canvas([{"type": "path"}], canvas_png(drawn_digit(4, size=275)))  # a size no other test draws
    predicted_by = record_predictions(monkeypatch, lambda model, images: (model.kind, model.frozen() is model))
    app = open_app("Draw")
    assert_no_exception(app)
    assert "Bayesian: 4" in texts(result(app, "verdict-draw"))
    assert sorted(predicted_by) == [("bayesian", True), ("deterministic", True)], predicted_by


def open_methods(app: AppTest, suffix: str) -> AppTest:
    app.session_state[f"methods-{suffix}"] = True  # what a click on the expander sends
    return app.run()


def test_every_method_answers_only_once_its_table_is_opened(fake_canvas, monkeypatch):
    """The table of every shipped method predicts with the networks beside the verdict's two and sends a table:
    closed by default, it costs a stroke nothing until someone opens it."""
    if len(shipped_kinds("mlp")) == len(config.KINDS):
        pytest.skip("only the variational network and its twin are shipped: there is no table")
    # A drawing no other test makes (this canvas size): the process's memo holds no prediction of it yet.
    fake_canvas([{"type": "path"}], canvas_png(drawn_digit(1, size=273)))
    calls = record_predictions(monkeypatch)
    app = open_app("Draw")
    assert_no_exception(app)
    assert sorted(calls) == sorted(config.KINDS)  # the verdict's two networks only
    methods = result(app, "methods-draw")
    assert methods.label.startswith("Every method on this input") and not methods.proto.expanded
    assert not methods.dataframe
    app = open_methods(app, "draw")
    assert_no_exception(app)
    assert sorted(calls) == sorted(shipped_kinds("mlp"))  # each of the others once, the verdict's from the cache
    assert len(result(app, "methods-draw").dataframe[0].value) == len(shipped_kinds("mlp"))


def test_the_method_picker_lists_the_shipped_methods_and_the_verdict_names_the_one_chosen():
    methods = [kind for kind in shipped_kinds("mlp") if config.answers_with_samples(kind)]
    if len(methods) == 1:
        pytest.skip("only the variational network is shipped")
    app = upload(open_app("Upload"), ("four.png", png(font_digit(4, size=300))))
    assert_no_exception(app)
    picker = next(box for box in app.sidebar.selectbox if box.label == "Uncertainty method")
    assert picker.options == [KIND_NAMES[kind] for kind in methods] and picker.value == "bayesian"
    assert "Bayesian: 4" in texts(result(app, "verdict-upload-0"))
    app = open_methods(app, "upload-0")
    table = result(app, "methods-upload-0").dataframe[0].value
    assert list(table["method"]) == [KIND_NAMES[kind] for kind in shipped_kinds("mlp")]
    assert set(table["digit"]) == {"4"}
    votes = dict(zip(table["method"], table["votes"], strict=True))
    assert votes["Deterministic"] == "1 / 1" and votes["Variational (Flipout)"].endswith("/ 100")
    if "ensemble" in methods:
        assert votes["Deep ensemble"].endswith(f"/ {config.Config().ensemble_size}")
    for kind in methods[1:]:
        picker = next(box for box in app.sidebar.selectbox if box.label == "Uncertainty method")
        app = picker.select(kind).run()
        assert_no_exception(app)
        verdict = texts(result(app, "verdict-upload-0"))
        assert f"{KIND_NAMES[kind]}: 4" in verdict and "Deterministic: 4" in verdict and "Bayesian" not in verdict
        assert KIND_SAMPLES[kind] in verdict


def eight_over_five(mnist) -> bytes:
    """An 8 and a 5 of the MNIST test set drawn over each other (pixel by pixel the brighter): the MLP ensemble's
    members disagree about it (epistemic uncertainty over its threshold) while its averaged answer stays narrow (total
    uncertainty under its own and the deterministic network's threshold); the variational MLP is sure of it."""
    return png(
        Image.fromarray(np.round(np.maximum(mnist.test.images[1573], mnist.test.images[1677]) * 255).astype("uint8"))
    )


def choose_method(app: AppTest, kind: str) -> AppTest:
    return next(box for box in app.sidebar.selectbox if box.label == "Uncertainty method").select(kind).run()


def thresholds_marked(app: AppTest, key: str) -> list[float]:
    """The thresholds the uncertainty split chart marks: [total, epistemic]."""
    (marks,) = [trace for trace in chart_spec(app, key)["data"] if trace.get("name") == "threshold (validation set)"]
    return marks["x"]


def test_not_sure_follows_the_chosen_methods_own_thresholds_on_an_input_only_its_epistemic_uncertainty_flags(mnist):
    """The page judges the chosen method by that method's model card, not the deterministic network's nor the
    variational one's: on this input only the ensemble's epistemic uncertainty is over its threshold, so with the
    deterministic network's thresholds (total uncertainty only) or the variational network's it would be "sure"."""
    data = eight_over_five(mnist)
    networks = bnn.load_networks("mlp")
    thresholds = networks.thresholds
    ensemble = bnn.read_digit(data, networks, "ensemble", 100, 0).verdict
    # The premise: an input that tells the thresholds apart.
    assert ensemble.mutual_information > thresholds["ensemble"].mutual_information
    assert ensemble.mutual_information < thresholds["bayesian"].mutual_information
    assert ensemble.predictive_entropy < thresholds["ensemble"].predictive_entropy
    assert ensemble.predictive_entropy < thresholds["deterministic"].predictive_entropy
    assert ensemble.not_sure and ensemble.level == "high"
    assert not bnn.read_digit(data, networks, "bayesian", 100, 0).verdict.not_sure

    app = upload(open_app("Upload"), ("eight-over-five.png", data))
    assert_no_exception(app)
    verdict = texts(result(app, "verdict-upload-0"))
    assert "**Bayesian: 8**" in verdict and "not sure" not in verdict and "uncertainty very low" in verdict
    assert f"epistemic {thresholds['bayesian'].mutual_information:.2f} nats" in texts(app.sidebar)
    assert thresholds_marked(app, "split-upload-0") == pytest.approx(
        [thresholds["bayesian"].predictive_entropy, thresholds["bayesian"].mutual_information]
    )

    app = choose_method(app, "ensemble")
    assert_no_exception(app)
    verdict = texts(result(app, "verdict-upload-0"))
    assert "**Deep ensemble: 8**" in verdict and "uncertainty high (**not sure**)" in verdict, verdict
    (warning,) = result(app, "verdict-upload-0").warning
    assert "epistemic uncertainty" in warning.value and "total uncertainty" not in warning.value
    assert f"above the threshold {thresholds['ensemble'].mutual_information:.2f}" in warning.value
    assert f"epistemic {thresholds['ensemble'].mutual_information:.2f} nats" in texts(app.sidebar)
    assert thresholds_marked(app, "split-upload-0") == pytest.approx(
        [thresholds["ensemble"].predictive_entropy, thresholds["ensemble"].mutual_information]
    )


def test_what_if_shows_the_chosen_methods_answers_to_each_variant(mnist):
    """The thumbnails' digits and the chart's lines are the chosen method's answers to each variant of the network
    input (and the deterministic network's), the same as `explore` gives with the served networks."""
    data = eight_over_five(mnist)
    app = choose_method(upload(open_app("Upload"), ("eight-over-five.png", data)), "ensemble")
    app = open_what_if(app, "upload-0")
    assert_no_exception(app)
    networks = bnn.load_networks("mlp")
    network_input = bnn.preprocess_steps(data).final
    expected = explore.explore(networks.models["ensemble"], networks.models["deterministic"], network_input, 100, 0)
    explorer = result(app, "explore-upload-0")
    assert explorer.markdown[0].value == "**Rotated** (Deep ensemble digit under each)"
    for images, answers in zip(explorer.image, expected.sweeps, strict=True):
        shown = [caption.split(": ")[1] for caption in images.captions]
        assert shown == answers.digits_shown(), answers.sweep.name
    traces = json.loads(app.main.get_by_key("explore-chart-upload-0").proto.spec)["data"]
    fields = ("predictive_entropy", "mutual_information", "probability", "deterministic_probability")
    for row, answers in enumerate(expected.sweeps):
        for trace, field in zip(traces[4 * row : 4 * row + 4], fields, strict=True):
            drawn = np.where(answers.sweep.blank, np.nan, getattr(answers, field))  # no ink left: a gap
            assert plotted(trace["y"]) == pytest.approx(drawn, abs=1e-6, nan_ok=True), (answers.sweep.name, field)
    assert traces[1]["name"] == "Deep ensemble mutual information (nats)"


def plotted(values) -> np.ndarray:
    """A trace's values as the page sends them: a list, or Plotly's typed array (base64 bytes and a dtype)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), np.dtype(values["dtype"]))
    return np.array(values, np.float64)


@pytest.mark.parametrize("kind", ["mc-dropout", "ensemble"])
def test_the_lenet5_offers_each_baseline_beside_variational_inference_and_answers_with_it(kind):
    """The LeNet-5 ships MC dropout and a deep ensemble too: choosing Conv lists them, each answers beside the twin."""
    app = upload(open_app("Upload"), ("four.png", png(font_digit(4, size=300))))
    app = app.sidebar.selectbox[0].select("Conv").run()
    picker = next(box for box in app.sidebar.selectbox if box.label == "Uncertainty method")
    methods = [kind for kind in shipped_kinds("conv") if config.answers_with_samples(kind)]
    assert kind in methods and picker.options == [KIND_NAMES[kind] for kind in methods]
    app = picker.select(kind).run()
    assert_no_exception(app)
    verdict = texts(result(app, "verdict-upload-0"))
    assert f"{KIND_NAMES[kind]}: 4" in verdict and "Deterministic: 4" in verdict


# --- Number ------------------------------------------------------------------------------------------------


def number_png(mnist, indices, gaps) -> bytes:
    """A number of MNIST test digits as the wide canvas sends it (RGBA PNG, white on black)."""
    from bnn.corpora import numbers as number_corpus

    digits = mnist.test.images[list(indices)]
    ink = number_corpus.number_ink(digits, np.array(gaps), 4, np.random.default_rng(0))
    return png(Image.fromarray(number_corpus.canvas(ink)), "RGBA")


def test_the_number_tab_reads_each_digit_and_charts_the_sampled_readings(fake_canvas, mnist):
    canvas = fake_canvas([{"type": "path"}], number_png(mnist, [0, 1, 2, 3], [10, 14, 8]))
    app = open_app("Number")
    assert_no_exception(app)
    wide = canvas.last("number-canvas")
    assert wide["width"] == 3 * config.CANVAS["width"] and wide["drawing_mode"] == "freedraw"
    verdict = texts(result(app, "verdict-number"))
    assert "Bayesian: **7210**" in verdict and "deterministic: **7210**" in verdict
    assert "of 100 sampled networks read 7210" in verdict
    number = result(app, "result-number")
    captions = [caption for image in number.image for caption in image.captions]
    assert [caption.split(" ")[0] for caption in captions] == ["7", "2", "1", "0"]
    spec = chart_spec(app, "number-readings")
    assert spec["data"][0]["x"][0] == "7210" and sum(spec["data"][0]["y"]) <= 100
    with pytest.raises(KeyError):
        result(app, "result-draw")  # the Draw tab is closed: nothing read there


@pytest.mark.parametrize(
    ("objects", "digits", "line"),
    [
        ([], None, "Write a number below"),
        ([{"type": "path"}], [0, 1, 2, 3], "**Bayesian: 7210** · **Deterministic: 7210**"),
        ([{"type": "path"}], range(config.MAX_DIGITS + 1), "No reading: the message is under the canvas."),
    ],
    ids=["never-written", "7210", "too-many-digits"],
)
def test_a_line_above_the_number_canvas_gives_the_reading_for_narrow_screens(fake_canvas, mnist, objects, digits, line):
    """As on the Draw tab: on a phone the reading falls below the canvas, so the line above it (hidden on wide
    screens by the page's style, tests/system/test_browser.py) gives both readings or where to look."""
    image = None if digits is None else number_png(mnist, digits, [12] * (len(digits) - 1))
    fake_canvas(objects, image)
    app = open_app("Number")
    assert_no_exception(app)
    (shown,) = result(app, "verdict-line-number").markdown
    assert shown.value.startswith(line), shown.value


@pytest.mark.parametrize(
    ("reported", "width"),
    [
        (None, 840),  # not reported yet (or no browser): the wide canvas
        (1020, 840),  # a column wider than the wide canvas
        (564, 564),  # 1024 px with the sidebar open
        (358, 358),  # a phone held upright
        (120, config.NARROWEST_NUMBER_CANVAS),
        ("wide", 840),  # anything but a positive whole number of px: not reported
        (-3, 840),
        (12.5, 840),
        ([358], 840),
    ],
)
def test_the_number_canvas_is_as_wide_as_the_column_the_browser_reports(fake_canvas, reported, width):
    """The page's width report (its state, as the browser sends it) sets the Number canvas's width; the height stays
    the Draw canvas's and the pen narrows in proportion. Whatever the report holds, never a traceback."""
    canvas = fake_canvas([], None)
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.session_state["tabs"] = "Number"
    app.session_state["number-column"] = {"width": reported}
    app.run()
    assert_no_exception(app)
    number = canvas.last("number-canvas")
    assert (number["width"], number["height"]) == (width, config.CANVAS["height"])
    assert number["stroke_width"] == round(config.BRUSH_SLIDER["value"] * width / config.NUMBER_CANVAS["width"])
    assert canvas.last("canvas")["width"] == config.CANVAS_SIZE  # the Draw tab's canvas fits any phone as it is


def test_a_report_that_is_not_a_width_leaves_the_wide_canvas(fake_canvas):
    canvas = fake_canvas([], None)
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.session_state["number-column"] = "not a state at all"
    app.run()
    assert_no_exception(app)
    assert canvas.last("number-canvas")["width"] == config.NUMBER_CANVAS["width"]


def test_the_number_tab_says_when_there_are_too_many_digits_or_nothing(fake_canvas, mnist):
    fake_canvas([{"type": "path"}], number_png(mnist, range(config.MAX_DIGITS + 1), [12] * config.MAX_DIGITS))
    app = open_app("Number")
    assert_no_exception(app)
    assert f"more than the {config.MAX_DIGITS}" in result(app, "result-number").error[0].value
    fake_canvas([], None)
    app = open_app("Number")
    assert result(app, "result-number").info[0].value.startswith("Write a number")
    fake_canvas([{"type": "path"}], png(Image.new("L", (840, 280)), "RGBA"))
    app = open_app("Number")
    assert result(app, "result-number").info[0].value.startswith("Write a number")


def test_the_number_tab_reads_an_uploaded_photo(mnist):
    from bnn.corpora import numbers as number_corpus

    ink = number_corpus.number_ink(mnist.test.images[[0, 1]], np.array([12]), 4, np.random.default_rng(0))
    photo = number_corpus.paper_photo(ink, np.random.default_rng(0))
    app = open_app("Number")
    app.radio(key="number-source").set_value("Upload a photo").run()
    uploader = next(widget for widget in app.file_uploader if widget.key == "number-upload")
    uploader.set_value([("number.jpg", photo, "image/jpeg")])
    app.run()
    assert_no_exception(app)
    assert "**72**" in texts(result(app, "verdict-number"))
