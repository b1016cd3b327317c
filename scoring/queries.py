"""What the staff pages read: the entry sheet of one unit, the progress of a period's units.

Each function returns everything its template touches, in a fixed number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from cchc_portal.prepared import Prepared
from scoring import entry_fields, permissions, ranking
from scoring.entry_fields import EntryField, Viewer
from scoring.figures import NO_POINTS, AreaFigures, Figures, Points, unit_figures
from scoring.models import AuditEntry, Criterion, Evidence, Method, Period, Score, ScoreCorrection, Submission
from scoring.progress import days_until
from scoring.results import corrections_of, engine_bands
from scoring.tree import CriteriaTree
from units.models import Unit

ZERO = Decimal(0)
# What an input or a shown value adds up to on the entry page (its "data-kind", read by static/js/entry.js).
SELF_KINDS = {Method.SELF: "self", Method.BONUS: "proposed"}
APPRAISED_KINDS = {Method.SELF: "appr", Method.SURVEY: "survey", Method.BONUS: "bonus", Method.DEDUCTION: "deduction"}


@dataclass
class SheetRow:
    """One node of the criteria tree on the entry page; leaves carry the unit's score, evidence and the fields the
    viewer may change (`scoring.entry_fields`). The node and the score are records of a Criterion and a Score (their
    fields, read-only: `cchc_portal.prepared`)."""

    node: Criterion
    depth: int
    area_code: str
    is_leaf: bool
    score: Score | None = None
    evidence: list[Evidence] = field(default_factory=list)
    fields: list[EntryField] = field(default_factory=list)
    attention: str = ""  # why this leaf needs the viewer's work now ("" when it does not)
    points: Points = NO_POINTS  # what counts: the score, with the corrections of the published versions over it
    correction: ScoreCorrection | None = None  # the latest correction of this leaf, published or being prepared
    form: object = None  # the row's LeafForm, when the viewer may change something on it
    totals: AreaFigures | None = None  # an area's figures (on its first row)

    @property
    def self_kind(self) -> str:
        """What the unit's own points on this leaf add up to on the page ("" where the unit gives none)."""
        return SELF_KINDS.get(self.node.method, "")

    @property
    def appraised_kind(self) -> str:
        """What the appraised (or survey, bonus, deduction) points of this leaf add up to on the page."""
        return APPRAISED_KINDS[self.node.method]

    @property
    def appraised_label(self) -> str:
        return entry_fields.label_of("appraised_points", self.node.method)

    @property
    def is_area(self) -> bool:
        return self.depth == 0

    @property
    def method(self) -> str:
        return self.node.method

    @property
    def is_survey(self) -> bool:
        return self.node.method == Method.SURVEY

    @property
    def is_self(self) -> bool:
        return self.node.method == Method.SELF

    @property
    def is_bonus(self) -> bool:
        return self.node.method == Method.BONUS

    @property
    def is_deduction(self) -> bool:
        return self.node.method == Method.DEDUCTION

    @property
    def unit_scored(self) -> bool:
        """The unit gives its own points on this leaf (self-assessed, or a bonus it proposes)."""
        return self.node.method in (Method.SELF, Method.BONUS)

    @property
    def not_applicable(self) -> bool:
        return self.points.not_applicable

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
class EntrySheet:
    """A unit's self-assessment for one period, its figures, and what the viewer may do with it."""

    period: Period
    unit: Unit
    submission: Submission
    tree: CriteriaTree
    rows: list[SheetRow]
    figures: Figures
    history: list[AuditEntry]
    can_edit_self: bool
    can_explain: bool
    can_withdraw: bool
    can_appraise: bool
    can_enter_department: bool
    can_mark_na: bool
    grade: str = ""  # the grade the figures' total would get, once there is a total

    @property
    def can_save(self) -> bool:
        return any(row.fields for row in self.rows)

    @property
    def areas(self):
        return self.figures.areas

    @property
    def has_bonus(self) -> bool:
        return any(row.is_leaf and row.is_bonus for row in self.rows)

    @property
    def has_deduction(self) -> bool:
        return any(row.is_leaf and row.is_deduction for row in self.rows)

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


HISTORY_LIMIT = 200  # the latest changes the entry page lists

# The sheet's own reads, compiled once per process (`cchc_portal.prepared`): arguments the period's and the
# unit's ids.
_SCORES = Prepared(lambda period, unit: Score.objects.filter(period_id=period, unit_id=unit).order_by(), (int, int))
_NODES = Prepared(lambda criteria_set: Criterion.objects.filter(criteria_set_id=criteria_set).order_by(), (int,))
_EVIDENCE = Prepared(
    lambda period, unit: Evidence.objects.filter(
        score__period_id=period, score__unit_id=unit, removed=False
    ).select_related("score"),
    (int, int),
)
_SUBMISSION = Prepared(
    lambda period, unit: Submission.objects.filter(period_id=period, unit_id=unit).order_by("pk")[:1], (int, int)
)
_HISTORY = Prepared(
    lambda period, unit: AuditEntry.objects.filter(period_id=period, unit_id=unit).select_related("by", "criterion")[
        :HISTORY_LIMIT
    ],
    (int, int),
)


def entry_sheet(period: Period, unit: Unit, user) -> EntrySheet:
    """Everything the entry page shows, in a fixed number of queries."""
    # The nodes and scores the page only reads come as records (their fields, no model behind them): 250 model
    # instances were a tenth of the page's time.
    tree = CriteriaTree(_NODES.records(period.criteria_set_id) if period.criteria_set_id else [])
    scores = {s.criterion_id: s for s in _SCORES.records(period.pk, unit.pk)}
    evidence: dict[int, list[Evidence]] = {}
    for item in _EVIDENCE.objects(period.pk, unit.pk):
        evidence.setdefault(item.score.criterion_id, []).append(item)
    submission = next(iter(_SUBMISSION.objects(period.pk, unit.pk)), None) or Submission(period=period, unit=unit)
    viewer = Viewer(user, period, unit, submission.status)
    # A correction being prepared is the Department's alone until it is published: the unit sees what counts.
    draft = permissions.can_manage_period(user)
    corrected = {leaf: c for (_, leaf), c in corrections_of(period, [unit.pk], draft=draft).items()}
    rows, points = [], {}
    for node in tree:
        is_leaf, score = tree.is_leaf(node), scores.get(node.pk)
        row = SheetRow(node, tree.depth(node), tree.area_of(node).code, is_leaf)
        if is_leaf:
            row.score, row.evidence = score, evidence.get(node.pk, [])
            row.fields = entry_fields.editable(viewer, node, score)
            row.points = Points(score.self_points, score.appraised_points, score.not_applicable) if score else NO_POINTS
            if (correction := corrected.get(node.pk)) is not None:
                row.correction = correction
                row.points = Points(row.points.self_points, correction.appraised_points, correction.not_applicable)
            points[node.pk] = row.points
        rows.append(row)
    history = _HISTORY.objects(period.pk, unit.pk)
    status = submission.status
    sheet = EntrySheet(
        period=period,
        unit=unit,
        submission=submission,
        tree=tree,
        rows=rows,
        figures=unit_figures(tree, points),
        history=history,
        can_edit_self=permissions.can_edit_self(user, period, unit, status),
        can_explain=permissions.can_explain(user, period, unit, status),
        can_withdraw=permissions.can_withdraw(user, period, unit, status),
        can_appraise=permissions.can_appraise(user, period, unit),
        can_enter_department=permissions.can_enter_department_points(user, period),
        can_mark_na=permissions.can_mark_not_applicable(user, period),
    )
    by_area = {a.node.pk: a for a in sheet.figures.areas}
    for row in rows:
        row.totals = by_area.get(row.node.pk)
    if sheet.figures.total is not None:
        bands = engine_bands(period.grade_scheme)
        sheet.grade = ranking.grade_for(sheet.figures.total.total, bands, period.published_decimals).label
    _attention(sheet)
    return sheet


def _attention(sheet: EntrySheet) -> None:
    """Mark the leaves that need the viewer's work now, and say why."""
    missing = {leaf.pk for leaf in sheet.figures.missing}
    for row in sheet.rows:
        if not row.is_leaf or row.not_applicable:
            continue
        score, names = row.score, {f.name for f in row.fields}
        own = score.self_points if score else None
        if "self_points" in names and row.is_self and own is None:
            row.attention = "chưa có điểm tự đánh giá"
        elif "explanation" in names and own and not row.evidence and not (score.explanation or "").strip():
            row.attention = "có điểm nhưng chưa có minh chứng hay giải trình"
        elif "response" in names and row.cut and not (score.response or "").strip():
            row.attention = "bị trừ điểm ở vòng 1, chưa giải trình"
        elif "appraised_points" in names and row.node.pk in missing:
            row.attention = "chưa có điểm điều tra" if row.is_survey else "chưa có điểm thẩm định"


def days_left(period: Period, now: datetime | None = None) -> int | None:
    """Whole days until the period's deadline, counted from `now` (the clock by default); negative once passed."""
    return days_until(period.deadline, now or timezone.now())
