"""Who enters which field of which leaf, and when: one table, read by the write service (`scoring.scores`), the
entry page and its form (`scoring.staff.forms.LeafForm`), its template, and the Excel score sheets
(`scoring.imports.score_sheets`). A field appears on a page exactly when the service accepts it.

The rules (docs/scoring.md, "Who enters what"):

- the unit scores its self-assessed leaves, explains them, and may propose points on a bonus leaf with its
  evidence, while self-assessment is open and its file is not submitted;
- between the appraisal rounds the unit answers round 1 (giải trình sau vòng 1) on the leaves round 1 cut or
  commented on;
- the appraiser assigned to the unit (or Sở Nội vụ) gives appraised points and comments on self-assessed leaves
  and confirms or corrects a proposed bonus, in the appraisal rounds;
- survey points and deductions are Sở Nội vụ's alone, from the opening to the end of appraisal; a deduction
  carries Sở Nội vụ's reason in the comment;
- Sở Nội vụ marks a leaf as not applicable to a unit until approval;
- after publication, while a correction (đính chính) is open, Sở Nội vụ changes the points that count (appraised,
  survey, bonus, deduction) and what does not apply: the changes wait in the correction until it is published.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from scoring import permissions
from scoring.models import AuditEntry, Method

POINTS, TEXT, FLAG = "points", "text", "flag"
# Who fills a field, which is also which score sheet carries it.
UNIT, APPRAISER, DEPARTMENT, CORRECTION = "unit", "appraiser", "department", "correction"
ALL_METHODS = frozenset(Method.values)


@dataclass
class Viewer:
    """A person looking at one unit's sheet in one period: each permission asked once, then remembered."""

    user: object
    period: object
    unit: object
    status: str  # the unit's submission status
    _answers: dict = field(default_factory=dict)

    def may(self, rule: Callable) -> bool:
        if rule not in self._answers:
            self._answers[rule] = rule(self)
        return self._answers[rule]


def _edits_self(v: Viewer) -> bool:
    return permissions.can_edit_self(v.user, v.period, v.unit, v.status)


def _explains(v: Viewer) -> bool:
    return permissions.can_explain(v.user, v.period, v.unit, v.status)


def _appraises(v: Viewer) -> bool:
    return permissions.can_appraise(v.user, v.period, v.unit)


def _department(v: Viewer) -> bool:
    return permissions.can_enter_department_points(v.user, v.period)


def _marks_not_applicable(v: Viewer) -> bool:
    return permissions.can_mark_not_applicable(v.user, v.period)


def _corrects(v: Viewer) -> bool:
    return permissions.can_correct(v.user, v.period)


def _answered_round_one(score) -> bool:
    """The unit answers round 1 where round 1 cut its points or commented (or it answered already)."""
    if score is None:
        return False
    cut = score.round1_points is not None and score.self_points is not None and score.round1_points < score.self_points
    return cut or bool(score.round1_comment) or bool(score.response)


@dataclass(frozen=True)
class EntryField:
    """One field of a leaf's row: the Score column it writes, the leaf methods it exists for, who fills it and
    when, and how the audit log names a change."""

    name: str  # the Score column, and the form field's name
    methods: frozenset[str]
    label: str
    role: str
    rule: Callable[[Viewer], bool]
    kind: str
    action: str
    shown_for: Callable[[object], bool] | None = None  # a condition on the leaf's stored score, if any


FIELDS = (
    EntryField(
        "self_points", frozenset({Method.SELF}), "Điểm tự đánh giá", UNIT, _edits_self, POINTS,
        AuditEntry.Action.SELF_POINTS,
    ),
    EntryField(
        "self_points", frozenset({Method.BONUS}), "Điểm thưởng đơn vị đề nghị", UNIT, _edits_self, POINTS,
        AuditEntry.Action.SELF_POINTS,
    ),
    EntryField(
        "explanation", frozenset({Method.SELF, Method.BONUS}), "Giải trình", UNIT, _edits_self, TEXT,
        AuditEntry.Action.EXPLANATION,
    ),
    EntryField(
        "response", frozenset({Method.SELF, Method.BONUS, Method.DEDUCTION}), "Giải trình sau vòng 1", UNIT, _explains,
        TEXT, AuditEntry.Action.RESPONSE, shown_for=_answered_round_one,
    ),
    EntryField(
        "appraised_points", frozenset({Method.SELF}), "Điểm thẩm định", APPRAISER, _appraises, POINTS,
        AuditEntry.Action.APPRAISED_POINTS,
    ),
    EntryField(
        "appraised_points", frozenset({Method.BONUS}), "Điểm thưởng được công nhận", APPRAISER, _appraises, POINTS,
        AuditEntry.Action.APPRAISED_POINTS,
    ),
    EntryField(
        "appraiser_comment", frozenset({Method.SELF, Method.BONUS}), "Ý kiến thẩm định", APPRAISER, _appraises, TEXT,
        AuditEntry.Action.COMMENT,
    ),
    EntryField(
        "appraised_points", frozenset({Method.SURVEY}), "Điểm điều tra xã hội học", DEPARTMENT, _department, POINTS,
        AuditEntry.Action.SURVEY_POINTS,
    ),
    EntryField(
        "appraised_points", frozenset({Method.DEDUCTION}), "Điểm trừ", DEPARTMENT, _department, POINTS,
        AuditEntry.Action.DEDUCTION_POINTS,
    ),
    EntryField(
        "appraiser_comment", frozenset({Method.DEDUCTION}), "Lý do trừ điểm", DEPARTMENT, _department, TEXT,
        AuditEntry.Action.COMMENT,
    ),
    EntryField(
        "not_applicable", ALL_METHODS, "Không áp dụng", DEPARTMENT, _marks_not_applicable, FLAG,
        AuditEntry.Action.NOT_APPLICABLE,
    ),
    EntryField(
        "appraised_points", ALL_METHODS, "Điểm sau đính chính", CORRECTION, _corrects, POINTS,
        AuditEntry.Action.CORRECTION,
    ),
    EntryField(
        "not_applicable", ALL_METHODS, "Không áp dụng (đính chính)", CORRECTION, _corrects, FLAG,
        AuditEntry.Action.CORRECTION,
    ),
)  # fmt: skip
NAMES = tuple(dict.fromkeys(f.name for f in FIELDS))
# The conditions some fields set on the leaf's stored score (`shown_for`), each a function of the score alone.
CONDITIONS = tuple(dict.fromkeys(f.shown_for for f in FIELDS if f.shown_for is not None))


def field_for(name: str, method: str) -> EntryField | None:
    """The field `name` of a leaf scored by `method`, or None when such a leaf has no such field."""
    return next((f for f in FIELDS if f.name == name and method in f.methods), None)


def allowed(viewer: Viewer, name: str, leaf, score=None) -> EntryField | None:
    """The row of the table that lets the viewer change field `name` of this leaf now, or None (the service's one
    check); a field shown only on some rows (the answer to round 1) is allowed only where it is shown.

    Where no row for this field and method has a condition on the score, the answer depends on the leaf only
    through its method: the viewer remembers it (an import asks once per unit and criterion)."""
    if name not in _CONDITIONAL:
        asked = ("allowed", name, leaf.method)
        if asked not in viewer._answers:
            viewer._answers[asked] = _allowed(viewer, name, leaf, score)
        return viewer._answers[asked]
    return _allowed(viewer, name, leaf, score)


# The fields some row of which is shown only on some leaves' rows (`shown_for`).
_CONDITIONAL = frozenset(f.name for f in FIELDS if f.shown_for is not None)


def _allowed(viewer: Viewer, name: str, leaf, score) -> EntryField | None:
    return next(
        (
            f
            for f in FIELDS
            if f.name == name
            and leaf.method in f.methods
            and viewer.may(f.rule)
            and (f.shown_for is None or f.shown_for(score))
        ),
        None,
    )


def may_edit(viewer: Viewer, name: str, leaf, score=None) -> bool:
    return allowed(viewer, name, leaf, score) is not None


def editable(viewer: Viewer, leaf, score=None) -> list[EntryField]:
    """The fields of this leaf the viewer may change now, once each, in the order of the table. What `allowed`
    answers depends on the leaf only through its method and the fields' conditions on its score: the viewer
    remembers the answer for each (a sheet asks for 120 leaves of a few methods)."""
    asked = ("editable", leaf.method, tuple(condition(score) for condition in CONDITIONS))
    if asked not in viewer._answers:
        found = (allowed(viewer, name, leaf, score) for name in NAMES)
        viewer._answers[asked] = [f for f in found if f is not None]
    return list(viewer._answers[asked])


def methods_of(name: str, role: str) -> tuple[str, ...]:
    """The leaf methods whose field `name` is filled by `role`: the columns of that role's score sheet."""
    return tuple(m for m in Method.values if any(f.name == name and f.role == role and m in f.methods for f in FIELDS))


def role_rule(name: str, role: str) -> Callable[[Viewer], bool]:
    """The permission rule of a role's field (the same for every method it covers)."""
    return next(f.rule for f in FIELDS if f.name == name and f.role == role)


@functools.cache
def label_of(name: str, method: str) -> str:
    entry = field_for(name, method)
    return entry.label if entry else name


def key(criterion_id, name: str) -> str:
    """How a leaf's field is named everywhere: the form field on the page ("12-self_points"), an error, a conflict."""
    return f"{criterion_id}-{name}"


def parse_key(text: str) -> tuple[int, str] | None:
    pk, _, name = text.partition("-")
    return (int(pk), name) if pk.isdigit() and name in NAMES else None
