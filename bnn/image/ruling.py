"""What is ink but no stroke of the digit: ruled, squared or lined paper's lines, specks, grain, shadow tips."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from skimage.transform import hough_line, hough_line_peaks

SPECK_SHARE = 0.02  # pieces of ink smaller than this share of the largest piece are dots or grain, not strokes
FAR_SHARE = 0.15  # of the longer side: a small piece at the border this far from the largest is no stroke
PATTERN_PIECES = 8  # this many pieces of ink ...
PATTERN_RATIO = 4.0  # ... none more than this many times the median piece: a pattern of dots, not a digit ...
PATTERN_MAX_EXTENT = 0.05  # ... when none spans this share of the shorter side (a number's digits are larger)
LINE_MIN_SPAN = 0.6  # a ruled line is ink along at least this share of the image's width (or height) ...
LINE_MAX_THICKNESS = 0.03  # ... at most this share of the shorter side thick (a digit's bar is thicker) ...
LINE_MAX_TILT_DEGREES = 6.0  # ... and within this many degrees of the horizontal (or vertical): a tilted photo
LINE_ANGLES = 25  # angles the Hough transform tries across that tilt (half a degree apart)
LINE_MIN_IMAGE = 32  # px: smaller images are not searched for ruling
LINE_PROFILE_SHARE = 0.5  # offsets next to a line's peak with at least this share of its count belong to it
LINE_INK_RATIO = 1.5  # a pixel on a line with this many times the line's contrast is a stroke crossing it


def ruling_pixels(ink: np.ndarray, contrast: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of ruled, squared or lined paper's lines, not those of strokes crossing them.

    A line is found by a Hough transform (scikit-image) near the horizontal or the vertical: it must be covered
    by ink over LINE_MIN_SPAN of the image, be at most LINE_MAX_THICKNESS of it thick, and have at least one
    parallel neighbour (paper is ruled with several; a digit's own bar is a single line). On a line, a pixel
    stays ink if ink continues on both sides of the line, or if it is clearly darker than the line.
    """
    height, width = ink.shape
    ruling = np.zeros_like(ink)
    if min(height, width) < LINE_MIN_IMAGE:
        return ruling
    tilt = np.deg2rad(np.linspace(-LINE_MAX_TILT_DEGREES, LINE_MAX_TILT_DEGREES, LINE_ANGLES))
    found = []  # (pixels of the lines, their greatest thickness, the bridge across them) per direction
    for angles, length, across in ((np.pi / 2 + tilt, width, (1, 0)), (tilt, height, (0, 1))):
        angles = np.where(angles >= np.pi / 2, angles - np.pi, angles)  # scikit-image wants [-pi/2, pi/2)
        accumulator, thetas, distances = hough_line(ink, theta=angles)
        if accumulator.max() <= LINE_MIN_SPAN * length:  # no line long enough: the peak search would find none
            continue
        _, found_angles, found_distances = hough_line_peaks(
            accumulator, thetas, distances, threshold=LINE_MIN_SPAN * length, min_distance=3, min_angle=LINE_ANGLES
        )
        lines = [_line_pixels(ink, angle, distance) for angle, distance in zip(found_angles, found_distances)]
        lines = [line for line in lines if line is not None]
        if len(lines) >= 2:
            gap = 2 * max(thickness for _, thickness in lines) + 3
            found.append(
                (
                    np.logical_or.reduce([pixels for pixels, _ in lines]),
                    np.ones((gap, 1) if across[0] else (1, gap), bool),
                )
            )
    if not found:
        return ruling
    rest = ink & ~np.logical_or.reduce([pixels for pixels, _ in found])
    for pixels, bridge in found:
        crossing = ndimage.binary_closing(rest, structure=bridge) & pixels  # ink goes on at both sides of the line
        darker = contrast > LINE_INK_RATIO * float(np.median(contrast[pixels]))
        ruling |= pixels & ~crossing & ~darker
    return ruling


def straight_lines(ink: np.ndarray) -> bool:
    """Whether two separate rows (or columns) are ink over LINE_MIN_SPAN of the image: ruling drawn digitally."""
    height, width = ink.shape
    for share in (np.count_nonzero(ink, axis=1) / width, np.count_nonzero(ink, axis=0) / height):  # ink.mean, faster
        rows = share >= LINE_MIN_SPAN
        if np.count_nonzero(rows[1:] & ~rows[:-1]) + rows[0] >= 2:  # starts of runs of such rows
            return True
    return False


def _line_pixels(ink: np.ndarray, angle: float, distance: float) -> tuple[np.ndarray, int] | None:
    """The ink pixels of the line x cos(angle) + y sin(angle) = distance and its thickness, if it is thin."""
    height, width = ink.shape
    reach = max(3, round(LINE_MAX_THICKNESS * min(height, width)))
    # Only the band of rows (columns, for a vertical line) the line can cross is looked at: it is fast.
    horizontal = abs(np.sin(angle)) > abs(np.cos(angle))
    along, across = (width, height) if horizontal else (height, width)
    slope, normal = (np.cos(angle), np.sin(angle)) if horizontal else (np.sin(angle), np.cos(angle))
    ends = [(distance - slope * end) / normal for end in (0, along - 1)]
    first = max(0, math.floor(min(ends)) - reach - 2)
    last = min(across, math.ceil(max(ends)) + reach + 3)
    if horizontal:
        band, (rows, cols) = (slice(first, last), slice(None)), np.mgrid[first:last, :width]
    else:
        band, (rows, cols) = (slice(None), slice(first, last)), np.mgrid[:height, first:last]
    offset = cols * np.cos(angle) + rows * np.sin(angle) - distance
    near = np.abs(offset) <= reach + 1
    bins = np.round(offset[near & ink[band]]).astype(int) + reach + 1
    if bins.size == 0:
        return None
    profile = np.bincount(bins, minlength=2 * reach + 3)
    peak = int(np.argmax(profile))
    on_line = profile >= LINE_PROFILE_SHARE * profile[peak]  # the run of offsets around the peak: the line
    low, high = peak, peak
    while low > 0 and on_line[low - 1]:
        low -= 1
    while high < on_line.size - 1 and on_line[high + 1]:
        high += 1
    low, high = low - reach - 1, high - reach - 1
    if high - low + 1 > reach or min(abs(low), abs(high)) > 1 and low * high > 0:
        return None  # thicker than a ruled line (a stroke, a band of shadow), or not where the transform found it
    low, high = low - 1, high + 1  # and its anti-aliased rim
    pixels = np.zeros_like(ink)
    pixels[band] = ink[band] & (offset >= low - 0.5) & (offset <= high + 0.5)
    return pixels, int(high - low + 1)


def without_specks(ink: np.ndarray) -> np.ndarray:
    """Drop pieces of ink smaller than SPECK_SHARE of the largest (grid dots, grain, dust) and small pieces at
    the border far from it (the tip of a shadow in a corner), unless the ink reaches all four sides (an image
    cropped to the ink: every piece is the digit's); none stays when no piece stands out among many (a dotted
    grid or grain on an empty page is a pattern, not a digit)."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ink
    # Labelled within the ink's bounding box only (every piece lies in it), often a small part of the image.
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    labels, count = ndimage.label(ink[box], structure=np.ones((3, 3), bool))
    if count <= 1:
        return ink
    sizes = np.bincount(labels.ravel())[1:]
    if count >= PATTERN_PIECES and sizes.max() < PATTERN_RATIO * np.median(sizes):
        boxes = ndimage.find_objects(labels)
        extent = max(max(rows.stop - rows.start, cols.stop - cols.start) for rows, cols in boxes)
        if extent < PATTERN_MAX_EXTENT * min(ink.shape):
            return np.zeros_like(ink)
    keep = sizes >= SPECK_SHARE * sizes.max()
    height, width = ink.shape
    if (rows[0], rows[-1], cols[0], cols[-1]) != (0, height - 1, 0, width - 1):
        keep &= ~_shadow_tips(labels, sizes, keep, (rows[0], rows[-1], cols[0], cols[-1]), ink.shape)
    kept = np.zeros_like(ink)
    kept[box] = np.concatenate([[False], keep])[labels]
    return kept


def _shadow_tips(labels: np.ndarray, sizes: np.ndarray, keep: np.ndarray, box: tuple, shape: tuple) -> np.ndarray:
    """(count,) bool: the pieces (``labels`` within the ink's ``box``, first and last row and column) that are
    small, touch the image's border and lie far from the largest piece: the tip of a shadow in a corner."""
    first_row, last_row, first_col, last_col = box
    height, width = shape
    edges = [labels[0]] if first_row == 0 else []  # the box's sides that are the image's
    edges += [labels[-1]] if last_row == height - 1 else []
    edges += [labels[:, 0]] if first_col == 0 else []
    edges += [labels[:, -1]] if last_col == width - 1 else []
    border = np.unique(np.concatenate(edges)) if edges else np.zeros(0, labels.dtype)
    count = sizes.size
    suspects = keep & np.isin(np.arange(1, count + 1), border) & (sizes < sizes.max() / 2)
    if not suspects.any():
        return suspects
    distance = ndimage.distance_transform_edt(labels != np.argmax(sizes) + 1)  # the largest lies in the box too
    far = ndimage.minimum(distance, labels, index=np.arange(1, count + 1)) > FAR_SHARE * max(shape)
    return suspects & far
