"""What the staff pages read: the entry sheet of one unit, the progress of a period's units.

Each function returns everything its template touches, in a fixed number of queries.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from scoring import permissions, ranking
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
    attention: str = ""  # why this leaf needs the viewer's work now ("" when it does not)

    @property
    def is_survey(self) -> bool:
        return self.node.method == Method.SURVEY

    @property
    def is_self(self) -> bool:
        return self.node.method == Method.SELF

    @property
    def not_applicable(self) -> bool:
        return bool(self.score and self.score.not_applicable)

    @property
    def cut(self) -> bool:
        """Round 1 gave fewer points than the unit claimed: what the explanation step is about."""
        score = self.score
        return bool(
            score
            and score.round1_points is not None
            and score.self_points is not None
            and score.round1_points < score.self_points
        )

    @property
    def has_rounds(self) -> bool:
        score = self.score
        return bool(score and (score.round1_points is not None or score.round1_comment or score.response))


@dataclass
class Area:
    code: str
    title: str
    max_points: Decimal
    self_total: Decimal = ZERO
    appraised_total: Decimal = ZERO  # appraised points of self-assessed leaves and survey points of the area
    self_assessed: bool = False  # has leaves the unit scores itself (a survey area has none)


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

    self_total: Decimal = ZERO  # over the self-assessed leaves
    appraised_total: Decimal = ZERO  # over the same leaves, to compare
    survey_total: Decimal = ZERO
    projected: Decimal | None = None  # the engine's total, once every applicable leaf has its points
    projected_grade: str = ""

    @property
    def attention_rows(self) -> list[SheetRow]:
        return [row for row in self.rows if row.attention]

    @property
    def cut_rows(self) -> list[SheetRow]:
        return [row for row in self.rows if row.is_leaf and row.cut]

    @property
    def read_only_reason(self) -> str:
        """Why the viewer can change nothing on this sheet now, in a sentence (empty when they can)."""
        if self.can_save or self.can_withdraw or self.period.is_public:
            return ""
        period, status = self.period, self.submission.status
        unsubmitted = status in (Submission.Status.NOT_STARTED, Submission.Status.DRAFT)
        if period.status == Period.Status.DRAFT:
            return "Kỳ đánh giá chưa mở tự đánh giá."
        if period.status == Period.Status.OPEN and unsubmitted:
            return "Đã hết hạn tự đánh giá: hồ sơ không còn sửa được. Liên hệ Sở Nội vụ nếu cần gia hạn."
        if period.status == Period.Status.OPEN:
            return "Hồ sơ đã nộp và đã hết hạn tự đánh giá: chờ thẩm định."
        if unsubmitted:
            return (
                f"Kỳ đánh giá đã chuyển sang “{period.get_status_display()}” khi hồ sơ chưa nộp: hồ sơ không còn sửa "
                "được; điểm sẽ được thẩm định theo những gì đã nhập. Liên hệ Sở Nội vụ nếu cần trả về tự đánh giá."
            )
        return f"Kỳ đánh giá đang ở bước “{period.get_status_display()}”: hồ sơ chỉ để xem ở bước này."


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
    sheet = EntrySheet(
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
    _totals(sheet)
    _attention(sheet)
    return sheet


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
        if is_leaf and node.method == Method.SELF:
            areas[top.code].self_assessed = True
        score = scores.get(node.pk) if is_leaf else None
        if score and not score.not_applicable:
            if node.method == Method.SELF:
                areas[top.code].self_total += score.self_points or ZERO
            if node.method in (Method.SELF, Method.SURVEY):
                areas[top.code].appraised_total += score.appraised_points or ZERO
        rows.append(SheetRow(node, depth, top.code, is_leaf, score, evidence.get(node.pk, [])))
    return rows, list(areas.values())


def _totals(sheet: EntrySheet) -> None:
    """Self-assessment and appraisal over the same leaves, survey points apart, and the engine's total and grade
    once every applicable leaf has its appraised (or survey, bonus, deduction) points."""
    leaves, complete = [], True
    for row in sheet.rows:
        if not row.is_leaf:
            continue
        score, applicable = row.score, not row.not_applicable
        appraised = score.appraised_points if score else None
        if applicable and row.is_self:
            sheet.self_total += (score.self_points if score else None) or ZERO
            sheet.appraised_total += appraised or ZERO
        elif applicable and row.is_survey:
            sheet.survey_total += appraised or ZERO
        complete &= appraised is not None or not applicable
        leaves.append(
            ranking.Leaf(row.node.code, row.node.max_points, appraised, method=row.node.method, applicable=applicable)
        )
    if not complete or not leaves:
        return
    try:
        sheet.projected = ranking.compute_total(leaves).total
    except ValueError:
        return  # a point above its maximum: the row says which
    bands = [ranking.Band(b.code, b.label, b.lower_bound) for b in sheet.period.grade_scheme.bands.all()]
    sheet.projected_grade = ranking.grade_for(sheet.projected, bands, sheet.period.published_decimals).label


def _attention(sheet: EntrySheet) -> None:
    """Mark the leaves that need the viewer's work now, and say why."""
    backed = {row.node.pk for row in sheet.rows if row.evidence}
    for row in sheet.rows:
        if not row.is_leaf or row.not_applicable:
            continue
        score = row.score
        own = score.self_points if score else None
        if sheet.can_edit_self and row.is_self:
            if own is None:
                row.attention = "chưa có điểm tự đánh giá"
            elif own > 0 and row.node.pk not in backed and not (score.explanation or "").strip():
                row.attention = "có điểm nhưng chưa có minh chứng hay giải trình"
        elif sheet.can_explain and row.cut and not (score.response or "").strip():
            row.attention = "bị trừ điểm ở vòng 1, chưa giải trình"
        elif _appraises(sheet, row) and (score is None or score.appraised_points is None):
            row.attention = "chưa có điểm thẩm định" if not row.is_survey else "chưa có điểm điều tra"


def _appraises(sheet: EntrySheet, row: SheetRow) -> bool:
    return (sheet.can_appraise and not row.is_survey) or (sheet.can_enter_survey and row.is_survey)


def days_left(period: Period) -> int | None:
    if period.deadline is None:
        return None
    return (period.deadline - timezone.now()).days
