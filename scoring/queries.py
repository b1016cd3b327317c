"""What the staff pages read: the entry sheet of one unit, the progress of a period's units.

Each function returns everything its template touches, in a fixed number of queries.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from scoring import permissions
from scoring.models import AuditEntry, Criterion, Evidence, Method, Period, Score, Submission
from units.models import Unit

ZERO = Decimal(0)


@dataclass
class SheetRow:
    """One node of the criteria tree on the entry page; leaves carry the unit's score and evidence."""

    node: Criterion
    depth: int
    area_code: str
    is_leaf: bool
    score: Score | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def is_survey(self) -> bool:
        return self.node.method == Method.SURVEY


@dataclass
class Area:
    code: str
    title: str
    max_points: Decimal
    self_total: Decimal = ZERO
    appraised_total: Decimal = ZERO


@dataclass
class EntrySheet:
    """A unit's self-assessment for one period, and what the viewer may do with it."""

    period: Period
    unit: Unit
    submission: Submission
    rows: list[SheetRow]
    areas: list[Area]
    history: list[AuditEntry]
    can_edit_self: bool
    can_explain: bool
    can_withdraw: bool
    can_appraise: bool
    can_enter_survey: bool
    can_mark_na: bool

    @property
    def can_save(self) -> bool:
        return self.can_edit_self or self.can_explain or self.can_appraise or self.can_enter_survey or self.can_mark_na

    @property
    def self_total(self) -> Decimal:
        return sum((a.self_total for a in self.areas), ZERO)

    @property
    def appraised_total(self) -> Decimal:
        return sum((a.appraised_total for a in self.areas), ZERO)


def entry_sheet(period: Period, unit: Unit, user, history_limit: int = 200) -> EntrySheet:
    nodes = list(Criterion.objects.filter(criteria_set_id=period.criteria_set_id).order_by("position"))
    scores = {s.criterion_id: s for s in Score.objects.filter(period=period, unit=unit)}
    evidence: dict[int, list[Evidence]] = {}
    for item in Evidence.objects.filter(score__period=period, score__unit=unit, removed=False).select_related("score"):
        evidence.setdefault(item.score.criterion_id, []).append(item)
    submission = Submission.objects.filter(period=period, unit=unit).first() or Submission(period=period, unit=unit)
    rows, areas = _tree(nodes, scores, evidence)
    history = list(
        AuditEntry.objects.filter(period=period, unit=unit).select_related("by", "criterion")[:history_limit]
    )
    status = submission.status
    return EntrySheet(
        period=period,
        unit=unit,
        submission=submission,
        rows=rows,
        areas=areas,
        history=history,
        can_edit_self=permissions.can_edit_self(user, period, unit, status),
        can_explain=permissions.can_explain(user, period, unit, status),
        can_withdraw=permissions.can_withdraw(user, period, unit, status),
        can_appraise=permissions.can_appraise(user, period, unit),
        can_enter_survey=permissions.can_enter_survey(user, period),
        can_mark_na=permissions.can_mark_not_applicable(user, period),
    )


def _tree(nodes, scores, evidence) -> tuple[list[SheetRow], list[Area]]:
    children = {n.parent_id for n in nodes if n.parent_id}
    by_id = {n.pk: n for n in nodes}
    rows, areas = [], {}
    for node in nodes:
        depth, top = 0, node
        while top.parent_id:
            top, depth = by_id[top.parent_id], depth + 1
        if top.code not in areas:
            areas[top.code] = Area(code=top.code, title=top.title, max_points=top.max_points)
        is_leaf = node.pk not in children
        score = scores.get(node.pk) if is_leaf else None
        if score and not score.not_applicable:
            areas[top.code].self_total += score.self_points or ZERO
            areas[top.code].appraised_total += score.appraised_points or ZERO
        rows.append(SheetRow(node, depth, top.code, is_leaf, score, evidence.get(node.pk, [])))
    return rows, list(areas.values())


def units_progress(period: Period):
    """Every unit of the period's block that existed that year, with its workflow status and sums."""
    scores = Score.objects.filter(period=period, unit=OuterRef("pk")).order_by().values("unit")
    money = DecimalField(max_digits=12, decimal_places=3)
    submissions = Submission.objects.filter(period=period, unit=OuterRef("pk"))
    return (
        Unit.objects.filter(block_id=period.block_id)
        .active_in(period.year)
        .annotate(
            status=Coalesce(Subquery(submissions.values("status")[:1]), Value(Submission.Status.NOT_STARTED)),
            submitted_at=Subquery(submissions.values("submitted_at")[:1]),
            self_total=Coalesce(
                Subquery(scores.annotate(s=Sum("self_points")).values("s")[:1]), Value(ZERO), output_field=money
            ),
            appraised_total=Coalesce(
                Subquery(scores.annotate(s=Sum("appraised_points")).values("s")[:1]), Value(ZERO), output_field=money
            ),
            last_change=Subquery(scores.annotate(m=Max("updated_at")).values("m")[:1]),
            filled=Subquery(
                scores.annotate(n=Count("pk", filter=Q(self_points__isnull=False) | Q(not_applicable=True))).values(
                    "n"
                )[:1]
            ),
        )
        .order_by("name")
    )


def days_left(period: Period) -> int | None:
    if period.deadline is None:
        return None
    return (period.deadline - timezone.now()).days
