"""Ink as what differs from the paper around it: polarity, the paper under uneven light, ruling and specks.

(H, W) luminance -> (H, W) white ink on black in [0, 1]. A photo's paper is modelled (a surface fitted to the
border for polarity, a morphological closing or opening for the flat field); a digital image's paper is one
exact level, including a crop of thick or black-and-white ink that covers much of its border.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_otsu

from bnn.image.errors import BLANK_MESSAGE, BlankImageError
from bnn.image.geometry import MIN_INK_PIXELS
from bnn.image.ruling import ruling_pixels, straight_lines, without_specks

MIN_CONTRAST = 0.15  # ink must differ from the paper around it by 15% of the paper's level (~37 of 255 grey
#                      levels on white paper): above JPEG and sensor noise, below faint pencil in a dim photo
NOISE_SIGMAS = 4.0  # ... and by this many standard deviations of the pixel noise above the paper's level
PAPER_PERCENTILES = (20.0, 40.0)  # of every pixel's contrast, both on the paper: its level and its noise
MIN_PAPER_LEVEL = 0.05  # contrast is relative to the paper's brightness; below this the paper is black
BACKGROUND_WINDOW = 0.5  # the paper estimate's window, as a share of the longer side: wider than any stroke
LIGHT_INK_EVIDENCE = 2.0  # light ink needs this many times the darker pixels' mass in lighter ones
EDGE_RUN_SHARE = 0.6  # ... and running along this share of a side: replaced by the light before padding
EDGE_STROKE_SHARE = 0.12  # of the longer side: a dark run at the edge thinner than this across it is a stroke
MAX_STROKE_SHARE = 0.3  # of the longer side: no pen stroke holds a solid square this wide
SURFACE_FIT_PASSES = 3  # fits of the border's light, each without the border pixels far from the last
UNIFORM_BORDER_SHARE = 0.75  # a border this much at one exact level is a digital image's: no light to model
BILEVEL_SHARE = 0.98  # an image this much at two exact levels is black and white (a binary scan): no light either
FLAT_BORDER_SHARE = 0.25  # ... or this much at one exact level and the rest mostly ink: a digital crop of thick ink
IN_BETWEEN_SHARE = 0.4  # ... with at most this much of the image neither paper nor ink (anti-aliased edges)
MINORITY_BORDER_SHARE = 0.15  # a second level on less of the border than this, not on every side, is ink reaching it
INK_PEAK_RATIO = 1.6  # the darkest ink must pass the ink threshold by this factor: a pen's, not the grain's
INK_PERCENTILE = 80.0  # of the ink pixels' contrast: the stroke level mapped to 1 (higher values saturate)
BACKGROUND_MARGIN = 0.02  # contrasts below 2% of the ink level become 0; measured noise raises it (NOISE_SIGMAS).
#                           Small, so MNIST's faint anti-aliased edges survive a round trip nearly unchanged.


def separate_ink(grayscale: np.ndarray) -> tuple[np.ndarray, bool, np.ndarray, np.ndarray]:
    """(H, W) luminance -> (normalised white ink on black, inverted, paper estimate, ruling removed).

    1. Polarity: the border, fitted by a smooth surface (light may fall across it), is paper; the ink is dark
       unless the pixels lighter than that surface clearly outweigh the darker ones.
    2. Flat field: the paper under uneven light is a morphological closing (opening, for light ink) over a
       window wider than any pen stroke: it removes the strokes and keeps the light's ramps and shadow edges.
       Contrast is how far each pixel departs from the paper around it, relative to the paper's brightness.
    3. Ruling: long thin straight lines of ruled or squared paper are taken out; strokes crossing them stay.
    4. Specks far smaller than the digit (a dotted grid, grain) are dropped; no ink left means blank, and so
       does ink that nowhere rises well above the threshold (blotches of the paper).
    """
    contrast, inverted, background, digital = _contrast(grayscale)
    # a digital image's paper is one exact level: noiseless, even where its ink covers most of the border
    paper_level, noise = (0.0, 0.0) if digital else _paper_noise(contrast)
    threshold = max(MIN_CONTRAST, paper_level + NOISE_SIGMAS * noise)
    ink = contrast > threshold
    ruling = ruling_pixels(ink, contrast) if not digital or straight_lines(ink) else np.zeros_like(ink)
    ink &= ~ruling
    ink = without_specks(ink)
    if np.count_nonzero(ink) < MIN_INK_PIXELS or contrast[ink].max() < INK_PEAK_RATIO * threshold:
        raise BlankImageError(BLANK_MESSAGE)  # nothing, or only grain and blotches just above the noise
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    box = np.s_[max(rows[0] - 2, 0) : rows[-1] + 3, max(cols[0] - 2, 0) : cols[-1] + 3]
    far = np.ones_like(ink)  # more than 2 px from any ink; dilated within the ink's box only (fast)
    far[box] = ~ndimage.binary_dilation(ink[box], iterations=2)
    contrast = np.where(far | ruling, 0, contrast)  # nothing of a removed line or speck stays, not even its rim
    ink_level = float(np.percentile(contrast[ink], INK_PERCENTILE))
    margin = min(max(BACKGROUND_MARGIN * ink_level, paper_level + NOISE_SIGMAS * noise), 0.5 * ink_level)
    normalised = np.clip((contrast - margin) / (ink_level - margin), 0, 1).astype(np.float32)
    return normalised, inverted, background, ruling


def _contrast(grayscale: np.ndarray) -> tuple[np.ndarray, bool, np.ndarray, bool]:
    """(H, W) luminance -> ((H, W) how much more ink-like than the paper around it, inverted, paper estimate,
    digital). A digital image (its border one exact level: a canvas, a clean scan) has flat paper: it skips
    the paper model, and looks for ruled lines only if two rows or columns are mostly ink (`straight_lines`), so
    a canvas drawing, read on every stroke, stays cheap."""
    coefficients, tolerance, uniform = _border_light(grayscale)
    if uniform:  # a digital image (a canvas, a scan to pure white): the paper is its border's one level
        surface = dark_paper = light_paper = np.full(grayscale.shape, coefficients[0], np.float32)
    else:
        surface = _surface(coefficients, grayscale.shape)
        depth = round(EDGE_STROKE_SHARE * max(grayscale.shape))
        edges = _edges_without_strokes(grayscale, surface, tolerance, depth)
        dark_paper, light_paper = _paper(grayscale, edges, dark_ink=True), _paper(grayscale, edges, dark_ink=False)
    # dark ink: the share of the paper's light it absorbs, the same in light and in shadow
    dark = (dark_paper - grayscale) / np.maximum(dark_paper, MIN_PAPER_LEVEL)
    # light ink on dark paper (a canvas, a screen, chalk): how much lighter than the paper around it
    light = grayscale - light_paper
    if _ink_is_dark(grayscale - surface, dark, light, noiseless=uniform):
        return dark, True, dark_paper, uniform
    return light, False, light_paper, uniform


def _border_light(grayscale: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """The coefficients of a quadratic surface of the light fitted to the image's border (see `_surface`), how
    far from it a border pixel may be and still count as paper, and whether UNIFORM_BORDER_SHARE of the border
    is one exact level (a digital image: then the surface is that level and nothing is fitted).

    The border is (mostly) paper even when a tight crop lets strokes touch it: starting from its median, each
    fit leaves out the border pixels far from the last one, so those strokes do not bend the surface. A
    quadratic follows light that falls across the page or towards its corners, which one level cannot.
    """
    height, width = grayscale.shape
    rows, cols = np.arange(height), np.arange(width)
    ring_rows = np.concatenate([np.zeros(width), np.full(width, height - 1), rows[1:-1], rows[1:-1]]).astype(int)
    ring_cols = np.concatenate([cols, cols, np.zeros(max(height - 2, 0)), np.full(max(height - 2, 0), width - 1)])
    ring = grayscale[ring_rows, ring_cols.astype(int)]
    coefficients = np.array([np.median(ring), 0, 0, 0, 0, 0])
    at_median = np.count_nonzero(ring == coefficients[0])
    halfway = _two_levels(grayscale, ring) if at_median < ring.size else None
    if halfway is not None:  # black and white: the paper is one of its two levels, whatever covers the border
        return np.array([_digital_paper(grayscale, halfway), 0, 0, 0, 0, 0]), MIN_CONTRAST / 2, True
    if at_median >= UNIFORM_BORDER_SHARE * ring.size:
        return coefficients, MIN_CONTRAST / 2, True  # most of the border is one exact level: no light to fit
    threshold = _flat_crop_threshold(grayscale, ring)
    if threshold is not None:  # a digital crop of thick ink: flat paper, the ink covering much of the border
        return np.array([_digital_paper(grayscale, threshold), 0, 0, 0, 0, 0]), MIN_CONTRAST / 2, True
    design = _quadratic_terms(_unit(ring_rows, height), _unit(ring_cols, width))
    for _ in range(SURFACE_FIT_PASSES):
        residual = ring - design @ coefficients
        spread = 1.4826 * float(np.median(np.abs(residual)))
        tolerance = max(3 * spread, MIN_CONTRAST / 2)
        keep = np.abs(residual) <= tolerance
        # least squares by its 6 x 6 normal equations: a border holds thousands of pixels, the fit six numbers
        normal = design[keep].T @ design[keep]
        coefficients = np.linalg.lstsq(normal, design[keep].T @ ring[keep], rcond=None)[0]
    return coefficients, tolerance, False


def _two_levels(grayscale: np.ndarray, ring: np.ndarray) -> float | None:
    """For a black-and-white image (BILEVEL_SHARE of it at the border's two commonest exact levels, at least
    MIN_CONTRAST apart, and nothing beyond them): the grey level halfway between them; else None."""
    values, counts = np.unique(ring, return_counts=True)
    if values.size < 2:
        return None
    low, high = np.sort(values[np.argsort(counts)[-2:]])
    if high - low < MIN_CONTRAST:
        return None
    if grayscale.min() < low or grayscale.max() > high:
        return None  # ink darker (or lighter) than both: the two are paper in two lights, as beside a shadow
    if np.count_nonzero((grayscale == low) | (grayscale == high)) < BILEVEL_SHARE * grayscale.size:
        return None
    return float(low + high) / 2


def _flat_crop_threshold(grayscale: np.ndarray, ring: np.ndarray) -> float | None:
    """For a digital image cropped to thick ink, the grey level between its paper and its ink (Otsu's threshold);
    else None. Its border is flat (most neighbours along it equal) with FLAT_BORDER_SHARE or more of it at one
    exact level, the paper; the ink is as dark (or as light) as the image gets; at most IN_BETWEEN_SHARE of the
    image lies in between (anti-aliased edges), where light falling across a page would lie; and no pixel is
    clearly beyond the paper on its other side, where the ink beside a shadow's paper would lie."""
    if np.count_nonzero(np.diff(ring)) >= ring.size / 2:
        return None  # noise along the border: a photo
    values, counts = np.unique(ring, return_counts=True)
    if counts.max() < FLAT_BORDER_SHARE * ring.size:
        return None
    paper = values[np.argmax(counts)]
    other = ring[np.abs(ring - paper) >= MIN_CONTRAST]
    if other.size == 0:
        return None
    lighter_ink = np.median(other) > paper
    ink, beyond = (grayscale.max(), grayscale.min()) if lighter_ink else (grayscale.min(), grayscale.max())
    if abs(float(beyond - paper)) >= MIN_CONTRAST:
        return None  # pixels on the paper's other side too: paper in two lights (a shadow's edge) and ink
    in_between = (np.abs(grayscale - paper) >= MIN_CONTRAST) & (np.abs(grayscale - ink) >= MIN_CONTRAST)
    if np.count_nonzero(in_between) > IN_BETWEEN_SHARE * grayscale.size:
        return None  # light falling across the page: its paper passes through every grey between
    return float(threshold_otsu(grayscale))


def _digital_paper(grayscale: np.ndarray, threshold: float) -> float:
    """The paper's level of a digital image whose ink reaches its border, given the grey ``threshold`` between
    its paper and its ink: the commonest exact level on the border on the paper's side of it.

    Older digit sets store binary digits cropped to the ink, often thick: ink then covers much of the border,
    even most of it, and the border's majority is no guide. Where one side covers little of the border and
    misses a side of it, it is ink reaching the edge. Otherwise the shapes decide: a digit's ink is one stroke,
    or a main stroke and a small piece, while the paper of a crop falls apart into corners and the insides of
    loops; so the side more of whose pixels lie outside its largest 8-connected piece is the paper. Where both
    are whole, the paper is the side found more on the border than inside.
    """
    light = grayscale > threshold
    light_on_border = float(_border_pixels(light).mean())
    minority = light if light_on_border < 0.5 else ~light
    sides = (minority[0], minority[-1], minority[:, 0], minority[:, -1])
    if min(light_on_border, 1 - light_on_border) < MINORITY_BORDER_SHARE and not all(side.any() for side in sides):
        paper_is_light = light_on_border >= 0.5
    else:
        light_scattered, dark_scattered = _scattered_share(light), _scattered_share(~light)
        if light_scattered != dark_scattered:
            paper_is_light = light_scattered > dark_scattered
        else:
            paper_is_light = light_on_border > float(light.mean())
    ring = _border_pixels(grayscale)
    ring = ring[ring > threshold] if paper_is_light else ring[ring <= threshold]
    if ring.size == 0:  # the paper never reaches the border: its level inside
        ring = grayscale[light] if paper_is_light else grayscale[~light]
    values, counts = np.unique(ring, return_counts=True)
    return float(values[np.argmax(counts)])


def _border_pixels(image: np.ndarray) -> np.ndarray:
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def _scattered_share(mask: np.ndarray) -> float:
    """The share of ``mask``'s pixels outside its largest 8-connected piece (0 for one piece, or none)."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count <= 1:
        return 0.0
    sizes = np.bincount(labels.ravel())[1:]
    return 1 - float(sizes.max()) / float(sizes.sum())


def _quadratic_terms(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.stack(np.broadcast_arrays(np.ones_like(x * y), x, y, x * x, y * y, x * y), axis=-1)


def _surface(coefficients: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) the fitted light over an image of ``shape``, clipped to [0, 1]."""
    height, width = shape
    y = _unit(np.arange(height), height)[:, None]
    x = _unit(np.arange(width), width)[None, :]
    c = coefficients
    light = c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * y * y + c[5] * x * y
    return np.clip(light, 0, 1).astype(np.float32)


def _unit(index: np.ndarray, size: int) -> np.ndarray:
    """Pixel indices -> [-1, 1] across the image (well conditioned for the surface fit)."""
    return (2 * index / max(size - 1, 1) - 1).astype(np.float64)


def _ink_is_dark(deviation: np.ndarray, dark: np.ndarray, light: np.ndarray, noiseless: bool = False) -> bool:
    """Whether the ink is darker than the paper, from each pixel's ``deviation`` from the border's light.

    Dark ink on light paper unless the pixels lighter than the surface clearly outweigh the darker ones: on a
    page with no ink both are noise, and the dark-ink model handles a blank sheet's shadows and vignetting.
    Each side counts only what its own paper model calls ink: a lit patch of paper broader than the paper
    window (a shadow's other side) is lighter than the surface but is no light ink, and one narrower than the
    window is still far broader than a pen's stroke. A ``noiseless`` (digital) image needs no noise measured.
    """
    noise = 0.0 if noiseless else _noise_level(deviation)
    threshold = max(MIN_CONTRAST, NOISE_SIGMAS * noise)
    darker = float((np.maximum(dark - threshold, 0) * (deviation < -threshold)).sum())
    lighter_ink = (light > threshold) & (deviation > threshold)
    lighter = float((np.maximum(light - threshold, 0) * lighter_ink).sum())
    if lighter < LIGHT_INK_EVIDENCE * max(darker, MIN_CONTRAST):
        return True
    if darker < MIN_INK_PIXELS * MIN_CONTRAST:
        return False  # nothing darker than the paper at all: light ink (a canvas, MNIST itself)
    if noise == 0:
        return False  # no noise at all: a digital image (a crop of a thick digit), with no shadow to be lit beside
    # Both sides hold ink; pen strokes are thin: "light ink" with a solid block 0.3 of the image wide is
    # lit paper beside a shadow, and the darker pixels are the ink.
    block = max(2, round(MAX_STROKE_SHARE * max(deviation.shape)))
    return bool(ndimage.minimum_filter(lighter_ink, size=block, mode="constant").any())


def _edges_without_strokes(grayscale: np.ndarray, surface: np.ndarray, tolerance: float, depth: int) -> np.ndarray:
    """The image with strokes that run along its edge replaced by the border's light, to be copied outwards.

    A border pixel far from the fitted light is ink (or shadow). Where the pixel ``depth`` inwards is
    paper again, the dark run is thin across the edge; along most of a side it is a stroke lying along it, as
    a tight crop's bar of a 7. Copied outwards it would become a band wider than the window that no closing
    removes, so the light is copied instead. A shadow reaches far inwards (only its tip is thin) and is copied
    as it is, so the paper model keeps its edge; so is a stroke that merely touches the side.
    """
    edges = grayscale.copy()
    height, width = grayscale.shape
    depth_y, depth_x = min(max(depth, 1), height - 1), min(max(depth, 1), width - 1)
    off = np.abs(grayscale - surface) > tolerance
    sides = [(np.s_[edge, :], np.s_[inner, :]) for edge, inner in ((0, depth_y), (height - 1, height - 1 - depth_y))]
    sides += [(np.s_[:, edge], np.s_[:, inner]) for edge, inner in ((0, depth_x), (width - 1, width - 1 - depth_x))]
    for edge, inner in sides:
        thin = off[edge] & ~off[inner]
        if thin.mean() >= EDGE_RUN_SHARE:  # a stroke along most of the side, not the thin tip of a shadow
            edges[edge][thin] = surface[edge][thin]
    return edges


def _paper(grayscale: np.ndarray, edges: np.ndarray, dark_ink: bool) -> np.ndarray:
    """(H, W) estimate of the paper's brightness at every pixel, strokes removed.

    A closing (dilation, then erosion) lifts dark strokes narrower than the window to the paper around them
    and leaves ramps and steps of the light unchanged; for light ink, an opening does the same. The image is
    padded by half a window with copies of ``edges`` (its edge pixels, strokes along the edge removed): scipy
    would otherwise pad the dilated image, lifting the paper along a dark edge. The measured level is a
    little above the paper's mean (the window's brightest noise), which the ink threshold allows for by
    starting from the paper's own contrast level.
    """
    window = max(3, round(BACKGROUND_WINDOW * max(grayscale.shape)))
    pad = window // 2 + 1
    padded = np.pad(edges, pad, mode="edge")
    padded[pad:-pad, pad:-pad] = grayscale
    morphology = ndimage.grey_closing if dark_ink else ndimage.grey_opening
    return morphology(padded, size=(window, window))[pad:-pad, pad:-pad]


def _paper_noise(contrast: np.ndarray) -> tuple[float, float]:
    """(level, standard deviation) of the paper's contrast, from the low quantiles of the border's pixels.

    The border is paper even where a tight crop lets strokes touch it (they cover a small part of it), so its
    20th and 40th percentiles lie on the paper: their gap is 0.589 standard deviations of a normal
    distribution. Measured this way the noise includes the paper's grain and blotches, which a
    pixel-to-pixel measure misses.
    """
    ring = np.concatenate([contrast[0], contrast[-1], contrast[1:-1, 0], contrast[1:-1, -1]])
    low, high = np.percentile(ring, PAPER_PERCENTILES)
    return float(high), float(high - low) / 0.589


def _noise_level(values: np.ndarray) -> float:
    """Standard deviation of pixel noise, from the differences of horizontally neighbouring pixels.

    Most neighbours are both paper or both ink, so the median absolute difference measures the noise and not
    the strokes (their edges are few); 1.4826 / sqrt(2) turns it into one pixel's standard deviation.
    """
    if values.shape[1] < 2:
        return 0.0
    differences = np.abs(np.diff(values, axis=1))
    return 1.4826 / math.sqrt(2) * float(np.median(differences))
