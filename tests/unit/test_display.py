"""Images for display: crisp enlargement and the captioned stages of preprocessing."""

from __future__ import annotations

import numpy as np

from bnn.figures.images import enlarge, preprocessing_panels
from bnn.image import preprocess_steps


def test_enlarge_keeps_pixels_crisp():
    image = np.zeros((28, 28), np.float32)
    image[3, 5] = 1.0
    big = np.asarray(enlarge(image, size=168))
    assert big.shape == (168, 168) and big.dtype == np.uint8
    assert (big[18:24, 30:36] == 255).all() and big.sum() == 255 * 36  # one pixel became one 6 x 6 block


def test_preprocessing_panels_show_every_step_in_order():
    page = np.full((100, 80), 255, np.uint8)
    page[20:80, 35:45] = 0  # a dark stroke on white paper: it gets flipped
    steps = preprocess_steps(page)
    panels = preprocessing_panels(steps)
    assert len(panels) == 6 and panels[-1][1] is steps.final and panels[0][1] is steps.grayscale
    assert panels[1][1] is steps.background and "paper" in panels[1][0]
    assert "flipped: dark ink on light paper" in panels[2][0]
    assert not any("ruled" in caption for caption, _ in panels)


def test_ruled_lines_taken_out_get_a_panel_of_their_own():
    page = np.full((200, 200), 240, np.uint8)
    page[10::20, :] = 170  # a grey line every 20 px, one pixel thick
    page[50:150, 95:105] = 20  # a dark stroke crossing five of them
    steps = preprocess_steps(page)
    panels = dict(preprocessing_panels(steps))
    assert panels["ruled lines taken out"] is not None and panels["ruled lines taken out"].sum() > 500
    assert steps.ruling[10, 20] and not steps.ruling[70, 100]  # the line goes; the stroke across it stays
    assert ink_box(steps.final) == (20, 2)  # the stroke alone: no remnant of a line widens the crop


def ink_box(x: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
