"""A number's image -> one (28, 28) MNIST-style image per digit, left to right.

The ink comes from `preprocess`'s own stages (white ink on black, paper, light and ruling removed); each digit then
goes through the same MNIST geometry as a single digit (`preprocess.digit_field`). In between:

1. Pieces: connected components of the ink's core (scipy.ndimage.label, 8-connected).
2. Specks: pieces much smaller than the tallest are dust or a pen's dot; they stay only inside a digit's columns.
3. Pieces that overlap horizontally belong together: a 5 or a 4 written in two strokes, a broken pen line.
   Neighbours that together are no wider than 1.5 digits may be one digit (a stroke broken off beside it, a 5's
   bar drawn apart), unless they are wider than one digit and both nearly the digits' height. Whether they are
   joined is decided by a logistic regression on the evidence (`MergeEvidence`: the network's reading of the two
   together and apart, the gap, their width, the narrower one's width and the shorter one's height), fitted on
   MNIST's training split by ``python -m scripts.fit_merge_decision`` and shipped as ``assets/merge-decision.json``.
4. A group too wide for one digit (touching neighbours) is cut at a column where the ink is thinnest: the thinnest
   few columns are tried and the cut the network reads with the highest joint probability is kept. Both parts must
   be half a digit tall (a stroke's tip is not a digit). Whether a group that may be one wide digit is cut is
   decided by a logistic regression on the evidence (`CutEvidence`: the network's reading of the whole and of the
   two parts, the group's width, the ink valley at the cut, the shorter part's height), fitted on digits of MNIST's
   training split by ``python -m scripts.fit_cut_decision`` and shipped as ``assets/cut-decision.json``.
5. Every ink pixel goes to the digit of the nearest core pixel, so anti-aliased rims follow their strokes.

    segmentation = segment(image, score)    # score: (N, 28, 28) -> (N, 10) probabilities, e.g. a model's mean
    segmentation.digits                     # (D, 28, 28) float32, left to right
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from bnn.config import ASSETS_DIR, MAX_DIGITS
from bnn.image import CROP_THRESHOLD, BlankImageError, ImageInput, digit_field, ink_image
from bnn.image.decisions import read_decision

Score = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28) digits -> (N, 10) class probabilities

SPECK_SIZE = 0.25  # a piece whose longest side is below this share of the tallest piece's height is a speck
MERGE_OVERLAP = 0.5  # pieces overlapping by this share of the narrower one's width are one digit ...
STACKED_OVERLAP = 0.2  # ... and so are pieces overlapping at all, one above the other (sharing this share of rows)
SHORT_GROUP = 0.45  # a group less tall than this share of the tallest group is part of a neighbour (a hook, a bar)
WIDE_RATIO = (
    1.6  # a group wider than this many times the tallest group's height holds touching digits (alone: maybe) ...
)
MAYBE_WIDE_RATIO = 1.0  # ... and one wider than this does when the cut decision (CutEvidence) says so
MERGE_WIDTH_RATIO = 1.5  # neighbours no wider together than this many times their height may be one digit ...
FULL_HEIGHT = 0.9  # ... unless wider than one digit and both this share of the digits' height tall: two digits
MERGE_DECISION = ASSETS_DIR / "merge-decision.json"  # the fitted merge decision (scripts/fit_merge_decision.py)
CUT_DECISION = ASSETS_DIR / "cut-decision.json"  # the fitted cut decision (scripts/fit_cut_decision.py)
MIN_PART = 0.2  # a cut leaves at least this share of the digits' height of columns on either side ...
MIN_PART_HEIGHT = 0.5  # ... and ink at least this share of it tall: a stroke's tip is not a digit
CUT_CANDIDATES = 5  # the thinnest columns tried as cuts, each at least CUT_SPACING of the height from the others
CUT_SPACING = 0.1
MAX_CUT_DEPTH = 3  # a group is cut at most this many times over (up to 2 ** 3 touching digits)


@dataclass(frozen=True)
class CutEvidence:
    """What decides whether a group that may be one wide digit is cut in two at its best cut."""

    whole: float  # the network's top probability for the group read as one digit
    joint: float  # the product of the two parts' top probabilities at the best cut
    width: float  # the group's width in digit heights
    valley: float  # ink in the cut column over the fuller column of the emptier side: low between two digits
    second: float  # the network's second highest probability for the group read as one digit
    part_reads_one: bool  # a part at the best cut is read as a 1: a wide digit's stroke cut off reads as one
    shorter_part: float  # the shorter part's ink height in digit heights

    FEATURES = ("log whole", "log joint", "width", "valley", "log second", "a part reads 1", "shorter part")

    def features(self) -> np.ndarray:
        """The decision's inputs, in FEATURES' order."""
        values = [np.log(self.whole), np.log(self.joint), self.width, self.valley, np.log(self.second)]
        return np.array([*values, float(self.part_reads_one), self.shorter_part], np.float64)


@dataclass(frozen=True)
class MergeEvidence:
    """What decides whether two neighbouring groups, together no wider than MERGE_WIDTH_RATIO, are one digit."""

    together: float  # the network's top probability for the two read as one digit
    joint: float  # the product of their top probabilities read apart
    gap: float  # columns between them in digit heights (negative: they overlap)
    width: float  # their width together in digit heights
    narrower: float  # the narrower one's width in digit heights (a stroke broken off is thin)
    shorter: float  # the shorter one's ink height in digit heights
    between: tuple[int, int] = (0, 0)  # the left one's end and the right one's first column in the ink image

    FEATURES = ("log together", "log joint", "gap", "width", "narrower", "shorter")

    def features(self) -> np.ndarray:
        """The decision's inputs, in FEATURES' order."""
        values = [np.log(self.together), np.log(self.joint), self.gap, self.width, self.narrower, self.shorter]
        return np.array(values, np.float64)


Decide = Callable[[CutEvidence], bool]
Join = Callable[[MergeEvidence], bool]


def reads_as_two(evidence: CutEvidence) -> bool:
    """The shipped cut decision: the logistic regression of ``assets/cut-decision.json`` says two digits."""
    return read_decision(CUT_DECISION, CutEvidence.FEATURES).says_two(evidence.features())


def reads_as_one(evidence: MergeEvidence) -> bool:
    """The shipped merge decision: the logistic regression of ``assets/merge-decision.json`` says one digit."""
    return not read_decision(MERGE_DECISION, MergeEvidence.FEATURES).says_two(evidence.features())


class TooManyDigitsError(ValueError):
    """More separate pieces of ink than a number of at most MAX_DIGITS digits; the message says what to do."""


@dataclass(frozen=True, eq=False)
class Segmentation:
    """The digits found in one image, left to right."""

    ink: np.ndarray  # (H, W) float32 white ink on black at working resolution (preprocess's ``normalised``)
    owner: np.ndarray  # (H, W) int: 1 + the digit each ink pixel belongs to; 0 for background and dropped specks
    boxes: tuple[tuple[int, int, int, int], ...]  # per digit (top, left, bottom, right) in ``ink``, ends exclusive
    digits: np.ndarray  # (D, 28, 28) float32 in [0, 1]: each digit in MNIST's geometry

    def __len__(self) -> int:
        return len(self.digits)


def segment(
    image: ImageInput,
    score: Score | None = None,
    max_digits: int = MAX_DIGITS,
    decide: Decide = reads_as_two,
    join: Join = reads_as_one,
) -> Segmentation:
    """Split the ink of ``image`` (anything `preprocess_image` accepts) into digits, left to right.

    ``score`` reads candidate digits when touching neighbours must be cut; without it the thinnest column is cut.
    ``decide``: whether a group that may be one wide digit is cut at its best cut (:func:`reads_as_two`);
    ``join``: whether two neighbours that may be one digit are joined (:func:`reads_as_one`); both need ``score``.
    Raises BlankImageError when there is no ink, TooManyDigitsError beyond ``max_digits`` digits.
    """
    ink = ink_image(image)
    labels, count = ndimage.label(ink > CROP_THRESHOLD, structure=np.ones((3, 3), bool))
    pieces = [_Piece(index + 1, box) for index, box in enumerate(ndimage.find_objects(labels)) if box is not None]
    if not pieces:
        digit_field(ink)  # no ink above the crop threshold: raises preprocess's BlankImageError
    tallest = max(piece.height for piece in pieces)
    strokes = [piece for piece in pieces if max(piece.height, piece.width) >= SPECK_SIZE * tallest]
    groups = _grouped(strokes)
    digit_height = float(max(_extent(group)[1] for group in groups))
    groups = _with_short_groups_joined(groups, digit_height)
    if len(groups) > max_digits:  # before any network reads a candidate
        raise _too_many(len(groups), max_digits)
    lookup = np.zeros(count + 1, np.int32)  # group number (from 1) of each piece; -1 for a dropped speck
    for number, group in enumerate(groups, start=1):
        lookup[[piece.label for piece in group]] = number
    for piece in pieces:
        if max(piece.height, piece.width) < SPECK_SIZE * tallest:  # a speck joins the digit whose columns hold it
            centre = (piece.left + piece.right) // 2
            inside = [n for n, g in enumerate(groups, 1) if min(p.left for p in g) <= centre < max(p.right for p in g)]
            lookup[piece.label] = inside[0] if inside else -1
    core = lookup[labels]
    if score is not None:
        core = _merge_halves(ink, core, digit_height, score, join)
        digit_height = max(digit_height, _tallest(core))  # joined halves are as tall as the digit they make
    core = _cut_touching(ink, core, len(groups), digit_height, score, decide)
    numbers = _left_to_right(core)
    if len(numbers) > max_digits:
        raise _too_many(len(numbers), max_digits)
    owner = _nearest_owner(core) * (ink > 0)
    owner[owner < 0] = 0
    found = ndimage.find_objects(np.maximum(core, 0))
    boxes, digits = [], []
    for number in numbers:
        rows, cols = found[number - 1]
        boxes.append((rows.start, cols.start, rows.stop, cols.stop))
        digits.append(digit_field(np.where(owner == number, ink, 0)))
    relabel = np.zeros(core.max() + 2, np.int32)  # owner numbered left to right
    relabel[np.array(numbers)] = np.arange(1, len(numbers) + 1)
    return Segmentation(ink, relabel[owner], tuple(boxes), np.stack(digits).astype(np.float32))


def _too_many(count: int, max_digits: int) -> TooManyDigitsError:
    return TooManyDigitsError(
        f"Found {count} digits, more than the {max_digits} a number may have here: "
        f"write at most {max_digits} digits, or read the number in parts."
    )


@dataclass(frozen=True)
class _Piece:
    label: int
    box: tuple[slice, slice]

    @property
    def top(self) -> int:
        return self.box[0].start

    @property
    def height(self) -> int:
        return self.box[0].stop - self.box[0].start

    @property
    def left(self) -> int:
        return self.box[1].start

    @property
    def right(self) -> int:
        return self.box[1].stop

    @property
    def width(self) -> int:
        return self.right - self.left


def _grouped(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Pieces sorted by their left edge, merged while each overlaps the group's columns by MERGE_OVERLAP of the
    narrower of the two, or lies above or below it (digits of a number stand side by side, strokes of a digit
    also one above the other)."""
    groups: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda piece: piece.left):
        if groups:
            left, right = min(p.left for p in groups[-1]), max(p.right for p in groups[-1])
            top, bottom = min(p.top for p in groups[-1]), max(p.top + p.height for p in groups[-1])
            overlap = min(right, piece.right) - piece.left
            beside = min(bottom, piece.top + piece.height) - max(top, piece.top)  # rows both span
            stacked = overlap > 0 and beside <= STACKED_OVERLAP * min(bottom - top, piece.height)
            if overlap >= MERGE_OVERLAP * min(right - left, piece.width) or stacked:
                groups[-1].append(piece)
                continue
        groups.append([piece])
    return groups


def _extent(group: list[_Piece]) -> tuple[int, int]:
    """(width, height) of a group's bounding box."""
    top, bottom = min(p.top for p in group), max(p.top + p.height for p in group)
    return max(p.right for p in group) - min(p.left for p in group), bottom - top


def _with_short_groups_joined(groups: list[list[_Piece]], digit_height: float) -> list[list[_Piece]]:
    """Groups less than SHORT_GROUP of the digits' height tall (a 5's bar drawn apart) joined to the nearest group."""
    groups = [list(group) for group in groups]
    while len(groups) > 1:
        short = [i for i, group in enumerate(groups) if _extent(group)[1] < SHORT_GROUP * digit_height]
        if not short:
            break
        index = short[0]
        left, right = min(p.left for p in groups[index]), max(p.right for p in groups[index])
        gaps = {
            neighbour: max(
                left - max(p.right for p in groups[neighbour]), min(p.left for p in groups[neighbour]) - right
            )
            for neighbour in (index - 1, index + 1)
            if 0 <= neighbour < len(groups)
        }
        nearest = min(gaps, key=gaps.get)
        joined = groups.pop(index)
        groups[nearest if nearest < index else nearest - 1] += joined
    return groups


def _merge_halves(ink: np.ndarray, core: np.ndarray, digit_height: float, score: Score, join: Join) -> np.ndarray:
    """Core group numbers with neighbours joined when together they are no wider than MERGE_WIDTH_RATIO times
    their height (or the digits') and ``join`` on their :class:`MergeEvidence` says one digit: the halves of a
    digit written in two strokes, a stroke broken off beside its digit. Two pieces both FULL_HEIGHT tall that
    together are wider than one digit are two digits without asking (most neighbours in a number: fast)."""
    numbers = _left_to_right(core)
    found = ndimage.find_objects(np.maximum(core, 0))
    boxes = [found[number - 1] for number in numbers]
    pairs = {}  # index of the left neighbour -> the geometry of the pair, in digit heights
    for index in range(len(numbers) - 1):
        (left_rows, left_cols), (right_rows, right_cols) = boxes[index], boxes[index + 1]
        height = max(left_rows.stop, right_rows.stop) - min(left_rows.start, right_rows.start)
        width = right_cols.stop - left_cols.start
        shorter = min(left_rows.stop - left_rows.start, right_rows.stop - right_rows.start)
        wide = width > MAYBE_WIDE_RATIO * digit_height and shorter >= FULL_HEIGHT * digit_height
        if width <= MERGE_WIDTH_RATIO * max(digit_height, height) and not wide:
            pairs[index] = {
                "gap": (right_cols.start - left_cols.stop) / digit_height,
                "width": width / digit_height,
                "narrower": min(left_cols.stop - left_cols.start, right_cols.stop - right_cols.start) / digit_height,
                "shorter": shorter / digit_height,
                "between": (left_cols.stop, right_cols.start),
            }
    if not pairs:
        return core
    images = []
    for index in pairs:
        left, right = core == numbers[index], core == numbers[index + 1]
        images += [digit_field(np.where(left | right, ink, 0)), digit_field(np.where(left, ink, 0))]
        images.append(digit_field(np.where(right, ink, 0)))
    probabilities = np.asarray(score(np.stack(images)), np.float64).max(axis=1).reshape(len(pairs), 3)
    core = core.copy()
    for (index, geometry), (together, left, right) in zip(pairs.items(), probabilities, strict=True):
        evidence = MergeEvidence(max(float(together), 1e-12), max(float(left * right), 1e-12), **geometry)
        if join(evidence) and numbers[index] != numbers[index + 1]:
            core[core == numbers[index + 1]] = numbers[index]
            numbers[index + 1] = numbers[index]  # a chain of halves joins into one
    return core


def _tallest(core: np.ndarray) -> int:
    """The height of the tallest group of core pixels."""
    boxes = [box for box in ndimage.find_objects(np.maximum(core, 0)) if box is not None]
    return max(rows.stop - rows.start for rows, _ in boxes)


def _cut_touching(
    ink: np.ndarray, core: np.ndarray, count: int, digit_height: float, score: Score | None, decide: Decide
) -> np.ndarray:
    """Core group numbers with every group wider than WIDE_RATIO x the digits' height cut into digits (new numbers)."""
    core = core.copy()
    pending = [(number, 0) for number in range(1, count + 1)]
    next_number = count + 1
    while pending:
        number, depth = pending.pop()
        mask = core == number
        cols = np.flatnonzero(mask.any(axis=0))
        if cols.size == 0:  # joined to its neighbour by _merge_halves
            continue
        left, right = cols[0], cols[-1] + 1
        if depth >= MAX_CUT_DEPTH or right - left <= MAYBE_WIDE_RATIO * digit_height:
            continue
        alone = count == 1 and depth == 0  # the only group: its own height says little about its digits' width
        wide = right - left > WIDE_RATIO * digit_height and not alone
        whole = None if wide else np.where(mask, ink, 0)
        if whole is not None and score is None:
            continue
        cut = _best_cut(ink, mask, digit_height, left, right, score, whole, decide)
        if cut is None:
            continue
        core[mask & (np.arange(core.shape[1])[None, :] >= cut)] = next_number
        pending += [(number, depth + 1), (next_number, depth + 1)]
        next_number += 1
    return core


def _best_cut(
    ink: np.ndarray,
    mask: np.ndarray,
    height: float,
    left: int,
    right: int,
    score: Score | None,
    whole: np.ndarray | None = None,
    decide: Decide = reads_as_two,
) -> int | None:
    """The column at which to cut a group of touching digits: of the thinnest columns, the one whose two parts the
    network reads with the highest joint probability (the thinnest, without ``score``). Given the ``whole`` group's
    ink (it may be one wide digit), None unless ``decide`` on the :class:`CutEvidence` says two digits."""
    margin = max(1, round(MIN_PART * height))
    inside = np.arange(left + margin, right - margin)
    if inside.size == 0:
        return None
    columns_ink = np.where(mask, ink, 0).sum(axis=0)
    thickness = columns_ink[inside]
    candidates: list[int] = []
    for position in np.argsort(thickness, kind="stable"):
        column = int(inside[position])
        if all(abs(column - chosen) >= CUT_SPACING * height for chosen in candidates):
            candidates.append(column)
        if len(candidates) == CUT_CANDIDATES:
            break
    if score is None or len(candidates) == 1:
        return candidates[0]
    columns = np.arange(ink.shape[1])[None, :]
    images, kept, shorter = [], [], []
    for column in candidates:
        sides = [mask & side for side in (columns < column, columns >= column)]
        heights = [np.ptp(np.flatnonzero(side.any(axis=1))) + 1 for side in sides]
        if min(heights) < MIN_PART_HEIGHT * height:
            continue  # a short piece of a stroke on one side: not a cut between digits
        try:
            parts = [digit_field(np.where(side, ink, 0)) for side in sides]
        except BlankImageError:  # one side holds only the rim of a stroke: not a cut between digits
            continue
        images += parts
        kept.append(column)
        shorter.append(min(heights) / height)
    if not kept:
        return None
    if whole is not None:
        images.append(digit_field(whole))
    probabilities = np.asarray(score(np.stack(images)), np.float64)
    top = probabilities.max(axis=1)
    joint = top[: 2 * len(kept)].reshape(len(kept), 2).prod(axis=1)
    best = int(np.argmax(joint))
    if whole is not None:
        cut = kept[best]
        emptier = min(columns_ink[left:cut].max(), columns_ink[cut:right].max())
        evidence = CutEvidence(
            whole=max(float(top[-1]), 1e-12),
            joint=max(float(joint[best]), 1e-12),
            width=float((right - left) / height),
            valley=float(columns_ink[cut] / emptier) if emptier > 0 else 1.0,
            second=max(float(np.sort(probabilities[-1])[-2]), 1e-12),
            part_reads_one=bool((probabilities[2 * best : 2 * best + 2].argmax(axis=1) == 1).any()),
            shorter_part=float(shorter[best]),
        )
        if not decide(evidence):
            return None
    return kept[best]


def _nearest_owner(core: np.ndarray) -> np.ndarray:
    """(H, W) the core number of the nearest core pixel, for every pixel (rims follow their strokes)."""
    rows, cols = ndimage.distance_transform_edt(core == 0, return_distances=False, return_indices=True)
    return core[rows, cols]


def _left_to_right(core: np.ndarray) -> list[int]:
    """The positive core numbers ordered by the centre of their bounding box's columns."""
    found = ndimage.find_objects(np.maximum(core, 0))
    centres = {number: box[1].start + box[1].stop for number, box in enumerate(found, start=1) if box is not None}
    return sorted(centres, key=centres.get)
