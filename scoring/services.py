"""Writes that touch several rows: publishing a period and importing published results.

Each service is keyword-only, validates everything before it saves anything, and runs in one
transaction. Error messages are Vietnamese and kept here as constants.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify

from scoring import audit, permissions, ranking
from scoring.importing import ResultRow
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
from units.models import Block, Unit, name_key

E_ALREADY_PUBLISHED = "Kỳ đánh giá {period} đã được công bố."
E_DEMO_PERIOD = "Kỳ đánh giá {period} là dữ liệu minh họa, không được công bố."
E_NO_CRITERIA = "Kỳ đánh giá {period} chưa có bộ tiêu chí."
E_NO_UNITS = "Kỳ đánh giá {period} không có đơn vị nào để xếp hạng."
E_MISSING_POINTS = 'Đơn vị "{unit}" chưa có điểm thẩm định ở tiêu chí {code}.'
E_BAD_POINTS = 'Đơn vị "{unit}", tiêu chí {code}: điểm {points} vượt quá điểm tối đa {max_points}.'
E_NO_DEFAULT_SCHEME = "Chưa có thang xếp loại mặc định."
E_NOT_APPROVED = "Kỳ đánh giá {period} chưa được phê duyệt, chưa thể công bố."
E_NO_DECISION = "Cần nhập số quyết định công bố."
E_ALREADY_PUBLISHED_IMPORT = (
    "Năm {year}, khối {block}: kết quả đã công bố, không ghi đè. "
    'Muốn đính chính, hãy chạy lại với --correction "<lý do>".'
)
E_CORRECTION_OF_NOTHING = "Năm {year}, khối {block}: chưa công bố nên không có gì để đính chính."
E_CORRECTION_DECIMALS = (
    "Năm {year}, khối {block}: bản đính chính phải giữ {decimals} chữ số thập phân như bản đã công bố."
)
E_PERIOD_IN_PROGRESS = (
    "Năm {year}, khối {block}: kỳ đánh giá đang được chấm điểm trên cổng; không ghi đè bằng kết quả nhập từ tệp."
)
W_GRADE = 'Dòng {row}: xếp loại trong tệp là "{given}", tính theo thang xếp loại là "{computed}".'
W_RANK = "Dòng {row}: vị thứ trong tệp là {given}, tính được là {computed}."
# Shown when the file gives no decimals at all (whole-number scores): the current published precision.
DEFAULT_DECIMALS = 3


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
    if not decision_number.strip():
        raise ValidationError(E_NO_DECISION)
    entries = _entries_from_scores(period)
    table = ranking.rank_entries(entries, decimals=period.published_decimals, bands=engine_bands(period.grade_scheme))
    old = period.status
    period.status = Period.Status.PUBLISHED
    period.decision_number, period.decision_date, period.signer = decision_number.strip(), decision_date, signer
    period.save(update_fields=["status", "decision_number", "decision_date", "signer"])
    audit.record(
        period=period,
        by=by,
        action=AuditEntry.Action.PERIOD_STATUS,
        old=Period.Status(old).label,
        new=Period.Status.PUBLISHED.label,
        reason=f"Quyết định số {period.decision_number}",
    )
    return _seal_version(
        period,
        [(row.key, row) for row in table],
        by=by,
        decision_number=period.decision_number,
        decision_date=decision_date,
    )


def _entries_from_scores(period: Period) -> list[ranking.Entry]:
    units = list(Unit.objects.filter(block=period.block).active_in(period.year))
    if not units:
        raise ValidationError(E_NO_UNITS.format(period=period))
    leaves = list(Criterion.objects.filter(criteria_set=period.criteria_set, children__isnull=True))
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


def _seal_version(
    period: Period, rows, *, by, reason: str = "", decision_number: str = "", decision_date: date | None = None
) -> ResultVersion:
    """Write a new version of the period's table and make it the current one; older versions stay."""
    previous = period.versions.filter(is_current=True).first()
    number = (period.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ResultVersion.objects.create(
        period=period,
        number=number,
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
            total=row.total,
            grade_code=row.band.code,
            grade=row.band.label,
            rank=row.rank,
            position=row.position,
        )
        for unit_id, row in rows
    )
    if previous:
        ResultVersion.objects.filter(pk=previous.pk).update(is_current=False)
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True, sealed=True, published_at=timezone.now())
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


@dataclass
class ImportSummary:
    """What an import of published results did (or would do, on a dry run)."""

    results: int = 0
    tables: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    units_created: int = 0
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def results_import(
    *,
    rows: list[ResultRow],
    partial: bool = False,
    decimals: int | None = None,
    correction: str = "",
    skip_published: bool = False,
    dry_run: bool = False,
    by=None,
) -> ImportSummary:
    """Publish the results of every year and block in `rows`, all or nothing.

    A table already published is never overwritten: it is refused, skipped (`skip_published`), or
    published again as a correction — a new version with its reason — when `correction` is given.
    """
    scheme = GradeScheme.objects.prefetch_related("bands").filter(is_default=True).first()
    if scheme is None:
        raise ValidationError(E_NO_DEFAULT_SCHEME)
    groups: dict[tuple[int, Block], list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[(row.year, row.block)].append(row)
    periods = _existing_periods(groups)
    summary, plans, errors = ImportSummary(), [], []
    units = _units_by_key(groups)
    for (year, block), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1].sort_order)):
        period = periods.get((year, block.pk))
        published = period is not None and period.is_public
        if published and skip_published and not correction:
            summary.skipped.append((year, block.code))
            continue
        problem = _import_problem(period, published, correction, decimals, year, block)
        if problem:
            errors.append(problem)
            continue
        places = (
            period.published_decimals
            if published
            else (decimals if decimals is not None else (max(r.decimals for r in group) or DEFAULT_DECIMALS))
        )
        table = ranking.rank_entries(
            [ranking.Entry(key=name_key(r.unit_name), name=r.unit_name, total=r.score) for r in group],
            decimals=places,
            bands=engine_bands(period.grade_scheme if published else scheme),
        )
        summary.warnings.extend(_disagreements(group, table))
        summary.tables.append((year, block.code))
        summary.results += len(group)
        summary.units_created += sum(1 for r in group if (block.pk, name_key(r.unit_name)) not in units)
        plans.append((year, block, group, places, table, period))
    if errors:
        raise ValidationError(errors)
    if not dry_run:
        for year, block, group, places, table, period in plans:
            _create_units(block, group, units)
            if period is None or not period.is_public:
                period = _publish_period(year, block, group, places, scheme, partial)
            by_key = {name_key(r.unit_name): units[(block.pk, name_key(r.unit_name))].pk for r in group}
            _seal_version(period, [(by_key[row.key], row) for row in table], by=by, reason=correction.strip())
    return summary


def _existing_periods(groups) -> dict[tuple[int, int], Period]:
    years = {year for year, _ in groups}
    periods = (
        Period.objects.filter(year__in=years)
        .select_related("grade_scheme")
        .prefetch_related("grade_scheme__bands")
        .annotate(score_count=Count("scores"))
    )
    return {(p.year, p.block_id): p for p in periods}


def _import_problem(period, published, correction, decimals, year, block) -> str:
    if published and not correction.strip():
        return E_ALREADY_PUBLISHED_IMPORT.format(year=year, block=block.code)
    if correction.strip() and not published:
        return E_CORRECTION_OF_NOTHING.format(year=year, block=block.code)
    if published and decimals is not None and decimals != period.published_decimals:
        return E_CORRECTION_DECIMALS.format(year=year, block=block.code, decimals=period.published_decimals)
    if period is not None and not published and period.score_count:
        return E_PERIOD_IN_PROGRESS.format(year=year, block=block.code)
    return ""


def _units_by_key(groups) -> dict[tuple[int, str], Unit]:
    blocks = {block.pk for _, block in groups}
    return {(u.block_id, name_key(u.name)): u for u in Unit.objects.filter(block_id__in=blocks)}


def _disagreements(group: list[ResultRow], table: list[ranking.Ranked]) -> list[str]:
    computed = {row.key: row for row in table}
    warnings = []
    for r in group:
        row = computed[name_key(r.unit_name)]
        if r.grade and name_key(r.grade) != name_key(row.band.label):
            warnings.append(W_GRADE.format(row=r.row, given=r.grade, computed=row.band.label))
        if r.rank is not None and r.rank != row.rank:
            warnings.append(W_RANK.format(row=r.row, given=r.rank, computed=row.rank))
    return warnings


def _create_units(block, group, units) -> None:
    new = [r.unit_name for r in group if (block.pk, name_key(r.unit_name)) not in units]
    if not new:
        return
    codes = set(Unit.objects.values_list("code", flat=True))
    created = []
    for name in new:
        code = _new_unit_code(block, name, codes)
        codes.add(code)
        created.append(Unit(code=code, name=name, block=block))
    for unit in Unit.objects.bulk_create(created):
        units[(block.pk, name_key(unit.name))] = unit


def _publish_period(year, block, group, places, scheme, partial) -> Period:
    period, _ = Period.objects.update_or_create(
        year=year,
        block=block,
        defaults={
            "status": Period.Status.PUBLISHED,
            "grade_scheme": scheme,
            "published_decimals": places,
            "is_partial": partial,
            "is_demo": False,
            "source": next((r.source for r in group if r.source), ""),
        },
    )
    return period


def _new_unit_code(block: Block, name: str, taken: set[str]) -> str:
    base = slugify(name.replace("đ", "d").replace("Đ", "D"))[:56] or block.code
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code
