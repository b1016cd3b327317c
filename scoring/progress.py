"""Where a period stands: each unit's progress and totals, the counts per state, and what each move of the
workflow needs before it can be made (readiness). Read in a fixed number of queries, whatever the number
of units; the totals and the projected grade and rank come from the scoring engine.

Totals compare like with like: the self-assessment and the appraisal are summed over the same leaves (the
self-assessed ones); survey points are their own column; the projected total is the engine's, once every
applicable leaf of the unit has its appraised (or survey) points.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from cchc_portal.lib.collation import vietnamese_sort_key
from cchc_portal.lib.memory import no_cyclic_collection
from cchc_portal.lib.numbers import vn_number
from cchc_portal.lib.text import search_key
from scoring.figures import standings
from scoring.models import Criterion, Period, Submission
from scoring.results import blank_sums, rules_of, unit_sums
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
    period: Period
    units: list[UnitProgress]
    leaves: int
    now: datetime = field(default_factory=timezone.now)  # the moment the deadline is measured from

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        found = Counter(u.status for u in self.units)
        return [(status, label, found.get(status, 0)) for status, label in U.choices if found.get(status)]

    @property
    def deadline_passed(self) -> bool:
        deadline = self.period.deadline
        return deadline is not None and self.now > deadline

    @property
    def days_left(self) -> int | None:
        return days_until(self.period.deadline, self.now)

    def with_status(self, *statuses) -> list[UnitProgress]:
        return [u for u in self.units if u.status in statuses]


def days_until(deadline: datetime | None, now: datetime) -> int | None:
    """Whole days from `now` to the deadline, the part of a day left over dropped (negative once it has passed):
    a deadline 9 days and 23 hours away is "còn 9 ngày"."""
    return None if deadline is None else (deadline - now).days


def names(units: list[UnitProgress], detail=None) -> str:
    """ "A, B (3 tiêu chí), … và N nữa": at most a screenful, grouped by unit."""
    shown = [u.unit.name + (f" ({detail(u)})" if detail else "") for u in units[:SHOWN]]
    more = len(units) - SHOWN
    # Semicolons: a unit's name may itself hold a comma ("Sở Lao động, Thương binh và Xã hội").
    return "; ".join(shown) + (f"; và {more} đơn vị nữa" if more > 0 else "")


def period_progress(period: Period, now: datetime | None = None) -> Progress:
    """Every unit of the period's block that existed that year, with its progress and figures, in a fixed number of
    queries whatever the number of units: the points are summed per unit as they are saved (results.unit_sums) and
    the engine turns the sums into totals, grades and ranks — a national period has 3 million leaves."""
    with no_cyclic_collection():
        tree = Criterion.objects.tree_of(period.criteria_set_id)
        units = [
            UnitRow(*row)
            for row in Unit.objects.filter(block_id=period.block_id)
            .active_in(period.year)
            .values_list("pk", "code", "name", "sort_key")
        ]
        units.sort(key=lambda u: (u.name_order, u.pk))  # Vietnamese order: the database's collation is not
        submissions = {
            unit_id: (status, at)
            for unit_id, status, at in Submission.objects.filter(period=period).values_list(
                "unit_id", "status", "submitted_at"
            )
        }
        sums, last_change = unit_sums(period, tree)
        blank = blank_sums(tree)
        mine = [(u.pk, u.name, sums.get(u.pk, blank)) for u in units]
        standing = standings(mine, **rules_of(period), sort_keys={u.pk: u.sort_key for u in units})
        rows = []
        for unit, (_pk, _name, figures) in zip(units, mine, strict=True):
            status, submitted_at = submissions.get(unit.pk, (U.NOT_STARTED, None))
            ranked, total = standing[unit.pk].ranked, figures.total
            rows.append(
                UnitProgress(
                    unit=unit,
                    status=status,
                    submitted_at=submitted_at,
                    must_fill=figures.must_fill,
                    filled=figures.filled,
                    to_appraise=figures.to_appraise,
                    appraised=figures.appraised,
                    self_total=figures.self_total,
                    appraised_total=figures.appraised_total,
                    survey_total=figures.survey_total,
                    bonus=figures.bonus,
                    deduction=figures.deduction,
                    projected=total.total if total is not None else None,
                    grade=ranked.band.label if ranked else "",
                    rank=ranked.rank if ranked else None,
                    last_change=last_change.get(unit.pk),
                )
            )
    return Progress(period=period, units=rows, leaves=len(tree.leaves), now=now or timezone.now())


def filtered(units: list[UnitProgress], *, text: str = "", status: str = "", unit_ids=None) -> list[UnitProgress]:
    """The units whose name holds `text` (without regard to case or diacritics), in `status`, among `unit_ids`."""
    words = search_key(text).split()
    return [
        u
        for u in units
        if (not status or u.status == status)
        and (unit_ids is None or u.unit.pk in unit_ids)
        and all(word in search_key(u.unit.name) for word in words)
    ]


def summary_of(units: list[UnitProgress]) -> str:
    """For a dashboard line: "21 đơn vị: 3 đã nộp, 18 chưa bắt đầu"."""
    found = Counter(u.status for u in units)
    parts = [f"{found[status]} {label.lower()}" for status, label in U.choices if found.get(status)]
    return f"{len(units)} đơn vị: " + ", ".join(parts) if parts else "Khối chưa có đơn vị nào."


def shown(value: Decimal | None, decimals: int = 3) -> str:
    return "—" if value is None else vn_number(value, decimals)
