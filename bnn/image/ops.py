"""Image operations on (H, W) float arrays, the background (0) extending beyond the edges: Gaussian blur, grey
dilation and erosion, bilinear sampling, affine warps, resizing, rotation and thinning. On scipy.ndimage and Pillow.

Used by the shift benchmark's corruptions (``bnn.evaluation.corruptions``) and What if?'s variants (``bnn.reading.whatif``). Training-time
augmentation (``bnn.data.augment``) does the same kinds of thing in TensorFlow, batched inside the tf.data graph, and
keeps them there.
"""

from __future__ import annotations

import itertools

import numpy as np
from PIL import Image
from scipy import ndimage


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W) convolved with a 2-D Gaussian of standard deviation ``sigma`` px, cut at 4 sigma; float64."""
    return ndimage.gaussian_filter(
        np.asarray(image, np.float64), sigma, mode="constant", cval=0.0, radius=int(np.ceil(4 * sigma))
    )


def disk(radius: float) -> np.ndarray:
    """The (2r + 1, 2r + 1) bool footprint of the pixels within ``radius`` px of the centre (r = floor(radius))."""
    reach = int(np.floor(radius))
    rows, cols = np.ogrid[-reach : reach + 1, -reach : reach + 1]
    return rows**2 + cols**2 <= radius**2


def square(pixels: int) -> np.ndarray:
    """The (2 pixels + 1)-wide square footprint: ``pixels`` px on every side of the centre."""
    return np.ones((2 * pixels + 1, 2 * pixels + 1), bool)


def dilate(image: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Grey-level dilation of (H, W) by ``footprint`` (`disk`, `square`): each pixel the brightest around it."""
    return ndimage.grey_dilation(image, footprint=footprint, mode="constant", cval=0.0)


def erode(image: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Grey-level erosion of (H, W) by ``footprint``: each pixel the darkest around it, background beyond the edges."""
    return ndimage.grey_erosion(image, footprint=footprint, mode="constant", cval=0.0)


def bilinear_sample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(H, W) image read at fractional (``rows``, ``cols``), arrays of one shape (1-D or more), bilinearly;
    float64. Beyond the edges the image is 0, and a sample near an edge blends towards it."""
    return ndimage.map_coordinates(np.asarray(image, np.float64), [rows, cols], order=1, mode="grid-constant")


def affine(image: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """(H, W) -> (H, W): output pixel at centred (x, y) reads the source at ``inverse @ (x, y)`` (bilinear)."""
    centre_row, centre_col = (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows, cols = np.indices(image.shape, dtype=np.float64)
    x, y = cols - centre_col, rows - centre_row
    source_x = inverse[0, 0] * x + inverse[0, 1] * y
    source_y = inverse[1, 0] * x + inverse[1, 1] * y
    return bilinear_sample(image, source_y + centre_row, source_x + centre_col)


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """(H, W) float32 turned ``degrees`` counter-clockwise about its centre by Pillow (bilinear), the corners
    filled with background. Pillow's sampling differs from `affine`'s by up to a quarter of the ink's level."""
    picture = Image.fromarray(np.asarray(image, np.float32), mode="F")
    return np.asarray(picture.rotate(degrees, resample=Image.Resampling.BILINEAR), np.float32)


def resize_about_centre(image: np.ndarray, width_factor: float, height_factor: float) -> np.ndarray:
    """(H, W) -> (H, W): the content resized by the factors about the centre (Pillow antialiases shrinking)."""
    height, width = image.shape
    new_size = (round(width * width_factor), round(height * height_factor))
    resized = np.asarray(Image.fromarray(image).resize(new_size, Image.Resampling.BICUBIC), np.float32)
    return centre_crop_or_pad(resized, height, width)


def centre_crop_or_pad(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(h, w) -> (height, width) about the centre: zeros added where it is smaller, edges cut where larger."""
    out = np.zeros((height, width), np.float32)
    top, left = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    kept = image[max(0, -top) : max(0, -top) + height, max(0, -left) : max(0, -left) + width]
    out[max(0, top) : max(0, top) + kept.shape[0], max(0, left) : max(0, left) + kept.shape[1]] = kept
    return out


def thin(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool -> its 1 px wide skeleton by Zhang & Suen's (1984) parallel thinning.

    Written out: scikit-image's ``skeletonize(method="zhang")`` and ``thin`` give other skeletons of the same
    strokes, and the shift benchmark's committed results (assets/shift.json) depend on this one.
    """
    skeleton = np.pad(mask, 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            centre = skeleton[1:-1, 1:-1]
            # The 8 neighbours P2..P9, clockwise from north.
            p2, p3, p4 = skeleton[:-2, 1:-1], skeleton[:-2, 2:], skeleton[1:-1, 2:]
            p5, p6, p7 = skeleton[2:, 2:], skeleton[2:, 1:-1], skeleton[2:, :-2]
            p8, p9 = skeleton[1:-1, :-2], skeleton[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            neighbours = sum(p.astype(np.int32) for p in ring[:-1])
            transitions = sum(((a == 0) & (b == 1)).astype(np.int32) for a, b in itertools.pairwise(ring))
            if step == 0:
                side = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                side = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (centre == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & side
            if remove.any():
                centre[remove] = 0
                changed = True
        if not changed:
            return skeleton[1:-1, 1:-1].astype(bool)
