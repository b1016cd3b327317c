"""Tests for scoring.ranking: the worked examples of docs/scoring.md, edge cases, properties.

No database and no Django settings are needed.
"""

import random
import unicodedata
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.ranking import (
    DEFAULT_BANDS,
    INDEX_PLACES,
    METHOD_BONUS,
    METHOD_DEDUCTION,
    METHOD_SELF,
    METHOD_SURVEY,
    TIE_EXACT,
    Band,
    Entry,
    Leaf,
    compute_total,
    grade_for,
    rank_entries,
    round_score,
    vietnamese_sort_key,
)

SCORING_MD = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"
BANDS_BY_LABEL = {band.label: band for band in DEFAULT_BANDS}
METHODS = {METHOD_SELF, METHOD_SURVEY, METHOD_BONUS, METHOD_DEDUCTION}

TOTALS_COLUMNS = [
    "case", "leaves", "achieved", "applicable max", "bonus", "deduction", "index", "total",
]  # fmt: skip
GRADES_COLUMNS = ["total", "decimals", "grade"]
RANKS_COLUMNS = [
    "case",
    "decimals",
    "units (name = total, in input order)",
    "expected table (name rank)",
]


# --- Reading the worked examples --------------------------------------------------------------


def read_table(heading: str, columns: list[str]) -> list[dict[str, str]]:
    """Rows of the first markdown table under `## {heading}`, as dicts keyed by column name."""
    lines = SCORING_MD.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"## {heading}")
    table: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif table:
            break
    header, separator, *rows = table
    assert header == columns, f"unexpected columns under {heading!r}: {header}"
    assert set("".join(separator)) <= set("-: "), f"bad separator row under {heading!r}"
    assert all(len(row) == len(columns) for row in rows), f"ragged row under {heading!r}"
    return [dict(zip(columns, row, strict=True)) for row in rows]


def parse_leaf(spec: str) -> Leaf:
    """`code:[method ]points/max`, with `na` as points for a leaf that does not apply and `blank` for none given."""
    code, _, rest = spec.strip().partition(":")
    points_and_max = rest.split()[-1]
    method = rest.split()[0] if len(rest.split()) == 2 else METHOD_SELF
    assert method in METHODS, f"unknown method in {spec!r}"
    points, _, max_points = points_and_max.partition("/")
    applicable = points != "na"
    return Leaf(
        code=code,
        max_points=Decimal(max_points),
        points=Decimal(points) if applicable and points != "blank" else None,
        method=method,
        applicable=applicable,
    )


def parse_units(cell: str) -> list[Entry]:
    entries = []
    for key, item in enumerate(cell.split(";")):
        name, _, total = item.partition("=")
        entries.append(Entry(key=key, name=name.strip(), total=Decimal(total.strip())))
    return entries


def parse_expected(cell: str) -> list[tuple[str, int]]:
    expected = []
    for item in cell.split(";"):
        name, rank = item.strip().rsplit(" ", 1)
        expected.append((name, int(rank)))
    return expected


TOTALS_ROWS = read_table("Worked examples: totals", TOTALS_COLUMNS)
GRADES_ROWS = read_table("Worked examples: grades", GRADES_COLUMNS)
RANKS_ROWS = read_table("Worked examples: ranks", RANKS_COLUMNS)
EXACT_ROWS = read_table("Worked examples: ranks on the unrounded value", RANKS_COLUMNS)
SCALES_ROWS = read_table("Worked examples: other grade scales", ["case", "bands", "total", "decimals", "grade"])


def test_the_worked_example_tables_are_all_read():
    assert len(TOTALS_ROWS) >= 11
    assert len(GRADES_ROWS) >= 20
    assert len(RANKS_ROWS) >= 13


def test_the_scoring_page_is_written_in_nfc():
    text = SCORING_MD.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)


# --- Worked examples: totals ------------------------------------------------------------------


@pytest.mark.parametrize("row", TOTALS_ROWS, ids=[row["case"] for row in TOTALS_ROWS])
def test_total_matches_the_worked_example(row):
    result = compute_total(parse_leaf(spec) for spec in row["leaves"].split(";"))

    assert result.achieved == Decimal(row["achieved"])
    assert result.applicable_max == Decimal(row["applicable max"])
    assert result.bonus == Decimal(row["bonus"])
    assert result.deduction == Decimal(row["deduction"])
    assert result.index == Decimal(row["index"])
    assert result.total == Decimal(row["total"])


def test_thanh_hoa_2023_index_is_shown_as_81_33():
    result = compute_total(
        [
            Leaf("1", Decimal(84), Decimal("68.32")),
            Leaf("2", Decimal(16), None, applicable=False),
        ]
    )

    assert result.full_max == Decimal(100)
    assert result.index == Decimal("81.333333")
    assert round_score(result.index, 2) == Decimal("81.33")


def test_index_that_does_not_terminate_is_kept_to_six_decimals():
    result = compute_total([Leaf("1", Decimal(3), Decimal(1))])

    assert INDEX_PLACES == 6
    assert result.index.as_tuple().exponent == -INDEX_PLACES


def test_no_leaves_give_a_zero_total():
    result = compute_total([])

    assert (result.index, result.total, result.applicable_max) == (0, 0, 0)


def test_full_max_counts_every_scored_leaf_but_not_bonus_or_deduction():
    result = compute_total(
        [
            Leaf("1", Decimal(60), Decimal(50)),
            Leaf("2", Decimal(40), None, applicable=False),
            Leaf("B", Decimal(5), Decimal(1), METHOD_BONUS),
        ]
    )

    assert (result.applicable_max, result.full_max) == (Decimal(60), Decimal(100))


# --- Worked examples: grades ------------------------------------------------------------------


@pytest.mark.parametrize("row", GRADES_ROWS, ids=[f"{row['total']}@{row['decimals']}" for row in GRADES_ROWS])
def test_grade_matches_the_worked_example(row):
    band = grade_for(Decimal(row["total"]), DEFAULT_BANDS, int(row["decimals"]))

    assert band == BANDS_BY_LABEL[row["grade"]]


def test_bands_may_be_given_in_any_order():
    shuffled = list(reversed(DEFAULT_BANDS))

    assert grade_for(Decimal(85), shuffled, 3).label == "Tốt"
    assert grade_for(Decimal(10), shuffled, 3).label == "Yếu"


def test_a_province_without_xuat_sac_grades_95_as_tot():
    khanh_hoa_style = [band for band in DEFAULT_BANDS if band.code != "xuat-sac"]

    assert grade_for(Decimal(95), khanh_hoa_style, 2).label == "Tốt"


def test_round_score_rounds_half_up():
    assert round_score(Decimal("90.4505"), 3) == Decimal("90.451")
    assert round_score(Decimal("90.4515"), 3) == Decimal("90.452")
    assert str(round_score(Decimal("90.45"), 3)) == "90.450"


# --- Worked examples: ranks -------------------------------------------------------------------


@pytest.mark.parametrize("row", RANKS_ROWS, ids=[row["case"] for row in RANKS_ROWS])
def test_ranked_table_matches_the_worked_example(row):
    table = rank_entries(parse_units(row[RANKS_COLUMNS[2]]), decimals=int(row["decimals"]))

    assert [(ranked.name, ranked.rank) for ranked in table] == parse_expected(row[RANKS_COLUMNS[3]])
    assert [ranked.position for ranked in table] == list(range(1, len(table) + 1))


@pytest.mark.parametrize("row", EXACT_ROWS, ids=[row["case"] for row in EXACT_ROWS])
def test_ranked_on_the_unrounded_value_as_the_worked_example(row):
    table = rank_entries(parse_units(row[RANKS_COLUMNS[2]]), decimals=int(row["decimals"]), tie=TIE_EXACT)

    assert [(ranked.name, ranked.rank) for ranked in table] == parse_expected(row[RANKS_COLUMNS[3]])


def parse_bands(cell: str) -> list[Band]:
    """ "Tốt ≥ 80; Khá ≥ 65; Kém": the last label takes everything below."""
    bands = []
    for index, item in enumerate(cell.split(";")):
        label, _, bound = item.strip().partition("≥")
        bands.append(Band(f"b{index}", label.strip(), Decimal(bound.strip()) if bound else None))
    return bands


@pytest.mark.parametrize("row", SCALES_ROWS, ids=[row["case"] for row in SCALES_ROWS])
def test_grades_on_other_scales_as_the_worked_example(row):
    band = grade_for(Decimal(row["total"]), parse_bands(row["bands"]), int(row["decimals"]))

    assert band.label == row["grade"]


def test_an_unknown_tie_rule_is_refused():
    with pytest.raises(ValueError, match="tie rule"):
        rank_entries([], decimals=3, tie="alphabet")


def test_tied_units_share_a_rank_and_the_next_rank_is_skipped():
    entries = [
        Entry(1, "Sở A", Decimal(17)),
        Entry(2, "Sở B", Decimal(15)),
        Entry(3, "Sở C", Decimal(15)),
        Entry(4, "Sở D", Decimal(14)),
    ]

    table = rank_entries(entries, decimals=3)

    assert [ranked.rank for ranked in table] == [1, 2, 2, 4]


def test_ranked_rows_carry_the_unrounded_total_the_shown_total_and_the_grade():
    (row,) = rank_entries([Entry("x", "Sở X", Decimal("89.9996"))], decimals=3)

    assert row.total == Decimal("89.9996")
    assert str(row.shown) == "90.000"
    assert row.band.label == "Xuất sắc"


def test_ranking_nothing_gives_an_empty_table():
    assert rank_entries([], decimals=3) == []


# --- Vietnamese alphabetical order ------------------------------------------------------------


def vn_sorted(words):
    return sorted(words, key=vietnamese_sort_key)


def test_vietnamese_letters_sort_in_alphabet_order_with_tones_secondary():
    words = ["Ư", "U", "Ủ", "Đ", "D", "Ă", "A", "Â"]

    assert vn_sorted(words) == ["A", "Ă", "Â", "D", "Đ", "U", "Ủ", "Ư"]


def test_the_whole_vietnamese_alphabet_is_in_order():
    alphabet = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")

    assert vn_sorted(reversed(alphabet)) == alphabet


def test_letters_absent_from_vietnamese_sit_where_the_latin_alphabet_puts_them():
    assert vn_sorted(["z", "w", "j", "f", "y", "v", "i", "ê", "g"]) == [
        "ê", "f", "g", "i", "j", "v", "w", "y", "z",
    ]  # fmt: skip


def test_tones_order_none_huyen_hoi_nga_sac_nang():
    expected = ["ma", "mà", "mả", "mã", "má", "mạ"]

    assert vn_sorted(reversed(expected)) == expected


def test_letters_decide_before_tones():
    # "Ủ" is a U with a tone: it sorts with U, so the next letter decides.
    assert vn_sorted(["Uyên", "Ủng", "Ưu"]) == ["Ủng", "Uyên", "Ưu"]
    assert vn_sorted(["Ba Vì", "Bà Rịa"]) == ["Bà Rịa", "Ba Vì"]


def test_nfc_and_nfd_text_give_the_same_key():
    for word in ["Thừa Thiên Huế", "Quảng Điền", "Ưu Điềm", "Sở Tư pháp", "ậ ặ ẫ ợ ữ"]:
        nfc = unicodedata.normalize("NFC", word)
        nfd = unicodedata.normalize("NFD", word)
        assert nfc != nfd
        assert vietnamese_sort_key(nfc) == vietnamese_sort_key(nfd)


def test_order_ignores_case_and_uses_it_only_to_break_ties():
    assert vn_sorted(["b", "A", "a", "B"]) == ["a", "A", "b", "B"]
    assert vn_sorted(["ĐÔNG", "dương"]) == ["dương", "ĐÔNG"]
    assert vn_sorted(["đông", "Đông"]) == ["đông", "Đông"]


def test_a_shorter_name_sorts_before_a_longer_one_it_begins():
    assert vn_sorted(["Anh", "An Lộc", "An"]) == ["An", "An Lộc", "Anh"]


def test_digits_sort_before_letters_and_punctuation_before_digits():
    expected = ["Phường -", "Phường 2", "Phường a"]

    assert vn_sorted(reversed(expected)) == expected


def test_different_spellings_never_share_a_key():
    # "Hoà" (old-style tone placement) and "Hòa" are different text: the order must not be
    # left to chance between them.
    words = ["Hòa", "Hóa", "hòa", "Hoà", "Hoa", "Hoạ", "Hoä"]

    assert len({vietnamese_sort_key(word) for word in words}) == len(words)


# --- Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaves", "message"),
    [
        ([Leaf("1.1", Decimal(2), Decimal("2.25"))], "1.1"),
        ([Leaf("1.2", Decimal(2), Decimal("-0.25"))], "1.2"),
        ([Leaf("1.3", Decimal(-1), Decimal(0))], "1.3"),
        ([Leaf("1.4", Decimal(2), None)], "1.4"),
        (
            [
                Leaf("2", Decimal(1), Decimal(1)),
                Leaf("2", Decimal(1), Decimal(0)),
            ],
            "2",
        ),
        ([Leaf("B1", Decimal(2), Decimal(3), METHOD_BONUS)], "B1"),
        ([Leaf("D1", Decimal(1), Decimal(-1), METHOD_DEDUCTION)], "D1"),
        ([Leaf("X", Decimal(1), Decimal(1), "guess")], "X"),
        ([Leaf("N", Decimal(1), Decimal("NaN"))], "N"),
        ([Leaf("9", Decimal(5), None, applicable=False)], "9"),
        ([Leaf("0", Decimal(0), Decimal(0))], "0"),
    ],
    ids=[
        "points-above-max",
        "negative-points",
        "negative-max",
        "no-points-on-applicable-leaf",
        "duplicate-codes",
        "bonus-above-its-cap",
        "negative-deduction",
        "unknown-method",
        "not-a-number",
        "nothing-applicable",
        "zero-applicable-max",
    ],
)
def test_invalid_leaves_are_rejected_naming_the_leaf(leaves, message):
    with pytest.raises(ValueError, match=message):
        compute_total(leaves)


def test_float_points_are_refused():
    with pytest.raises(TypeError, match="1.1"):
        compute_total([Leaf("1.1", Decimal(2), 1.5)])


def test_grading_without_bands_is_an_error():
    with pytest.raises(ValueError):
        grade_for(Decimal(90), [], 3)


def test_grading_below_every_bound_without_a_catch_all_is_an_error():
    with pytest.raises(ValueError):
        grade_for(Decimal(10), [Band("dat", "Đạt", Decimal(50))], 3)


def test_two_catch_all_bands_are_an_error():
    with pytest.raises(ValueError):
        grade_for(Decimal(10), [Band("a", "A", None), Band("b", "B", None)], 3)


def test_negative_decimals_are_an_error():
    with pytest.raises(ValueError):
        round_score(Decimal(1), -1)


def test_duplicate_keys_in_a_ranking_are_an_error():
    entries = [Entry(7, "Sở A", Decimal(80)), Entry(7, "Sở B", Decimal(81))]

    with pytest.raises(ValueError, match="7"):
        rank_entries(entries, decimals=3)


def test_ranking_with_empty_bands_is_an_error():
    with pytest.raises(ValueError):
        rank_entries([Entry(1, "Sở A", Decimal(80))], decimals=3, bands=[])


# --- Properties -------------------------------------------------------------------------------

VIETNAMESE_CHARS = "aăâdđeêouơư AĂÂDĐUƯàảãáạằẳẵắặủứừữựĐ"


def decimals_with_places(low: int, high: int):
    """Decimals in [low, high] with 0 to 4 decimal places."""
    return st.integers(0, 4).flatmap(
        lambda places: st.integers(low * 10**places, high * 10**places).map(lambda n: Decimal(n).scaleb(-places))
    )


totals = st.one_of(
    decimals_with_places(0, 100),
    st.sampled_from(["90", "90.0004", "89.9996"]).map(Decimal),
)
names = st.text(alphabet=VIETNAMESE_CHARS, min_size=1, max_size=5)
entry_lists = st.lists(st.tuples(names, totals), max_size=25).map(
    lambda pairs: [Entry(key, name, total) for key, (name, total) in enumerate(pairs)]
)
published_decimals = st.integers(0, 4)
# No example database: the tests must not write into the project tree.
quietly = settings(database=None, deadline=None)


@quietly
@given(entry_lists, published_decimals)
def test_positions_count_from_one_and_ranks_never_go_down_the_table(entries, decimals):
    table = rank_entries(entries, decimals=decimals)

    assert [row.position for row in table] == list(range(1, len(entries) + 1))
    assert [row.rank for row in table] == sorted(row.rank for row in table)
    assert all(1 <= row.rank <= row.position for row in table)


@quietly
@given(entry_lists, published_decimals)
def test_each_rank_is_one_more_than_the_number_of_units_shown_higher(entries, decimals):
    table = rank_entries(entries, decimals=decimals)

    for row in table:
        assert row.shown == round_score(row.total, decimals)
        assert row.rank == 1 + sum(other.shown > row.shown for other in table)


@quietly
@given(entry_lists, published_decimals)
def test_equal_shown_totals_share_a_rank_and_are_listed_alphabetically(entries, decimals):
    table = rank_entries(entries, decimals=decimals)

    for above, below in pairwise(table):
        assert above.shown >= below.shown
        if above.shown == below.shown:
            assert above.rank == below.rank
            assert vietnamese_sort_key(above.name) <= vietnamese_sort_key(below.name)
        else:
            assert below.rank == below.position


@quietly
@given(entry_lists, published_decimals, st.randoms(use_true_random=False))
def test_the_table_does_not_depend_on_input_order(entries, decimals, rng: random.Random):
    shuffled = list(entries)
    rng.shuffle(shuffled)

    assert rank_entries(shuffled, decimals=decimals) == rank_entries(entries, decimals=decimals)


@st.composite
def full_sets(draw):
    """Applicable leaves with quarter-point maxima summing to 100 and points up to 3 decimals."""
    cuts = sorted(draw(st.sets(st.integers(1, 399), max_size=30)))
    quarters = [b - a for a, b in pairwise([0, *cuts, 400])]
    leaves = []
    for number, count in enumerate(quarters, start=1):
        max_points = Decimal(count) / 4
        points = Decimal(draw(st.integers(0, count * 250))) / 1000
        method = draw(st.sampled_from([METHOD_SELF, METHOD_SURVEY]))
        leaves.append(Leaf(str(number), max_points, points, method))
    return leaves


@quietly
@given(full_sets())
def test_with_everything_applicable_and_maxima_summing_to_100_the_index_is_the_achieved_points(
    leaves,
):
    result = compute_total(leaves)

    assert result.applicable_max == result.full_max == 100
    assert result.index == result.achieved == sum(leaf.points for leaf in leaves)
    assert result.total == result.index


@quietly
@given(full_sets(), st.data())
def test_a_not_applicable_leaf_scales_the_index_to_the_applicable_maximum(leaves, data):
    dropped = data.draw(st.integers(0, len(leaves) - 1))
    leaves[dropped] = Leaf(leaves[dropped].code, leaves[dropped].max_points, None, applicable=False)
    assume(any(leaf.applicable for leaf in leaves))

    result = compute_total(leaves)

    exact = result.achieved * 100 / result.applicable_max
    assert abs(result.index - exact) <= Decimal("0.0000005")
    assert 0 <= result.index <= 100
