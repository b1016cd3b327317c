"""Writes that touch several rows: publishing a period and sealing a version of its table.

Each service is keyword-only, validates everything before it saves anything, and runs in one
transaction. Error messages are Vietnamese and kept here as constants.
"""

import logging
from datetime import date
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from cchc_portal.lib.memory import no_cyclic_collection
from cchc_portal.lib.numbers import round_score
from cchc_portal.lib.text import TextProblem, clean_text
from cchc_portal.public_cache import public_changed
from scoring import audit, bulk, permissions, ranking
from scoring.figures import unit_figures
from scoring.models import (
    PUBLIC_STATUSES,
    AppraiserAssignment,
    AuditEntry,
    Criterion,
    Period,
    Result,
    ResultVersion,
)
from scoring.ops import jobs
from scoring.results import points_of, rules_of, unit_sums
from units.models import Unit

log = logging.getLogger(__name__)

E_ALREADY_PUBLISHED = "Kỳ đánh giá {period} đã được công bố."
E_DEMO_PERIOD = "Kỳ đánh giá {period} là dữ liệu minh họa, không được công bố."
E_NO_CRITERIA = "Kỳ đánh giá {period} chưa có bộ tiêu chí."
E_NO_UNITS = "Kỳ đánh giá {period} không có đơn vị nào để xếp hạng."
E_NOT_COMPLETE = "{count} đơn vị chưa đủ điểm để công bố: {units}."
E_UNIT_MISSING = "{unit} (chưa có điểm thẩm định: {codes})"
E_UNIT_ABOVE = "{unit} (điểm vượt điểm tối đa: {codes})"
SHOWN_UNITS, SHOWN_CODES = 10, 5
E_NOT_APPROVED = "Kỳ đánh giá {period} chưa được phê duyệt, chưa thể công bố."
E_NO_DECISION = "Cần nhập số quyết định công bố."


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
    # A national table is tens of thousands of entries and result rows made at once and kept to the end: the cyclic
    # collector walked them again and again for nothing to free (a quarter of a 33,000-unit publication).
    with no_cyclic_collection():
        return _publish(period, by=by, decision_number=decision_number, decision_date=decision_date, signer=signer)


def _publish(period: Period, *, by, decision_number: str, decision_date: date | None, signer: str) -> ResultVersion:
    entries, measures = _entries_from_scores(period)
    table = ranking.rank_entries(entries, **rules_of(period))
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
        signer=period.signer,
        measures=measures,
    )


def _entries_from_scores(period: Period) -> tuple[list[ranking.Entry], dict]:
    """Every unit's entry to rank, and its measures (unit id -> (applicable maximum, points achieved))."""
    units = list(Unit.objects.filter(block=period.block).active_in(period.year).values_list("pk", "name", "sort_key"))
    if not units:
        raise ValidationError(E_NO_UNITS.format(period=period))
    tree = Criterion.objects.tree_of(period.criteria_set_id)
    found = _entries_from_sums(period, units, tree)
    return found if found is not None else _entries_from_each_score(period, units, tree)


def _entries_from_sums(period: Period, units: list[tuple[int, str, str]], tree):
    """Every unit's total from the sums kept per unit as its scores were written (scoring.results.unit_sums, the
    period page's figures), or None unless every unit has its total — then `_entries_from_each_score` says what
    is missing. A national period has over 300,000 scores: its 3,321 kept rows are read instead, and the engine
    computes each total from them (scoring.figures.LeafSums.total), as the period page and its preview did."""
    sums, _changed = unit_sums(period, tree)
    entries, measures = [], {}
    for pk, name, sort_key in units:
        total = sums[pk].total if pk in sums else None
        if total is None:
            return None
        entries.append(ranking.Entry(key=pk, name=name, total=total.total, sort_key=sort_key))
        measures[pk] = Measures(total.applicable_max, total.achieved)
    return entries, measures


def _entries_from_each_score(period: Period, units: list[tuple[int, str, str]], tree):
    """Every unit's total from its figures (scoring/figures.py); lists every unit that lacks points or exceeds a
    maximum."""
    points = points_of(period)
    entries, problems, measures = [], [], {}
    for pk, name, _sort_key in units:
        mine = points.get(pk, {})
        figures = unit_figures(tree, mine)
        above = [
            leaf.code
            for leaf in tree.leaves
            if (p := mine.get(leaf.pk)) and p.appraised is not None and p.appraised > leaf.max_points
        ]
        if figures.missing or above:
            problems.append(_unit_problem(name, [leaf.code for leaf in figures.missing], above))
            continue
        entries.append(ranking.Entry(key=pk, name=name, total=figures.total.total))
        measures[pk] = Measures(figures.total.applicable_max, figures.total.achieved)
    if problems:
        # One message, a screenful at most: the units, and for each the first criteria it lacks.
        more = len(problems) - SHOWN_UNITS
        listed = "; ".join(problems[:SHOWN_UNITS]) + (f"; và {more} đơn vị nữa" if more > 0 else "")
        raise ValidationError(E_NOT_COMPLETE.format(count=len(problems), units=listed))
    return entries, measures


def _codes(codes: list[str]) -> str:
    more = len(codes) - SHOWN_CODES
    return ", ".join(codes[:SHOWN_CODES]) + (f" và {more} tiêu chí khác" if more > 0 else "")


def _unit_problem(unit: str, missing: list[str], above: list[str]) -> str:
    parts = [E_UNIT_MISSING.format(unit=unit, codes=_codes(missing))] if missing else []
    if above:
        parts.append(E_UNIT_ABOVE.format(unit=unit, codes=_codes(above)))
    return "; ".join(parts)


def result_version_seal(
    *,
    period: Period,
    rows,
    by,
    reason: str = "",
    decision_number: str = "",
    decision_date: date | None = None,
    signer: str = "",
    version: ResultVersion | None = None,
    measures: dict | None = None,
    printed: dict | None = None,
) -> ResultVersion:
    """Write a version of the period's table and make it the current one; older versions stay.

    `rows` are (unit id, ranking.Ranked) in table order. `version` is a correction prepared beforehand (with its
    reason and decision), else a new version is made. `measures` gives units' Measures where the table prints
    them; `printed` their (grade, rank) as an announcement printed them — the record, where the
    engine's are only a check. The caller holds the transaction."""
    rows, measures, printed = list(rows), measures or {}, printed or {}
    previous = period.versions.filter(is_current=True).first()
    if version is None:
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
            signer=signer,
            published_by=by if by is not None and by.is_authenticated else None,
        )
    else:
        number, reason = version.number, version.reason
        ResultVersion.objects.filter(pk=version.pk).update(
            published_by=by if by is not None and by.is_authenticated else None
        )
    bulk.insert_rows(
        Result,
        RESULT_COLUMNS,
        [_result(period, version, unit_id, row, measures.get(unit_id), printed.get(unit_id)) for unit_id, row in rows],
    )
    # Sealed with its results first; only then may it take the place of the current version (the database
    # lets a current version give way to a newer sealed one, and to nothing else).
    ResultVersion.objects.filter(pk=version.pk).update(sealed=True, published_at=timezone.now())
    if previous:
        ResultVersion.objects.filter(pk=previous.pk).update(is_current=False)
    ResultVersion.objects.filter(pk=version.pk).update(is_current=True)
    # Every cached public page is stale once this commits; the search index knows the names now published.
    # A period's first table only adds names to what is public; a correction may also take some away.
    added = [(unit_id, row.name) for unit_id, row in rows] if previous is None else None
    public_changed(names_of=Unit.objects.filter(results__period=period), added=added)
    # Then its public pages are rendered ahead of the first visitor, by a job (registered after the renewal above,
    # so the job finds the new generation): reports.jobs.prerender_published.
    if settings.PRERENDER_ON_PUBLISH:
        transaction.on_commit(partial(_prerender_published, version.pk, f"{period.block.name} năm {period.year}"))
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


def _prerender_published(version_id: int, table: str) -> None:
    """Start the job that renders a version's public pages (after the publication has committed): a failure to
    start it costs its first visitor a render, never the publication."""
    try:
        jobs.start(
            "public_prerender",
            title=f"Dựng sẵn trang công khai: {table}",
            params={"version": version_id},
            key=f"public-prerender:{version_id}",
        )
    except Exception:
        log.exception("the public pages of version %s could not be queued for rendering", version_id)


class Measures(NamedTuple):
    """What a table prints beside a unit's total: the maximum that applies and the points achieved (a table of
    percentages), and the appraised and survey components (a national PAR INDEX table); None where not printed."""

    max_points: Decimal | None = None
    points: Decimal | None = None
    appraised: Decimal | None = None
    survey: Decimal | None = None


RESULT_COLUMNS = (
    "period", "version", "unit", "unit_name", "total", "max_points", "points", "appraised_points", "survey_points",
    "grade_code", "grade", "rank", "position",
)  # fmt: skip


def _result(period, version, unit_id, row: ranking.Ranked, measure: Measures | None, printed) -> tuple:
    """A unit's line (RESULT_COLUMNS, written in one statement with the others): the engine's total, grade and rank
    — or, for a table transcribed from an announcement, the grade and rank it printed."""
    grade, rank = printed or (None, None)
    measure = measure or Measures()
    places = Result._meta.get_field("total").decimal_places
    return (
        period.pk,
        version.pk,
        unit_id,
        row.name,
        round_score(row.total, places),
        measure.max_points,
        measure.points,
        measure.appraised,
        measure.survey,
        # A table printed without grades is kept without them ("").
        row.band.code if grade is None else _code(grade) if grade else "",
        row.band.label if grade is None else grade,
        rank or row.rank,
        row.position,
    )


def _code(label: str) -> str:
    """A grade's code from its printed label ("Xuất sắc" → "xuat-sac", "Nhóm A" → "nhom-a")."""
    return slugify(label.replace("đ", "d").replace("Đ", "D"))[:32] or "khac"


E_ASSIGN_NOT_APPRAISER = "“{user}” không thuộc nhóm Thẩm định viên."
E_ASSIGN_CLOSED = "Kỳ đánh giá đã công bố hoặc đã khóa: không đổi phân công thẩm định."
E_ASSIGN_ALREADY_ALL = "{user} đã được phân công thẩm định mọi đơn vị của kỳ; không cần phân công thêm từng đơn vị."
E_ASSIGN_NOTHING_NEW = "{user} đã được phân công các đơn vị này; không có gì thay đổi."


@transaction.atomic
def assignments_add(*, period: Period, appraiser, units, by) -> int:
    """Assign an appraiser to some units of the period, or to all of them (no units); returns how many
    assignments are new. Recorded in the audit log."""
    permissions.require(permissions.can_manage_period(by))
    if period.is_public:
        raise ValidationError(E_ASSIGN_CLOSED)
    if not permissions.is_appraiser(appraiser):
        raise ValidationError(E_ASSIGN_NOT_APPRAISER.format(user=appraiser.get_username()))
    wanted = list(units) or [None]
    existing = set(
        AppraiserAssignment.objects.filter(period=period, appraiser=appraiser).values_list("unit_id", flat=True)
    )
    if None in existing:  # already every unit: a unit more would say nothing new
        raise ValidationError(E_ASSIGN_ALREADY_ALL.format(user=appraiser.get_username()))
    new = [
        AppraiserAssignment(period=period, appraiser=appraiser, unit=u) for u in wanted if (u and u.pk) not in existing
    ]
    AppraiserAssignment.objects.bulk_create(new)
    for item in new:
        audit.record(
            period=period,
            unit=item.unit,
            by=by,
            action=AuditEntry.Action.ASSIGNMENT,
            new=f"{appraiser.get_username()}: {item.unit.name if item.unit else 'mọi đơn vị'}",
        )
    return len(new)


@transaction.atomic
def assignment_remove(*, assignment, by) -> None:
    """Take an appraiser off a unit (or off the whole period), with an audit entry."""
    permissions.require(permissions.can_manage_period(by))
    if assignment.period.is_public:
        raise ValidationError(E_ASSIGN_CLOSED)
    audit.record(
        period=assignment.period,
        unit=assignment.unit,
        by=by,
        action=AuditEntry.Action.ASSIGNMENT,
        old=f"{assignment.appraiser.get_username()}: {assignment.unit.name if assignment.unit else 'mọi đơn vị'}",
    )
    assignment.delete()


def assignments_copy(*, source: Period | None, target: Period) -> int:
    """Start a new period with the appraisers of the previous one of its block (units still active)."""
    if source is None:
        return 0
    active = set(Unit.objects.filter(block_id=target.block_id).active_in(target.year).values_list("pk", flat=True))
    copies = [
        AppraiserAssignment(period=target, appraiser_id=a.appraiser_id, unit_id=a.unit_id)
        for a in AppraiserAssignment.objects.filter(period=source)
        if a.unit_id is None or a.unit_id in active
    ]
    return len(AppraiserAssignment.objects.bulk_create(copies, ignore_conflicts=True))
