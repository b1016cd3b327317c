"""Totals, grades and ranks computed from plain values, without Django.

The rules, with worked examples that are also test cases, are in docs/scoring.md.
"""

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)

from cchc_portal.lib.collation import vietnamese_sort_key
from cchc_portal.lib.numbers import round_score

ROUNDING = ROUND_HALF_UP
INDEX_PLACES = 6

METHOD_SELF = "self"
METHOD_SURVEY = "survey"
METHOD_BONUS = "bonus"
METHOD_DEDUCTION = "deduction"

SCORED_METHODS = frozenset({METHOD_SELF, METHOD_SURVEY})
METHODS = SCORED_METHODS | {METHOD_BONUS, METHOD_DEDUCTION}

# Enough digits for any realistic score; also used to detect non-terminating quotients.
_PRECISION = 50
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


# --- Grades -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One grade band; the lower bound is inclusive, None marks the catch-all lowest band."""

    code: str
    label: str
    lower_bound: Decimal | None


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("xuat-sac", "Xuất sắc", Decimal(90)),
    Band("tot", "Tốt", Decimal(80)),
    Band("kha", "Khá", Decimal(70)),
    Band("trung-binh", "Trung bình", Decimal(50)),
    Band("yeu", "Yếu", None),
)


def grade_for(total: Decimal, bands: Sequence[Band], decimals: int) -> Band:
    """Return the band of a total, judged on the total as shown at `decimals` places."""
    return _band_of(round_score(total, decimals), _bands_highest_first(bands))


def _band_of(shown: Decimal, highest_first: list[Band]) -> Band:
    for band in highest_first:
        if band.lower_bound is None or shown >= band.lower_bound:
            return band
    raise ValueError(f"no grade band covers the total {shown}")


def _bands_highest_first(bands: Sequence[Band]) -> list[Band]:
    if not bands:
        raise ValueError("at least one grade band is required")
    if sum(band.lower_bound is None for band in bands) > 1:
        raise ValueError("only one grade band may be the catch-all (lower bound None)")
    return sorted(
        bands,
        key=lambda band: (band.lower_bound is None, -(band.lower_bound or _ZERO)),
    )


# --- Totals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One scored leaf of a criteria tree, as it counts for one unit."""

    code: str
    max_points: Decimal
    points: Decimal | None
    method: str = METHOD_SELF
    applicable: bool = True


@dataclass(frozen=True)
class Total:
    """A unit's total and the sums it is made of; nothing here is rounded for display."""

    achieved: Decimal
    applicable_max: Decimal
    full_max: Decimal
    bonus: Decimal
    deduction: Decimal
    index: Decimal
    total: Decimal


def compute_total(leaves: Iterable[Leaf]) -> Total:
    """Add up a unit's leaves into its index and total (see docs/scoring.md).

    One pass, and the arithmetic through a context of its own rather than a `localcontext` block (entering and
    leaving one cost a quarter of the call): a period page ranks 33,000 units, each from a few sums."""
    leaves = list(leaves)
    _validate_leaves(leaves)
    ctx = _TOTALS.copy()
    add = ctx.add
    achieved = applicable_max = full_max = bonus = deduction = _ZERO
    for leaf in leaves:
        if leaf.method in SCORED_METHODS:
            full_max = add(full_max, leaf.max_points)
            if leaf.applicable:
                achieved = add(achieved, leaf.points)
                applicable_max = add(applicable_max, leaf.max_points)
        elif leaf.applicable and leaf.points is not None:
            if leaf.method == METHOD_BONUS:
                bonus = add(bonus, leaf.points)
            else:
                deduction = add(deduction, leaf.points)
    if leaves and applicable_max == 0:
        codes = ", ".join(leaf.code for leaf in leaves if leaf.method in SCORED_METHODS) or "none"
        raise ValueError(f"nothing applicable to score (scored leaves: {codes})")
    index = _index_in(ctx, achieved, applicable_max) if leaves else _ZERO
    return Total(
        achieved=achieved,
        applicable_max=applicable_max,
        full_max=full_max,
        bonus=bonus,
        deduction=deduction,
        index=index,
        total=max(_ZERO, ctx.subtract(add(index, bonus), deduction)),
    )


# The context of compute_total: _PRECISION digits, rounding as Python's default context (only a non-terminating
# index is ever rounded, see _index).
_TOTALS = Context(prec=_PRECISION, rounding=ROUND_HALF_EVEN, traps=[DivisionByZero, InvalidOperation, Overflow])


def _index_in(ctx: Context, achieved: Decimal, applicable_max: Decimal) -> Decimal:
    """`_index` in the caller's own context (a copy of _TOTALS), left as it was found."""
    ctx.rounding = ROUND_DOWN  # see _index
    ctx.clear_flags()
    quotient = ctx.divide(ctx.multiply(achieved, _HUNDRED), applicable_max)
    exact = not ctx.flags[Inexact]
    ctx.rounding = ROUND_HALF_EVEN
    return quotient if exact else round_score(quotient, INDEX_PLACES)


def _index(achieved: Decimal, applicable_max: Decimal) -> Decimal:
    """achieved * 100 / applicable_max: exact if it terminates, else INDEX_PLACES decimals."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        # Truncating first never moves a value across a half-up boundary, so rounding the
        # truncated quotient gives the same result as rounding the exact one.
        ctx.rounding = ROUND_DOWN
        ctx.clear_flags()
        quotient = achieved * _HUNDRED / applicable_max
        exact = not ctx.flags[Inexact]
    return quotient if exact else round_score(quotient, INDEX_PLACES)


def _validate_leaves(leaves: list[Leaf]) -> None:
    seen: set[str] = set()
    for leaf in leaves:
        if leaf.code in seen:
            raise ValueError(f"leaf {leaf.code}: duplicate code")
        seen.add(leaf.code)
        _validate_leaf(leaf)


def _validate_leaf(leaf: Leaf) -> None:
    if leaf.method not in METHODS:
        raise ValueError(f"leaf {leaf.code}: unknown method {leaf.method!r}")
    _check_number(leaf.max_points, "max_points", leaf.code)
    if leaf.max_points < 0:
        raise ValueError(f"leaf {leaf.code}: max_points {leaf.max_points} is negative")
    if leaf.points is None:
        # A bonus or a deduction left blank is none given (0); a scored leaf must have its points.
        if leaf.applicable and leaf.method in SCORED_METHODS:
            raise ValueError(f"leaf {leaf.code}: points missing on an applicable leaf")
        return
    _check_number(leaf.points, "points", leaf.code)
    if leaf.points < 0:
        raise ValueError(f"leaf {leaf.code}: points {leaf.points} are negative")
    if leaf.points > leaf.max_points:
        raise ValueError(f"leaf {leaf.code}: points {leaf.points} exceed the maximum {leaf.max_points}")


def _check_number(value: object, field: str, code: str) -> None:
    if type(value) is Decimal and value.is_finite():  # the usual case, answered first
        return
    # Floats would silently bring binary rounding into published scores.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"leaf {code}: {field} must be a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"leaf {code}: {field} is not a finite number ({value})")


# --- Ranks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One unit to rank: the caller's key, its name and its unrounded total; the name's `vietnamese_sort_key` when the
    caller keeps it (else it is computed here)."""

    key: object
    name: str
    total: Decimal
    sort_key: str = ""


@dataclass(frozen=True)
class Ranked:
    """One row of a published table: TT (position), shown total, grade and rank (vị thứ)."""

    key: object
    name: str
    total: Decimal
    shown: Decimal
    rank: int
    position: int
    band: Band


# How units with equal values are ranked (a period's rule; docs/scoring.md, "Ties"):
TIE_SHOWN = "shown"  # equal as printed share a rank (Thừa Thiên Huế: 1, 2, 2, 4)
TIE_EXACT = "exact"  # ranked on the unrounded value: two printed 85,02 can be 13 and 14
TIE_RULES = (TIE_SHOWN, TIE_EXACT)


def rank_entries(
    entries: Iterable[Entry],
    *,
    decimals: int,
    bands: Sequence[Band] = DEFAULT_BANDS,
    tie: str = TIE_SHOWN,
) -> list[Ranked]:
    """Rank units competition style (1, 2, 2, 4): on their shown total (`TIE_SHOWN`), or on the unrounded one
    (`TIE_EXACT`, so only exactly equal totals share a rank). Grades are always judged on the shown total."""
    if tie not in TIE_RULES:
        raise ValueError(f"unknown tie rule {tie!r}")
    entries = list(entries)
    _reject_duplicate_keys(entries)
    highest_first = _bands_highest_first(bands)  # fails on bad bands even when there is nothing to rank
    rows = [(entry, round_score(entry.total, decimals)) for entry in entries]
    rows.sort(key=_table_order if tie == TIE_SHOWN else _exact_order)
    table: list[Ranked] = []
    for position, (entry, shown) in enumerate(rows, start=1):
        if tie == TIE_SHOWN:
            tied = bool(table) and table[-1].shown == shown
        else:
            tied = bool(table) and table[-1].total == entry.total
        table.append(
            Ranked(
                key=entry.key,
                name=entry.name,
                total=entry.total,
                shown=shown,
                rank=table[-1].rank if tied else position,
                position=position,
                band=_band_of(shown, highest_first),
            )
        )
    return table


class RankScale:
    """The ranks and grades a table of totals gives, answered for any one total without ranking every unit: a period
    page shows 100 of 33,000 units. The same rules as `rank_entries` (competition ranks on the shown or the
    unrounded total, grades on the shown one), counted instead of listed: a unit's rank is one more than the number
    of totals that rank above it.

    `ascending`: the totals come in ascending order already (a database's ORDER BY), so they are kept as they come
    instead of sorted again. Shown totals are kept as whole numbers of their last place in an array (8 bytes a
    unit: a national period's 33,000 in a quarter of a megabyte); unrounded ones as they are."""

    def __init__(
        self,
        totals: Iterable[Decimal],
        *,
        decimals: int,
        bands: Sequence[Band] = DEFAULT_BANDS,
        tie: str = TIE_SHOWN,
        ascending: bool = False,
    ):
        if tie not in TIE_RULES:
            raise ValueError(f"unknown tie rule {tie!r}")
        self.decimals, self.tie = decimals, tie
        self._highest_first = _bands_highest_first(bands)
        keys = map(self._key, totals) if ascending else sorted(map(self._key, totals))
        self._keys = array("q") if tie == TIE_SHOWN else []
        for key in keys:
            if self._keys and key < self._keys[-1]:
                raise ValueError("totals said to be in ascending order are not")
            self._keys.append(key)

    def _key(self, total: Decimal):
        if self.tie == TIE_SHOWN:
            return int(round_score(total, self.decimals).scaleb(self.decimals))
        return total

    def __len__(self) -> int:
        return len(self._keys)

    def rank(self, total: Decimal) -> int:
        """The rank of a unit with this total (one of the table's)."""
        return len(self._keys) - bisect_right(self._keys, self._key(total)) + 1

    def band(self, total: Decimal) -> Band:
        return _band_of(round_score(total, self.decimals), self._highest_first)

    def band_counts(self) -> list[tuple[Band, int]]:
        """How many totals fall in each band, the highest band first (bands nobody is in included)."""
        if self.tie == TIE_SHOWN:  # whole numbers of the last place: a bound in them, rounded up
            shown, bound = self._keys, lambda b: math.ceil(b.scaleb(self.decimals))
        else:
            shown, bound = [round_score(k, self.decimals) for k in self._keys], lambda b: b
        counts, above = [], 0
        for band in self._highest_first:
            at_least = len(shown)
            if band.lower_bound is not None:
                at_least -= bisect_left(shown, bound(band.lower_bound))
            counts.append((band, at_least - above))
            above = at_least
        if above < len(shown):
            raise ValueError("no grade band covers the lowest total")
        return counts


def _table_order(row: tuple[Entry, Decimal]) -> tuple:
    entry, shown = row
    return (
        shown.copy_negate(),
        entry.sort_key or vietnamese_sort_key(entry.name),
        # Only reached when the names are equal too: keeps the table deterministic.
        str(entry.key),
        repr(entry.key),
    )


def _exact_order(row: tuple[Entry, Decimal]) -> tuple:
    entry, _shown = row
    name = entry.sort_key or vietnamese_sort_key(entry.name)
    return (entry.total.copy_negate(), name, str(entry.key), repr(entry.key))


def _reject_duplicate_keys(entries: list[Entry]) -> None:
    seen = set()
    for entry in entries:
        if entry.key in seen:
            raise ValueError(f"duplicate unit key: {entry.key!r}")
        seen.add(entry.key)
