"""How the HTTP benchmark judges its rounds (benchmarks/load.py): the spread the goal reads, and the per-round ratio."""

import pytest

from benchmarks.load import Round, Series

# The trivial view's worker CPU per request, ms, in the seven rounds of a run on this kind of machine: one round the
# host slowed down (2.00), one it sped up (1.23).
SEEN = [1.55, 1.48, 2.00, 1.23, 1.45, 1.41, 1.43]


def series(cpu_ms: list[float]) -> Series:
    return Series([Round(1000, 4.0, ms, None, None, 0) for ms in cpu_ms])


def test_the_spread_is_the_middle_half_of_the_rounds_and_the_full_range_is_kept_beside_it():
    seen = series(SEEN)
    assert seen.full_range() == pytest.approx((2.00 - 1.23) / 1.45)  # 53 %: one slow round decides it
    assert seen.spread() == pytest.approx((1.515 - 1.42) / 1.45)  # 6.6 %: quartiles 1.42 and 1.515
    # Three more ordinary rounds leave the full range where the two odd ones put it; the middle half settles.
    assert series(SEEN + [1.46, 1.44, 1.47]).full_range() > 0.5
    assert series(SEEN + [1.46, 1.44, 1.47]).spread() < seen.spread()
    # Rounds that really wander are not hidden: half of them far apart gives a wide spread.
    assert series([1.0, 1.5, 1.0, 1.5, 1.0, 1.5]).spread() > 0.3


def test_with_fewer_than_four_rounds_the_spread_is_the_full_range():
    assert series([1.0, 1.2, 1.1]).spread() == series([1.0, 1.2, 1.1]).full_range() == pytest.approx(0.2 / 1.1)


def test_a_page_is_compared_with_the_trivial_view_of_its_own_round():
    trivial = series([1.0, 2.0, 1.0])  # the second round ran twice as slow for every address
    page = series([1.5, 3.0, 1.5])
    assert page.paired_ratio(trivial) == pytest.approx(1.5)
    assert page.median("cpu_ms") / trivial.median("cpu_ms") == pytest.approx(1.5)
