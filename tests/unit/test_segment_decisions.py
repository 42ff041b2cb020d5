"""Segmentation's decisions on images drawn rectangle by rectangle: which pieces are one digit, which specks are kept,
where touching digits are cut, and the evidence each fitted decision is given (bnn.image.segment). Every image is
white ink on black, small enough to be segmented at its own resolution, so boxes are in the image's own pixels."""

from __future__ import annotations

import numpy as np
import pytest

from bnn.image import CROP_THRESHOLD, digit_field, segment

HEIGHT = 60  # px: the tall strokes' height, so the digits' height


def drawn(*rectangles: tuple[int, int, int, int], shape: tuple[int, int] = (120, 300), level: int = 255) -> np.ndarray:
    """uint8 image with ink in each (top, bottom, left, right) rectangle, ends exclusive."""
    image = np.zeros(shape, np.uint8)
    for top, bottom, left, right in rectangles:
        image[top:bottom, left:right] = level
    return image


def stroke(left: int, width: int = 8, top: int = 20, height: int = HEIGHT) -> tuple[int, int, int, int]:
    return (top, top + height, left, left + width)


# --- pieces, specks and groups (no network: score left out) -----------------------------------------------------


def test_specks_join_the_digit_whose_columns_hold_their_centre_and_the_rest_is_dropped():
    image = drawn(
        stroke(20),  # digit 1, columns 20..27
        stroke(120),  # digit 2, columns 120..127
        (90, 94, 18, 22),  # a speck centred on digit 1's first column: kept by digit 1
        (90, 94, 126, 130),  # a speck centred one past digit 2's last column: dropped
        (45, 49, 70, 74),  # a speck between the digits: dropped
        (80, 84, 28, 32),  # touching digit 1's corner diagonally: part of it (8-connected)
    )  # 4 x 4 specks: larger than the dust preprocessing drops (2 % of the largest piece), far smaller than a digit
    found = segment.segment(image)
    assert found.boxes == ((20, 18, 94, 32), (20, 120, 80, 128))
    assert found.owner.dtype.kind == "i" and found.owner.shape == image.shape
    owner = found.owner
    assert owner[91, 20] == 1 and owner[81, 29] == 1 and owner[50, 24] == 1 and owner[50, 124] == 2
    assert owner[91, 128] == 0 and owner[46, 71] == 0 and owner[5, 5] == 0
    assert set(np.unique(owner[image == 0])) == {0}  # background is nobody's
    for number, digit in enumerate(found.digits, start=1):
        np.testing.assert_array_equal(digit, digit_field(np.where(owner == number, found.ink, 0)))


def test_a_piece_a_quarter_of_the_tallest_is_a_stroke_and_one_pixel_less_a_speck():
    """SPECK_SIZE = 0.25: a 15 px piece beside 60 px digits is a stroke (a short group, joined to the nearest digit);
    a 14 px one between the digits' columns is a speck and dropped."""
    stroke_15 = drawn(stroke(20), stroke(120), (95, 98, 60, 75))
    found = segment.segment(stroke_15)
    assert len(found) == 2 and found.owner[96, 65] == 1 and found.boxes[0] == (20, 20, 98, 75)
    speck_14 = drawn(stroke(20), stroke(120), (95, 98, 60, 74))
    found = segment.segment(speck_14)
    assert len(found) == 2 and found.owner[96, 65] == 0 and found.boxes[0] == (20, 20, 80, 28)


def C_SHAPE(left: int, width: int = 40) -> list[tuple[int, int, int, int]]:
    """A '[' 60 px tall, ``width`` wide, 4 px strokes: open on the right between its bars (rows 24..75)."""
    return [(20, 80, left, left + 4), (20, 24, left, left + width), (76, 80, left, left + width)]


def seven(bottom: int) -> list[tuple[int, int, int, int]]:
    """A block 15 px wide from row 20 to ``bottom`` with a 2 px hook to its right: its box is columns 20..39, its
    ink below row 22 only in columns 20..34 (so a piece from column 36 on does not touch it)."""
    return [(20, bottom, 20, 35), (20, 22, 35, 40)]


@pytest.mark.parametrize(
    ("rectangles", "digits"),
    [
        # overlapping in columns by half the narrower one's width, side by side in rows: one digit ...
        (C_SHAPE(20) + [(35, 65, 58, 62)], 1),
        # ... by less than half: two
        (C_SHAPE(20) + [(35, 65, 59, 63)], 2),
        # a narrow piece first, a wide one overlapping it by half the narrow one's width: one digit
        ([(35, 65, 20, 24), (20, 24, 22, 62), (76, 80, 22, 62), (20, 80, 58, 62)], 1),
        # one above the other, overlapping in columns at all, sharing rows up to a fifth of the shorter's height
        (seven(56) + [(50, 80, 36, 60)], 1),  # 6 rows of a 30 px piece
        (seven(57) + [(50, 80, 36, 60)], 2),  # 7 rows
        (seven(50) + [(43, 79, 36, 60)], 2),  # 7 rows of the 30 px group (the piece is 36 px)
        (seven(50) + [(50, 86, 39, 60)], 1),  # no row shared, one column
        (seven(50) + [(52, 80, 40, 60)], 2),  # no column shared: side by side
    ],
)
def test_which_pieces_are_one_digit(rectangles, digits):
    assert len(segment.segment(drawn(*rectangles))) == digits


@pytest.mark.parametrize(
    ("hook", "owner"),
    [
        ((50, 77, 60, 70), None),  # 27 px: 0.45 of the digits' height, tall enough to be a digit
        ((50, 76, 40, 50), 1),  # 26 px, nearer the first digit
        ((50, 76, 95, 105), 2),  # 26 px, nearer the second
        ((50, 76, 150, 160), 2),  # 26 px, right of the last digit
        ((50, 76, 2, 12), 1),  # 26 px, left of the first digit
    ],
)
def test_a_group_shorter_than_0_45_of_the_digits_joins_its_nearest_neighbour(hook, owner):
    image = drawn(stroke(20), stroke(120), hook, shape=(120, 170))
    found = segment.segment(image)
    top, bottom, left, right = hook
    if owner is None:
        assert len(found) == 3
    else:
        assert len(found) == 2 and found.owner[(top + bottom) // 2, (left + right) // 2] == owner
        others = found.owner[20:80, 20:28], found.owner[20:80, 120:128]
        assert (others[0] == 1).all() and (others[1] == 2).all()  # the digits keep their own ink


def test_too_many_digits_says_how_many_before_and_after_cutting():
    with pytest.raises(segment.TooManyDigitsError, match=r"^Found 3 digits, more than the 2 a number may have"):
        segment.segment(drawn(stroke(20), stroke(100), stroke(180)), max_digits=2)
    touching = drawn(stroke(20), *bridged(100, 2))  # two groups, three digits once the pair (100 px) is cut
    with pytest.raises(segment.TooManyDigitsError, match=r"^Found 3 digits, more than the 2 a number may have"):
        segment.segment(touching, max_digits=2)
    assert len(segment.segment(touching, max_digits=3)) == 3


# --- touching digits: where a group is cut ----------------------------------------------------------------------


def bridged(
    left: int, count: int, width: int = 40, bridge: int = 20, top: int = 20, height: int = HEIGHT, thickness=2
) -> list[tuple[int, int, int, int]]:
    """``count`` blocks ``height`` tall and ``width`` wide from ``left``, joined by bridges ``bridge`` long and
    ``thickness`` px tall (one number, or one per bridge) across their middle."""
    thicknesses = [thickness] * (count - 1) if isinstance(thickness, int) else list(thickness)
    middle = top + height // 2
    rectangles = []
    for index in range(count):
        start = left + index * (width + bridge)
        rectangles.append((top, top + height, start, start + width))
        if index < count - 1:
            rectangles.append((middle - 1, middle - 1 + thicknesses[index], start + width, start + width + bridge))
    return rectangles


# Two 40 px blocks and a 20 px bridge: 100 px, wider than 1.6 digits. Cut at the bridge's first column.
PAIR = bridged(20, 2)
PAIR_CUT = ((20, 20, 80, 60), (20, 60, 80, 120))


def test_a_wide_group_beside_another_is_cut_at_its_thinnest_column_leftmost_first_without_a_network():
    """The thinnest columns are the bridge's, all alike: the leftmost is cut. The right part, numbered last, is read
    in its place: between the left part and the next digit."""
    found = segment.segment(drawn(*PAIR, stroke(200)))
    assert found.boxes == (*PAIR_CUT, (20, 200, 80, 208))
    assert found.owner[50, 40] == 1 and found.owner[50, 100] == 2 and found.owner[50, 204] == 3


def test_a_chain_of_touching_digits_is_cut_at_most_three_times_over():
    """MAX_CUT_DEPTH = 3: sixteen blocks 30 px tall whose bridges are thinnest in the middle of each run (1 px, then
    2, 3 and 4) are cut in halves, quarters and eighths, and no further: 8 pieces of two blocks each."""
    ruler = [5 - (index & -index).bit_length() for index in range(1, 16)]  # 4 3 4 2 4 3 4 1 4 3 4 2 4 3 4
    blocks = bridged(5, 16, width=26, bridge=3, top=10, height=30, thickness=ruler)
    chain = drawn(*blocks, (10, 40, 476, 488), shape=(50, 500))  # and a digit, not dust beside the chain
    found = segment.segment(chain, max_digits=20)
    assert len(found) == 9
    # each cut at its bridge's first column: the bridge goes with the right part
    assert [box[1] for box in found.boxes] == [5] + [5 + 58 * index - 3 for index in range(1, 8)] + [476]
    assert len(segment.segment(chain, max_digits=20, decide=lambda evidence: True)) == 9  # however it is asked


def test_the_cut_keeps_clear_of_the_groups_edges():
    """Columns within a fifth of the digits' height of either end are never cut, however thin: a 1 px spur at the
    left end of a group is thinner than its bridge, and the cut is still at the bridge."""
    found = segment.segment(drawn((50, 51, 14, 20), *PAIR, stroke(200)))
    assert found.boxes[:2] == ((20, 14, 80, 60), PAIR_CUT[1])


def test_a_digit_at_most_as_wide_as_the_digits_are_tall_is_never_cut():
    asked = []
    as_wide = drawn(*bridged(20, 2, width=25, bridge=10), stroke(200))  # 60 px wide: as wide as tall
    assert len(segment.segment(as_wide, uniform, decide=lambda evidence: asked.append(evidence) or True)) == 2
    assert not asked
    wider = drawn(*bridged(20, 2, width=25, bridge=11), stroke(200))  # 61 px
    assert len(segment.segment(wider, uniform, decide=lambda evidence: asked.append(evidence) or True)) == 3
    assert len(asked) == 1


def test_up_to_1_6_digits_wide_the_cut_decision_is_asked_and_beyond_it_is_not():
    asked = []
    exactly = drawn(*bridged(20, 2, width=43, bridge=10), stroke(200))  # 96 px: 1.6 x 60
    assert len(segment.segment(exactly, uniform, decide=lambda evidence: asked.append(evidence) or False)) == 2
    assert len(asked) == 1  # asked, and told one digit
    beyond = drawn(*bridged(20, 2, width=43, bridge=11), stroke(200))  # 97 px
    assert len(segment.segment(beyond, uniform, decide=lambda evidence: asked.append(evidence) or False)) == 3
    assert len(asked) == 1  # cut without asking


def test_every_group_is_considered_whatever_comes_before_it():
    """Groups are taken from the right: a narrow digit, one the decision keeps whole, one merged into its
    neighbour, or another wide group, right of a wide group, never stops that group being cut."""
    keep = lambda evidence: False
    for after in ([stroke(200)], bridged(200, 2, width=30, bridge=10)):  # narrow; 70 px, kept whole
        found = segment.segment(drawn(*PAIR, *after), uniform, decide=keep)
        assert found.boxes[:2] == PAIR_CUT, after
    found = segment.segment(drawn(*PAIR, *bridged(160, 2), shape=(120, 280)))
    assert found.boxes == (*PAIR_CUT, (20, 160, 80, 200), (20, 200, 80, 260))
    joined = drawn(*PAIR, stroke(200), (50, 80, 212, 216))  # a stroke broken off beside the digit
    found = segment.segment(joined, uniform, decide=keep, join=lambda evidence: True)
    assert found.boxes == (*PAIR_CUT, (20, 200, 80, 216))


def test_a_lone_group_is_cut_only_when_the_decision_says_two_digits():
    """A lone group says little about its digits' width: even 100 px of it is asked about."""
    assert len(segment.segment(drawn(*PAIR), uniform, decide=lambda evidence: False)) == 1
    assert segment.segment(drawn(*PAIR), uniform, decide=lambda evidence: True).boxes == PAIR_CUT


# --- the evidence the fitted decisions are given -----------------------------------------------------------------


def uniform(images: np.ndarray) -> np.ndarray:
    return np.full((len(images), 10), 0.1)


def by_ink(images: np.ndarray) -> np.ndarray:
    """A stand-in network whose answer follows its input: the top class and its probability from the ink's mass and
    its spread over the columns, in float32 as a network gives them."""
    mass = images.sum(axis=(1, 2))
    columns = (images.max(axis=1) > 0.5).sum(axis=1)
    top = 0.3 + 0.6 * (mass % 37) / 37
    digit = columns % 10
    probabilities = np.repeat(((1 - top) / 9)[:, None], 10, axis=1)
    probabilities[np.arange(len(images)), digit] = top
    probabilities[np.arange(len(images)), (digit + 1) % 10] *= 1.5  # the runner-up
    return probabilities.astype(np.float32)


def parts(image: np.ndarray, cut: int, group: tuple[int, int] = (0, 10_000)) -> list[np.ndarray]:
    """The network inputs of a group's ink (its columns ``group``) left of column ``cut`` and from it on."""
    ink = segment.ink_image(image)
    columns = np.arange(ink.shape[1])[None, :]
    core = (ink > CROP_THRESHOLD) & (columns >= group[0]) & (columns < group[1])
    return [digit_field(np.where(core & side, ink, 0)) for side in (columns < cut, columns >= cut)]


def test_the_cut_evidence_is_read_from_the_whole_group_and_the_best_cut():
    image = drawn(*bridged(20, 2, width=35, bridge=10))  # one group, 80 px wide: maybe one wide digit
    seen = []
    segment.segment(image, by_ink, decide=lambda evidence: seen.append(evidence) or False)
    (evidence,) = seen
    ink = segment.ink_image(image)
    whole = by_ink(digit_field(np.where(ink > CROP_THRESHOLD, ink, 0))[None])[0].astype(np.float64)
    assert evidence.whole == whole.max() and evidence.second == np.sort(whole)[-2]
    assert evidence.width == 80 / HEIGHT and evidence.shorter_part == 1.0
    candidates = (55, 61, 32, 38, 44)  # the 2 px bridge's columns 6 px apart, then the blocks' from the left
    read = {cut: by_ink(np.stack(parts(image, cut))).astype(np.float64) for cut in candidates}
    best = max(candidates, key=lambda cut: read[cut].max(axis=1).prod())
    assert evidence.joint == read[best].max(axis=1).prod()
    assert evidence.part_reads_one == bool((read[best].argmax(axis=1) == 1).any())
    column_ink = np.where(ink > CROP_THRESHOLD, ink, 0).sum(axis=0)
    assert evidence.valley == column_ink[best] / min(column_ink[20:best].max(), column_ink[best:100].max())


def test_the_candidates_are_the_thinnest_columns_spaced_apart_and_the_network_picks_among_them():
    """The thinnest columns, the leftmost first among equals, each at least a tenth of the height (6 px) from those
    chosen, five at most: along a 20 px bridge, its columns 50, 56, 62, 68, then the first block column inside the
    margins. Of these the cut is where the network reads both parts best: here the fourth."""
    image = drawn(*bridged(20, 2, width=30, bridge=20), stroke(200))  # 80 px: maybe one digit
    candidates = (50, 56, 62, 68, 32)
    expected = [part for cut in candidates for part in parts(image, cut, group=(20, 100))]
    asked = []

    def best_at_68(images: np.ndarray) -> np.ndarray:
        asked.append(images)
        probabilities = np.full((len(images), 10), 0.05)
        probabilities[:, 4] = 0.3
        probabilities[6:8, 4] = 0.9  # the two parts of the fourth candidate
        return probabilities

    found = segment.segment(image, best_at_68, decide=lambda evidence: True)
    (images,) = asked
    assert len(images) == 2 * len(candidates) + 1  # every candidate's two parts, then the whole group
    for index, (given, part) in enumerate(zip(images, expected, strict=False)):
        np.testing.assert_array_equal(given, part, err_msg=f"image {index}")
    assert found.boxes[:2] == ((20, 20, 80, 68), (20, 68, 80, 100))


@pytest.mark.parametrize(
    ("reads", "one"),
    [
        ({2: (1, 0.6), 3: (7, 0.9)}, True),  # the best cut (the second) has a 1 left of it, though less sure
        ({2: (7, 0.9), 3: (7, 0.9), 4: (1, 0.3)}, False),  # a 1 at the next candidate only: not the best cut's
    ],
)
def test_a_part_read_as_a_one_counts_only_at_the_best_cut(reads, one):
    image = drawn(*bridged(20, 2, width=35, bridge=10))

    def reading(images: np.ndarray) -> np.ndarray:
        probabilities = np.full((len(images), 10), 0.05)
        probabilities[:, 7] = 0.3
        for index, (digit, probability) in reads.items():
            probabilities[index] = 0.01
            probabilities[index, digit] = probability
        return probabilities

    seen = []
    segment.segment(image, reading, decide=lambda evidence: seen.append(evidence) or False)
    assert seen[0].part_reads_one is one


def test_the_merge_evidence_of_each_neighbouring_pair_from_the_network_and_the_geometry():
    """Three groups: a thin stroke left of a tall one (the left is the narrower and shorter), and far to the right a
    third; the merge decision is asked about the first pair only, with the network's readings of the pair together
    and apart (in float64 whatever the network gives)."""
    image = drawn((50, 80, 20, 23), stroke(27), stroke(200), shape=(120, 260))
    seen = []
    found = segment.segment(image, by_ink, join=lambda evidence: seen.append(evidence) or False)
    assert len(found) == 3 and len(seen) == 1
    (evidence,) = seen
    assert (evidence.gap, evidence.width) == (4 / HEIGHT, 15 / HEIGHT)
    assert (evidence.narrower, evidence.shorter) == (3 / HEIGHT, 30 / HEIGHT) and evidence.between == (23, 27)
    ink = segment.ink_image(image)
    left, right = np.zeros(ink.shape, bool), np.zeros(ink.shape, bool)
    left[50:80, 20:23], right[20:80, 27:35] = True, True
    read = by_ink(np.stack([digit_field(np.where(mask, ink, 0)) for mask in (left | right, left, right)]))
    top = read.max(axis=1).astype(np.float64)
    assert evidence.together == top[0] and evidence.joint == top[1] * top[2]


def test_a_chain_of_halves_joins_into_one_digit_and_the_pair_decisions_are_kept_apart():
    three_strokes = drawn((20, 80, 20, 24), (20, 80, 30, 34), (20, 80, 40, 44), stroke(200))
    assert len(segment.segment(three_strokes, uniform, join=lambda evidence: True)) == 2
    join_first = lambda evidence: evidence.between == (24, 30)
    found = segment.segment(three_strokes, uniform, join=join_first)
    assert found.boxes[:2] == ((20, 20, 80, 34), (20, 40, 80, 44))
    join_second = lambda evidence: evidence.between == (34, 40)
    found = segment.segment(three_strokes, uniform, join=join_second)
    assert found.boxes[:2] == ((20, 20, 80, 24), (20, 30, 80, 44))


@pytest.mark.parametrize(
    ("right", "asked"),
    [
        ((50, 80, 100, 110), True),  # 90 px together: 1.5 digits, asked
        ((50, 80, 101, 111), False),  # 91 px
        ((20, 80, 72, 80), True),  # as tall, together exactly as wide as a digit: maybe one digit
        ((26, 80, 72, 81), False),  # 0.9 as tall and together wider than a digit: two digits, not asked
        ((27, 80, 72, 81), True),  # shorter than 0.9: asked
    ],
)
def test_which_pairs_the_merge_decision_is_asked_about_at_the_limits(right, asked):
    image = drawn(stroke(20), right, shape=(120, 140))
    seen = []
    segment.segment(image, uniform, join=lambda evidence: seen.append(evidence) or False)
    assert len(seen) == asked, seen


def test_a_wide_group_is_cut_though_a_group_right_of_it_is_left_whole_for_want_of_a_network():
    """Without a network (score left out) a group that may be one wide digit is kept whole; one wider than 1.6
    digits left of it is still cut."""
    found = segment.segment(drawn(*PAIR, *bridged(200, 2, width=30, bridge=10)))
    assert found.boxes == (*PAIR_CUT, (20, 200, 80, 270))


def block_and_shorter(height: int) -> list[tuple[int, int, int, int]]:
    """A '[' 60 px tall and 40 wide (4 px bars), a 2 px bridge along its bottom to a block ``height`` px tall: 100 px
    in all. Thinnest first: the bridge's columns, the bars', the block's, the '[''s back."""
    return [*C_SHAPE(20), (76, 78, 60, 80), (80 - height, 80, 80, 120)]


def test_a_cut_leaves_at_least_half_the_digits_height_of_ink_on_either_side():
    """At the bridge the right part is the block: 30 px (half the digits' height) is enough, and the bridge's first
    column is cut; 29 px is a stroke's tip, so none of the bridge's columns is, and the cut moves to the next
    candidate, the first column of the bars inside the margins."""
    found = segment.segment(drawn(*block_and_shorter(30), stroke(200)), uniform)
    assert found.boxes[:2] == ((20, 20, 80, 60), (50, 60, 80, 120))
    found = segment.segment(drawn(*block_and_shorter(29), stroke(200)), uniform)
    assert found.boxes[:2] == ((20, 20, 80, 32), (20, 32, 80, 120))


def test_the_merge_decision_reads_the_evidence_in_its_features_order():
    broken_off = segment.MergeEvidence(together=0.98, joint=0.05, gap=0.05, width=0.5, narrower=0.05, shorter=0.3)
    np.testing.assert_array_equal(broken_off.features(), [np.log(0.98), np.log(0.05), 0.05, 0.5, 0.05, 0.3])
    assert broken_off.features().dtype == np.float64
    assert segment.reads_as_one(broken_off)  # read together far better than apart, a thin short stroke: one digit
    two = segment.MergeEvidence(together=0.2, joint=0.95, gap=0.3, width=1.3, narrower=0.5, shorter=0.9)
    assert not segment.reads_as_one(two)  # read apart far better, wide and both tall: two digits
