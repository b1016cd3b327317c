"""Where a period stands: each unit's progress and totals, the counts per state, and what each move of the
workflow needs before it can be made (readiness). Read in a fixed number of queries, whatever the number
of units; the totals and the projected grade and rank come from the scoring engine.

Totals compare like with like: the self-assessment and the appraisal are summed over the same leaves (the
self-assessed ones); survey points are their own column; the projected total is the engine's, once every
applicable leaf of the unit has its appraised (or survey) points.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.db.models import Case, Count, DecimalField, F, FilteredRelation, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from cchc_portal.lib.collation import vietnamese_sort_key
from cchc_portal.lib.numbers import vn_number
from cchc_portal.lib.text import search_key
from scoring import ranking
from scoring.figures import LeafSums
from scoring.models import Criterion, Period, Submission
from scoring.results import SUMS_COLUMNS, blank_sums, corrected_sums, leaf_counts, rules_of, sums_from_row, total_of
from units.models import Unit

ZERO = Decimal(0)
SHOWN = 10  # units named in a summary before "và N nữa"

S = Period.Status
U = Submission.Status


class UnitRow(NamedTuple):
    """What the period's pages show of a unit: a row of the database, not a model instance (a national period lists
    33,000 of them on every request)."""

    pk: int
    code: str
    name: str
    sort_key: str

    def __str__(self) -> str:
        return self.name

    @property
    def name_order(self) -> str:
        return self.sort_key or vietnamese_sort_key(self.name)


@dataclass
class UnitProgress:
    """One unit of the period: its state, what it filled, its totals and its place so far."""

    unit: UnitRow
    status: str
    submitted_at: object = None
    must_fill: int = 0  # applicable self-assessed leaves
    filled: int = 0
    to_appraise: int = 0  # applicable leaves needing appraised or survey points
    appraised: int = 0
    self_total: Decimal = ZERO
    appraised_total: Decimal = ZERO  # over the self-assessed leaves, to compare with self_total
    survey_total: Decimal = ZERO
    bonus: Decimal = ZERO
    deduction: Decimal = ZERO
    projected: Decimal | None = None
    grade: str = ""
    rank: int | None = None
    last_change: object = None

    @property
    def complete(self) -> bool:
        """Every leaf the total waits for has its points (the engine's total exists)."""
        return self.projected is not None

    @property
    def missing_appraisal(self) -> int:
        return self.to_appraise - self.appraised


@dataclass
class Check:
    """One condition of a move, met or not, said in a line."""

    met: bool
    text: str


@dataclass
class Readiness:
    """What a move needs: its conditions; `blocked` when one that cannot be waived is unmet, `early` when the
    unmet ones may be waived with a recorded reason."""

    checks: list[Check] = field(default_factory=list)
    blocked: bool = False
    early: bool = False


@dataclass
class Progress:
    """Where a period's units stand, counted in the database: how many are in each state, and of those how many
    have a total (every leaf the total waits for has its points). The units themselves are read a page, or a few
    names, at a time (`rows.where`, `sample`): a national period has 33,000."""

    period: Period
    leaves: int
    tally: dict[str, tuple[int, int]]  # state -> (units, of which complete)
    rows: "PeriodUnits"
    now: datetime = field(default_factory=timezone.now)  # the moment the deadline is measured from

    @property
    def units_count(self) -> int:
        return sum(n for n, _complete in self.tally.values())

    def count(self, *statuses, complete: bool | None = None) -> int:
        """How many units are in one of `statuses` (every state when none is named), complete or not."""
        found = 0
        for status, (n, done) in self.tally.items():
            if not statuses or status in statuses:
                found += n if complete is None else done if complete else n - done
        return found

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        return [(status, label, self.count(status)) for status, label in U.choices if self.count(status)]

    def sample(self, *statuses, complete: bool | None = None, limit: int = SHOWN) -> list[UnitProgress]:
        """The first units (Vietnamese order) in one of `statuses`, complete or not: what a line names."""
        return self.rows.read(self.rows.where(statuses=statuses, complete=complete)[:limit])

    @property
    def deadline_passed(self) -> bool:
        deadline = self.period.deadline
        return deadline is not None and self.now > deadline

    @property
    def days_left(self) -> int | None:
        return days_until(self.period.deadline, self.now)


def days_until(deadline: datetime | None, now: datetime) -> int | None:
    """Whole days from `now` to the deadline, the part of a day left over dropped (negative once it has passed):
    a deadline 9 days and 23 hours away is "còn 9 ngày"."""
    return None if deadline is None else (deadline - now).days


def names(units: list[UnitProgress], count: int, detail=None) -> str:
    """ "A, B (3 tiêu chí), … và N nữa": the first units of `count`, at most a screenful."""
    shown = [u.unit.name + (f" ({detail(u)})" if detail else "") for u in units[:SHOWN]]
    more = count - len(shown)
    # Semicolons: a unit's name may itself hold a comma ("Sở Lao động, Thương binh và Xã hội").
    return "; ".join(shown + ([f"và {vn_number(more)} đơn vị nữa"] if more > 0 else []))


NOT_SUBMITTED = (U.NOT_STARTED, U.DRAFT)
SUBMITTED = tuple(status for status in U.values if status not in NOT_SUBMITTED)
TOTAL = DecimalField(max_digits=40, decimal_places=20)  # as UnitSums.total


class PeriodUnits:
    """The units of a period's block that existed that year, each with its state and its kept sums and total joined
    (`queryset`): what the period page filters, sorts and pages in the database. `read` turns a page of them into
    rows with their figures, grade and rank — the figures through the engine (scoring.results.sums_from_row), the
    ranks among every complete unit of the period (scoring.ranking.RankScale over one column of totals)."""

    def __init__(self, period: Period, tree):
        self.period, self.tree = period, tree
        self.counts = leaf_counts(tree)
        self.blank = blank_sums(tree)

    def queryset(self):
        kept = {f"kept_{name}": F(f"kept__{name}") for name in SUMS_COLUMNS}
        return (
            Unit.objects.filter(block_id=self.period.block_id)
            .active_in(self.period.year)
            .annotate(
                kept=FilteredRelation("sums", condition=Q(sums__period=self.period)),
                filed=FilteredRelation("submissions", condition=Q(submissions__period=self.period)),
            )
            .annotate(
                state=Coalesce(F("filed__status"), Value(U.NOT_STARTED)),
                submitted_at=F("filed__submitted_at"),
                projected=self._projected(),
                kept_id=F("kept__id"),
                **kept,
            )
            .order_by("sort_key", "pk")
        )

    def _projected(self):
        """The kept total, or for a unit a published correction touches, its total as corrected: what the unit is
        ranked, graded and sorted by."""
        corrected = [
            When(pk=pk, then=Value(total_of(sums), output_field=TOTAL)) for pk, sums in self.corrected.items()
        ]
        return Case(*corrected, default=F("kept__total"), output_field=TOTAL) if corrected else F("kept__total")

    def where(self, *, statuses=(), complete: bool | None = None, text: str = "", unit_ids=None):
        """The units in one of `statuses`, complete or not, whose name holds every word of `text` (without regard to
        case or marks), among `unit_ids` (a query of unit ids, or None: all)."""
        units = self.queryset()
        if statuses:
            units = units.filter(state__in=statuses)
        if complete is not None:
            units = units.filter(projected__isnull=not complete)
        for word in search_key(text).split():
            units = units.filter(search_name__contains=word)
        if unit_ids is not None:
            units = units.filter(pk__in=unit_ids)
        return units

    def tally(self) -> dict[str, tuple[int, int]]:
        found = (
            self.queryset()
            .order_by()
            .values("state")
            .annotate(n=Count("pk"), done=Count("pk", filter=Q(projected__isnull=False)))
        )
        return {row["state"]: (row["n"], row["done"]) for row in found}

    @cached_property
    def corrected(self) -> dict[int, LeafSums]:
        """The units a published correction touches: their sums with the correction laid over the scores."""
        return corrected_sums(self.period, self.tree)

    @cached_property
    def scale(self) -> ranking.RankScale:
        """Every complete unit's total (a corrected unit's as corrected), as ranks and grades are counted on."""
        complete = self.queryset().filter(projected__isnull=False)
        totals = complete.order_by("projected").values_list("projected", flat=True)
        # Streamed in ascending order: the scale keeps 8 bytes a unit, never the 33,000 rows at once.
        return ranking.RankScale(totals.iterator(chunk_size=2000), **rules_of(self.period), ascending=True)

    def top(self, n: int) -> list[UnitProgress]:
        """The first `n` rows of the table publication would print, in its order (a period being approved: no
        correction is laid over its scores). Read: every unit whose total may print as high as the n-th's — a unit
        within one last printed place of it —, ranked and put in order as the table puts them."""
        complete = self.where(complete=True)
        nth = list(complete.order_by(F("projected").desc())[n - 1 : n].values_list("projected", flat=True))
        if nth:
            complete = complete.filter(projected__gte=nth[0] - Decimal(1).scaleb(-self.period.published_decimals))
        rows = self.read(complete)
        rows.sort(key=lambda row: (row.rank, row.unit.name_order, row.unit.pk))
        return rows[:n]

    def read(self, units) -> list[UnitProgress]:
        """Some units of `queryset` as the rows a page shows."""
        rows = []
        for unit in units:
            if unit.pk in self.corrected:
                sums = self.corrected[unit.pk]
            elif unit.kept_id is None:
                sums = self.blank
            else:
                sums = sums_from_row(self.counts, [getattr(unit, f"kept_{name}") for name in SUMS_COLUMNS[:-1]])
            projected = unit.projected
            rows.append(
                UnitProgress(
                    unit=UnitRow(unit.pk, unit.code, unit.name, unit.sort_key),
                    status=unit.state,
                    submitted_at=unit.submitted_at,
                    must_fill=sums.must_fill,
                    filled=sums.filled,
                    to_appraise=sums.to_appraise,
                    appraised=sums.appraised,
                    self_total=sums.self_total,
                    appraised_total=sums.appraised_total,
                    survey_total=sums.survey_total,
                    bonus=sums.bonus,
                    deduction=sums.deduction,
                    projected=projected,
                    grade=self.scale.band(projected).label if projected is not None else "",
                    rank=self.scale.rank(projected) if projected is not None else None,
                    last_change=unit.kept_last_change,
                )
            )
        return rows


def period_progress(period: Period, now: datetime | None = None) -> Progress:
    """Where the period's units stand, in a fixed number of queries whatever their number: the points are summed per
    unit as they are saved, with the engine's total (scoring.results.unit_sums_refresh), so a national period's
    3 million leaves are never read here; the states and totals are counted by the database."""
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    rows = PeriodUnits(period, tree)
    return Progress(period=period, leaves=len(tree.leaves), tally=rows.tally(), rows=rows, now=now or timezone.now())
