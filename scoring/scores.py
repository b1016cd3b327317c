"""Entering points, explanations, comments and evidence: every write checked, validated and audited.

`scores_save` is the one path by which points change — the entry page and the Excel import both
use it — so permissions, the 0..maximum rule, the lock and the audit trail apply the same way.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from cchc_portal.lib.filetypes import EvidenceFileError, check_evidence_file, safe_storage_name
from cchc_portal.lib.numbers import NumberProblem, parse_number, show
from cchc_portal.lib.text import TextProblem, clean_text, without_controls
from scoring import audit, bulk, corrections, entry_fields, permissions
from scoring.entry_fields import Viewer
from scoring.models import LONG_TEXT_LIMIT, AuditEntry, Criterion, Evidence, Period, Score, Submission
from scoring.results import unit_sums_refresh
from scoring.workflow import submission_for

log = logging.getLogger(__name__)

E_CONFLICT = (
    "Tiêu chí {code}: {field} đã được {who} sửa thành “{theirs}” lúc {at}, sau khi bạn mở trang; giá trị bạn nhập "
    "(“{mine}”) chưa được lưu. Kiểm tra lại, rồi lưu nếu vẫn muốn dùng giá trị của bạn."
)
FIELD_LABELS = {
    "self_points": "điểm tự đánh giá",
    "appraised_points": "điểm thẩm định",
    "explanation": "giải trình",
    "appraiser_comment": "ý kiến thẩm định",
    "not_applicable": "“không áp dụng”",
    "response": "giải trình sau vòng 1",
}
E_NOT_A_LEAF = "Mã {code} không phải tiêu chí được chấm điểm của bộ tiêu chí này."
E_SURVEY_NOT_SELF = "Tiêu chí {code} là điều tra xã hội học: đơn vị không tự chấm."
E_LINK = "Đường dẫn “{value}” không hợp lệ (cần bắt đầu bằng http:// hoặc https://)."
E_EVIDENCE_EMPTY = "Hãy chọn một tệp hoặc nhập một đường dẫn."
E_EVIDENCE_NOT_STORED = (
    "Máy chủ không lưu được tệp “{name}” (nơi lưu tệp đầy hoặc không trả lời); minh chứng chưa được thêm. Lỗi đã "
    "được ghi lại để Sở Nội vụ xử lý; xin thử lại sau."
)
E_PERIOD_CLOSED = "Kỳ đánh giá đã công bố hoặc đã khóa: không thể thay đổi."


def parse_points(value, code: str, maximum: Decimal) -> Decimal | None:
    """A point value by the one number rule (cchc_portal.lib.numbers); blank → None; anything else →
    ValidationError naming the criterion."""
    try:
        return parse_number(value, maximum=maximum)
    except NumberProblem as problem:
        raise ValidationError(f"Tiêu chí {code}: {problem.message}") from None


@dataclass(frozen=True)
class Change:
    """One field of one leaf as submitted: which field, which criterion, the raw value, and the value the
    user saw when the form was drawn (None: unknown, as from an import).

    A score sheet's check has read its points already, by the same rule (`parse_points`' number rule against the
    leaf's maximum): `read_against` is the maximum it read them against, and the save keeps such a value as it is
    while the leaf's maximum is still that one. Every other value (the entry page's) is read here."""

    field: str  # self_points | appraised_points | explanation | appraiser_comment | not_applicable
    criterion_id: int
    value: object
    seen: object = None
    read_against: Decimal | None = None


@dataclass(frozen=True)
class Conflict:
    """A value someone else changed after the user's form was drawn: theirs is kept, the user's is not."""

    key: str  # "<criterion id>-<field>", as validation errors are keyed (entry_fields.key)
    message: str


@dataclass(frozen=True)
class Saved:
    """What a save did: how many values it changed, and which it refused to overwrite."""

    changed: int
    conflicts: list[Conflict]


TEXT_LABELS = {
    "explanation": "Giải trình",
    "appraiser_comment": "Ý kiến thẩm định",
    "response": "Giải trình sau vòng 1",
}


@transaction.atomic
def scores_save(*, period: Period, unit, changes: list[Change], by, reason: str = "") -> Saved:
    """One unit's changes from the entry page; errors are keyed "<criterion id>-<field>" (`entry_fields.key`), the
    name of the form field on the page."""
    return scores_save_many(period=period, changes={unit: changes}, by=by, reason=reason)


@transaction.atomic
def scores_save_many(*, period: Period, changes: dict, by, reason: str = "") -> Saved:
    """Validate every change of every unit first (any error refuses all); then write, in bulk with one audit
    entry each, the values that differ from the database.

    Who may change which field is `scoring.entry_fields`' table, the same the page is drawn from.

    A change that says what the user saw is written only if the user changed it (typed something else
    than they saw), and only if nobody changed it since they saw it: such a value is a conflict, kept as
    the other person left it and reported, while the user's other values are saved. So a form loaded
    earlier never silently reverts a colleague's work, and the audit log records only what people did."""
    period = Period.objects.select_for_update(of=("self",)).get(pk=period.pk)
    draft = corrections.draft_of(period, lock=True) if period.is_public else None
    if period.is_public and draft is None:
        raise ValidationError(E_PERIOD_CLOSED)
    reason = _clean_reason(reason)
    leaves = {c.pk: c for c in Criterion.objects.leaves_of(period.criteria_set_id)}
    statuses = _submission_statuses(period, changes)
    existing = {
        (s.unit_id, s.criterion_id): s for s in Score.objects.filter(period=period, unit_id__in=[u.pk for u in changes])
    }
    errors: dict[str, list[str]] = {}
    parsed = []
    for unit, unit_changes in changes.items():
        viewer = Viewer(by, period, unit, statuses.get(unit.pk, Submission.Status.NOT_STARTED))
        for change in unit_changes:
            leaf = leaves.get(change.criterion_id)
            if leaf is None:
                raise ValidationError(E_NOT_A_LEAF.format(code=change.criterion_id))
            entry = entry_fields.allowed(viewer, change.field, leaf, existing.get((unit.pk, leaf.pk)))
            permissions.require(entry is not None)
            try:
                parsed.append((unit, change, leaf, _clean(change, leaf), _seen(change, leaf), entry.action))
            except ValidationError as exc:
                errors.setdefault(entry_fields.key(leaf.pk, change.field), []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    if draft is not None:  # after publication: the changes wait in the correction being prepared
        written, conflicts = corrections.write(period=period, draft=draft, parsed=parsed, by=by)
        return Saved(changed=written, conflicts=_explain(period, conflicts, by))
    written, touched, conflicts = _write(period, parsed, existing, by, reason, leaves)
    _start_drafts(period, touched, statuses, by)
    return Saved(changed=written, conflicts=_explain(period, conflicts, by))


UNSEEN = object()


def _seen(change: Change, leaf: Criterion):
    """The value the user saw, cleaned like the value they sent; UNSEEN when not said (or not readable)."""
    if change.seen is None:
        return UNSEEN
    try:
        return _clean(Change(change.field, change.criterion_id, change.seen), leaf)
    except ValidationError:
        return UNSEEN


def same_value(a, b) -> bool:
    return a == b or (a in (None, "") and b in (None, ""))


def _explain(period, conflicts, by) -> list[Conflict]:
    """Each conflict with who changed the value and when (one query for all of them)."""
    if not conflicts:
        return []
    latest = {}
    entries = AuditEntry.objects.filter(
        period=period,
        unit_id__in={u.pk for u, *_ in conflicts},
        criterion_id__in={leaf.pk for _, leaf, *_ in conflicts},
    ).select_related("by")
    for entry in entries.order_by("at", "pk"):
        latest[(entry.unit_id, entry.criterion_id, entry.action)] = entry
    explained = []
    for unit, leaf, field, mine, theirs, action in conflicts:
        entry = latest.get((unit.pk, leaf.pk, action))
        who = (entry.by.get_full_name() or entry.by.get_username()) if entry and entry.by else "người khác"
        if entry and entry.by_id is not None and entry.by_id == getattr(by, "pk", None):
            who = "chính bạn (ở một thẻ hoặc cửa sổ khác)"
        at = timezone.localtime(entry.at).strftime("%H:%M %d/%m") if entry else "vừa rồi"
        message = E_CONFLICT.format(
            code=leaf.code, field=FIELD_LABELS[field], who=who, at=at, theirs=show(theirs), mine=show(mine)
        )
        explained.append(Conflict(entry_fields.key(leaf.pk, field), message))
    return explained


def _clean_reason(reason: str) -> str:
    try:
        return clean_text(reason, multiline=True, max_length=LONG_TEXT_LIMIT, label="Lý do")
    except TextProblem as problem:
        raise ValidationError({"reason": [problem.message]}) from None


def _submission_statuses(period, changes) -> dict[int, str]:
    units = [unit.pk for unit in changes]
    return dict(
        Submission.objects.select_for_update()
        .filter(period=period, unit_id__in=units)
        .order_by()  # the model's ordering would join (and lock) the period and the units for nothing
        .values_list("unit_id", "status")
    )


def _start_drafts(period, touched_units, statuses, by) -> None:
    """A unit member's first save turns "not started" into "draft"."""
    mine = [u for u in touched_units if permissions.is_member(by, u)]
    Submission.objects.bulk_create(
        [Submission(period=period, unit=u, status=Submission.Status.DRAFT) for u in mine if u.pk not in statuses]
    )
    started = [u.pk for u in mine if statuses.get(u.pk) == Submission.Status.NOT_STARTED]
    Submission.objects.filter(period=period, unit_id__in=started).update(status=Submission.Status.DRAFT)


def _clean(change: Change, leaf: Criterion):
    if change.field in ("self_points", "appraised_points"):
        if change.read_against is not None and change.read_against == leaf.max_points:
            return change.value  # read by the sheet's check, by the same rule and against the same maximum
        return parse_points(change.value, leaf.code, leaf.max_points)
    if change.field == "not_applicable":
        return bool(change.value)
    try:
        return clean_text(change.value, multiline=True, max_length=LONG_TEXT_LIMIT, label=TEXT_LABELS[change.field])
    except TextProblem as problem:
        raise ValidationError(f"Tiêu chí {leaf.code}: {problem.message}") from None


def _write(period, parsed, existing, by, reason, leaves) -> tuple[int, list, list]:
    units = {unit.pk: unit for unit, *_ in parsed}
    entries, rows, conflicts, now = [], {}, [], timezone.now()
    for unit, change, leaf, value, seen, action in parsed:
        key = (unit.pk, leaf.pk)
        row = rows.get(key) or _stored_values(existing.get(key))
        old = row[change.field]
        if seen is not UNSEEN and same_value(value, seen):
            continue  # the user left it as they saw it: whatever it is now stays
        if seen is not UNSEEN and not same_value(old, seen) and not same_value(old, value):
            conflicts.append((unit, leaf, change.field, value, old, action))
            continue
        if same_value(old, value):
            continue
        row[change.field] = value
        rows[key] = row
        entries.append(
            audit.row(
                at=now, period=period, unit=unit, criterion=leaf, by=by, action=action, old=old, new=value,
                reason=reason,
            )
        )  # fmt: skip
    _upsert(period, rows, now)
    bulk.insert_rows(AuditEntry, audit.COLUMNS, entries)
    touched = {unit_id: units[unit_id] for unit_id, _ in rows}
    unit_sums_refresh(period, touched, leaves=leaves.values())
    return len(entries), list(touched.values()), conflicts


_NEW = {name: Score._meta.get_field(name).get_default() for name in entry_fields.NAMES}


def _stored_values(score: Score | None) -> dict:
    """The entry fields of a stored score (or of a new one: the model's defaults)."""
    if score is None:
        return dict(_NEW)
    return {name: getattr(score, name) for name in entry_fields.NAMES}


# What a save writes of a score: the entry fields, and when.
_WRITTEN = (*entry_fields.NAMES, "updated_at")
# A new score's other columns (round 1, the note), as the model makes them.
_OTHERS = tuple(
    f.name
    for f in Score._meta.concrete_fields
    if not f.primary_key and f.name not in {"period", "unit", "criterion", *_WRITTEN}
)


def _upsert(period, rows: dict, now) -> None:
    """Every changed score in one statement, `INSERT … ON CONFLICT (period, unit, criterion) DO UPDATE` of the
    entry fields: a new score is inserted, a stored one has its entry fields set (its other columns, such as
    round 1, stay as they are). The lock triggers see every row, inserted or updated.

    One statement whatever the number of values: PostgreSQL gets one array per column (`scoring.bulk`); SQLite
    takes as many parameters as its library allows (`cchc_portal.sqlite`)."""
    others = tuple(Score._meta.get_field(name).get_default() for name in _OTHERS)
    bulk.insert_rows(
        Score,
        ("period", "unit", "criterion", *_WRITTEN, *_OTHERS),
        [
            (period.pk, unit_id, criterion_id, *(values[name] for name in entry_fields.NAMES), now, *others)
            for (unit_id, criterion_id), values in rows.items()
        ],
        conflict=("period", "unit", "criterion"),
        update=_WRITTEN,
    )


@transaction.atomic
def evidence_add(*, period: Period, unit, criterion: Criterion, by, upload=None, link: str = "", title: str = ""):
    """Attach a file (its type checked by content) or a link to a leaf of the unit's self-assessment."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    submission = submission_for(period, unit)
    permissions.require(
        permissions.can_edit_self(by, period, unit, submission.status)
        or permissions.can_explain(by, period, unit, submission.status)
    )
    if criterion.criteria_set_id != period.criteria_set_id or criterion.children.exists():
        raise ValidationError(E_NOT_A_LEAF.format(code=criterion.code))
    score, created = Score.objects.get_or_create(period=period, unit=unit, criterion=criterion)
    if created:
        unit_sums_refresh(period, [unit.pk])
    try:
        title = clean_text(title, max_length=Evidence._meta.get_field("title").max_length, label="Mô tả")
    except TextProblem as problem:
        raise ValidationError(problem.message) from None
    evidence = Evidence(score=score, uploaded_by=by, title=title)
    if upload is not None:
        try:
            kind = check_evidence_file(upload, upload.name, upload.size)
        except EvidenceFileError as exc:
            raise ValidationError(str(exc)) from None
        evidence.original_name, evidence.kind, evidence.size = (
            without_controls(upload.name)[:255],
            kind.code,
            upload.size,
        )
        try:
            evidence.file.save(safe_storage_name(kind, uuid.uuid4().hex), File(upload), save=False)
        except OSError:  # a full disk: the storage has removed what it wrote
            log.exception("evidence file of %s could not be stored", unit)
            raise ValidationError(E_EVIDENCE_NOT_STORED.format(name=evidence.original_name)) from None
    elif link.strip():
        if not re.match(r"^https?://\S+$", link.strip()):
            raise ValidationError(E_LINK.format(value=link.strip()))
        evidence.link = link.strip()
    else:
        raise ValidationError(E_EVIDENCE_EMPTY)
    try:
        evidence.save()
        audit.record(
            period=period,
            unit=unit,
            criterion=criterion,
            by=by,
            action=AuditEntry.Action.EVIDENCE_ADDED,
            new=evidence.original_name or evidence.link,
        )
    except BaseException:  # the row is rolled back: so is its file, which nothing would refer to
        if evidence.file:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by) -> None:
    """Withdraw a piece of evidence; the record and the file stay for the audit trail."""
    score = evidence.score
    period = Period.objects.select_for_update().get(pk=score.period_id)
    submission = submission_for(period, score.unit)
    permissions.require(
        permissions.can_edit_self(by, period, score.unit, submission.status)
        or permissions.can_explain(by, period, score.unit, submission.status)
    )
    Evidence.objects.filter(pk=evidence.pk).update(removed=True)
    audit.record(
        period=period,
        unit=score.unit,
        criterion=score.criterion,
        by=by,
        action=AuditEntry.Action.EVIDENCE_REMOVED,
        old=evidence.original_name or evidence.link,
    )
