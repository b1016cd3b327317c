"""The period page's ranks and grades, answered one total at a time (ranking.RankScale), are those of the table
publication prints (ranking.rank_entries): ties at the shown precision and on the unrounded value, grades on the
shown total, bands nobody is in."""

import random
from decimal import Decimal as D

import pytest

from scoring import ranking


def table(totals, **rules):
    entries = [ranking.Entry(key=i, name=f"Đơn vị {i:03d}", total=t) for i, t in enumerate(totals)]
    return ranking.rank_entries(entries, **rules)


def test_tied_shown_totals_share_a_rank_and_the_next_is_skipped():
    scale = ranking.RankScale([D("90.4504"), D("90.4496"), D("88"), D("91")], decimals=3)
    assert [scale.rank(t) for t in (D("91"), D("90.4504"), D("90.4496"), D("88"))] == [1, 2, 2, 4]


def test_on_the_unrounded_value_two_equal_printed_totals_rank_apart():
    scale = ranking.RankScale([D("85.0201"), D("85.0199"), D("85.0201")], decimals=2, tie=ranking.TIE_EXACT)
    assert [scale.rank(t) for t in (D("85.0201"), D("85.0199"))] == [1, 3]


def test_band_counts_follow_the_shown_total_and_list_every_band():
    scale = ranking.RankScale([D("89.9995"), D("89.9994"), D("70"), D("12")], decimals=3)
    counts = [(band.label, n) for band, n in scale.band_counts()]
    assert counts == [("Xuất sắc", 1), ("Tốt", 1), ("Khá", 1), ("Trung bình", 0), ("Yếu", 1)]
    assert scale.band(D("89.9995")).label == "Xuất sắc"


def test_a_total_below_every_band_without_a_catch_all_is_refused():
    bands = (ranking.Band("a", "A", D(90)), ranking.Band("b", "B", D(80)))
    with pytest.raises(ValueError, match="no grade band covers"):
        ranking.RankScale([D(95), D(79)], decimals=0, bands=bands).band_counts()


@pytest.mark.parametrize("tie", ranking.TIE_RULES)
@pytest.mark.parametrize("decimals", [0, 2, 3])
def test_ranks_and_grades_agree_with_the_published_table(tie, decimals):
    chosen = random.Random(f"{tie}{decimals}")
    totals = [D(chosen.randint(0, 1_000_000)).scaleb(-4) for _ in range(400)]
    totals += totals[:40]  # exact ties too
    printed = table(totals, decimals=decimals, tie=tie)
    scale = ranking.RankScale(totals, decimals=decimals, tie=tie)
    assert [scale.rank(row.total) for row in printed] == [row.rank for row in printed]
    assert [scale.band(row.total) for row in printed] == [row.band for row in printed]
    counted = {band.code: n for band, n in scale.band_counts()}
    for band in ranking.DEFAULT_BANDS:
        assert counted[band.code] == sum(1 for row in printed if row.band == band)
    # Given in ascending order (as the database sorts them), kept as given: the same answers.
    streamed = ranking.RankScale(sorted(totals), decimals=decimals, tie=tie, ascending=True)
    assert [streamed.rank(row.total) for row in printed] == [row.rank for row in printed]
    assert streamed.band_counts() == scale.band_counts()


def test_totals_said_to_be_in_order_that_are_not_are_refused():
    with pytest.raises(ValueError, match="not"):
        ranking.RankScale([D(2), D(1)], decimals=0, ascending=True)


def test_a_band_bound_finer_than_the_printed_places_is_judged_on_the_printed_total():
    bands = (ranking.Band("a", "A", D("89.5")), ranking.Band("b", "B", None))
    scale = ranking.RankScale([D("89.4"), D("89.6"), D("89.5")], decimals=0, bands=bands)  # print 89, 90, 90
    assert [(band.code, n) for band, n in scale.band_counts()] == [("a", 2), ("b", 1)]
    assert [ranking.grade_for(t, bands, 0).code for t in (D("89.4"), D("89.6"))] == ["b", "a"]
