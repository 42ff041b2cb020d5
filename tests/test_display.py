"""Images for display: crisp enlargement and the captioned stages of preprocessing."""

from __future__ import annotations

import numpy as np

from bnn.display import enlarge, preprocessing_panels
from bnn.preprocess import preprocess_steps


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
    assert len(panels) == 5 and panels[-1][1] is steps.final and panels[0][1] is steps.grayscale
    assert "flipped: dark ink on light paper" in panels[1][0]
