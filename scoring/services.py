"""Writes that touch several rows: publishing a period and sealing a version of its table.

Each service is keyword-only, validates everything before it saves anything, and runs in one
transaction. Error messages are Vietnamese and kept here as constants.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cchc_portal.lib.text import TextProblem, clean_text
from scoring import audit, permissions, ranking
from scoring.models import (
    PUBLIC_STATUSES,
    AuditEntry,
    Criterion,
    GradeScheme,
    Period,
    Result,
    ResultVersion,
    Score,
)
from units.models import Unit

E_ALREADY_PUBLISHED = "Kỳ đánh giá {period} đã được công bố."
E_DEMO_PERIOD = "Kỳ đánh giá {period} là dữ liệu minh họa, không được công bố."
E_NO_CRITERIA = "Kỳ đánh giá {period} chưa có bộ tiêu chí."
E_NO_UNITS = "Kỳ đánh giá {period} không có đơn vị nào để xếp hạng."
E_MISSING_POINTS = 'Đơn vị "{unit}" chưa có điểm thẩm định ở tiêu chí {code}.'
E_BAD_POINTS = 'Đơn vị "{unit}", tiêu chí {code}: điểm {points} vượt quá điểm tối đa {max_points}.'
E_NOT_APPROVED = "Kỳ đánh giá {period} chưa được phê duyệt, chưa thể công bố."
E_NO_DECISION = "Cần nhập số quyết định công bố."


def engine_bands(scheme: GradeScheme) -> tuple[ranking.Band, ...]:
    return tuple(ranking.Band(code=b.code, label=b.label, lower_bound=b.lower_bound) for b in scheme.bands.all())


@transaction.atomic
def period_publish(
    *, period: Period, decision_number: str, decision_date: date | None, by, signer: str = ""
) -> ResultVersion:
    """Compute every unit's total from its appraised points, grade and rank them, and publish."""
    permissions.require(permissions.can_manage_period(by))
    period = Period.objects.select_for_update().select_related("block", "grade_scheme").get(pk=period.pk)
    if period.is_demo:
        raise ValidationError(E_DEMO_PERIOD.format(period=period))
    if period.status in PUBLIC_STATUSES:
        raise ValidationError(E_ALREADY_PUBLISHED.format(period=period))
    if period.status != Period.Status.APPROVED:
        raise ValidationError(E_NOT_APPROVED.format(period=period))
    if period.criteria_set_id is None:
        raise ValidationError(E_NO_CRITERIA.format(period=period))
    try:
        decision_number = clean_text(decision_number, max_length=100, label="Số quyết định")
        signer = clean_text(signer, max_length=200, label="Người ký")
    except TextProblem as problem:
        raise ValidationError(problem.message) from None
    if not decision_number:
        raise ValidationError(E_NO_DECISION)
    entries = _entries_from_scores(period)
    table = ranking.rank_entries(entries, decimals=period.published_decimals, bands=engine_bands(period.grade_scheme))
    old = period.status
    period.status = Period.Status.PUBLISHED
    period.decision_number, period.decision_date, period.signer = decision_number, decision_date, signer
    period.save(update_fields=["status", "decision_number", "decision_date", "signer"])
    audit.record(
        period=period,
        by=by,
        action=AuditEntry.Action.PERIOD_STATUS,
        old=Period.Status(old).label,
        new=Period.Status.PUBLISHED.label,
        reason=f"Quyết định số {period.decision_number}",
    )
    return result_version_seal(
        period=period,
        rows=[(row.key, row) for row in table],
        by=by,
        decision_number=period.decision_number,
        decision_date=decision_date,
    )


def _entries_from_scores(period: Period) -> list[ranking.Entry]:
    units = list(Unit.objects.filter(block=period.block).active_in(period.year))
    if not units:
        raise ValidationError(E_NO_UNITS.format(period=period))
    leaves = list(Criterion.objects.leaves_of(period.criteria_set_id))
    # Only the columns the totals need, unordered: a national period has over 300,000 scores.
    scores = {
        (unit_id, criterion_id): (points, not_applicable)
        for unit_id, criterion_id, points, not_applicable in Score.objects.filter(period=period)
        .order_by()
        .values_list("unit_id", "criterion_id", "appraised_points", "not_applicable")
    }
    entries, errors = [], []
    for unit in units:
        unit_errors: list[str] = []
        unit_leaves = [_leaf(unit, c, scores.get((unit.pk, c.pk)), unit_errors) for c in leaves]
        if unit_errors:
            errors.extend(unit_errors)
            continue
        total = ranking.compute_total(unit_leaves).total
        entries.append(ranking.Entry(key=unit.pk, name=unit.name, total=total))
    if errors:
        raise ValidationError(errors)
    return entries


def _leaf(unit: Unit, criterion: Criterion, score: tuple | None, errors: list[str]) -> ranking.Leaf:
    points, not_applicable = score or (None, False)
    applicable = not not_applicable
    if applicable and points is None:
        errors.append(E_MISSING_POINTS.format(unit=unit, code=criterion.code))
    elif points is not None and points > criterion.max_points:
        errors.append(
            E_BAD_POINTS.format(unit=unit, code=criterion.code, points=points, max_points=criterion.max_points)
        )
    return ranking.Leaf(
        code=criterion.code,
        max_points=criterion.max_points,
        points=points,
        method=criterion.method,
        applicable=applicable,
    )


def result_version_seal(
    *, period: Period, rows, by, reason: str = "", decision_number: str = "", decision_date: date | None = None
) -> ResultVersion:
    """Write a new version of the period's table and make it the current one; older versions stay.

    `rows` are (unit id, ranking.Ranked) in table order. The caller holds the transaction."""
    previous = period.versions.filter(is_current=True).first()
    number = (period.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    block = period.block
    version = ResultVersion.objects.create(
        period=period,
        number=number,
        block_name=block.name,
        block_phrase=block.title_phrase,
        reason=reason,
        decision_number=decision_number,
        decision_date=decision_date,
        published_by=by if by is not None and by.is_authenticated else None,
    )
    Result.objects.bulk_create(
        Result(
            period=period,
            version=version,
            unit_id=unit_id,
            unit_name=row.name,
            total=row.total,
            grade_code=row.band.code,
            grade=row.band.label,
            rank=row.rank,
            position=row.position,
        )
        for unit_id, row in rows
    )
    # Sealed with its results first; only then may it take the place of the current version (the database
    # lets a current version give way to a newer sealed one, and to nothing else).
    ResultVersion.objects.filter(pk=version.pk).update(sealed=True, published_at=timezone.now())
    if previous:
        ResultVersion.objects.filter(pk=previous.pk).update(is_current=False)
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True)
    audit.record(
        period=period,
        by=by,
        action=AuditEntry.Action.RESULTS,
        old=previous.number if previous else "",
        new=number,
        reason=reason,
    )
    version.refresh_from_db()
    return version
