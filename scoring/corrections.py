"""Correcting a published table (đính chính), in the portal: open, change, preview, publish — or cancel.

A published score is never edited in place. Sở Nội vụ opens a correction — a version of the period's table not
yet sealed, with its reason, its decision (number, date, signer) — and changes what counts in it:

- a period scored in the portal: the appraised (survey, bonus, deduction) points and what does not apply, on the
  units' entry sheets or by importing the detailed report back; each change is a `ScoreCorrection` of the
  version, laid over the score (scoring/results.py reads them);
- a table transcribed from an announcement (no scores in the portal): a results file (the portal's own CSV or
  Excel download, or the import format), whose rows become the version's results.

The preview sets the current table beside the corrected one, unit by unit (old → new score, grade, rank, and the
moves of the others). Publishing — with the decision number typed — seals the version with its results and makes
it current; every public page, download and answer changes at once (a new generation of the page cache). The audit
log names the person of every change and of the publication.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cchc_portal.lib.numbers import vn_number
from cchc_portal.lib.text import TextProblem, clean_text
from scoring import audit, permissions, ranking
from scoring.models import LONG_TEXT_LIMIT, AuditEntry, Period, Result, ResultVersion, ScoreCorrection

E_NOT_PUBLISHED = "Kỳ đánh giá {period} chưa công bố: chưa có gì để đính chính."
E_DRAFT_OPEN = "Đang có một lần đính chính chưa công bố (lần {number}, mở lúc {at}); hãy công bố hoặc hủy lần đó trước."
E_NO_DRAFT = "Không có lần đính chính nào đang soạn: có thể lần đính chính đã được công bố hoặc hủy ở một thẻ khác."
E_REASON = "Cần nêu lý do đính chính."
E_DECISION = "Cần số quyết định đính chính."
E_DATE = "Cần ngày ký quyết định đính chính."
E_CONFIRM = "Để công bố bản đính chính, hãy gõ đúng số quyết định ({number}) vào ô xác nhận."
E_NOTHING = (
    "Bản đính chính chưa làm thay đổi dòng nào của bảng đã công bố: hãy sửa điểm (hoặc nhập tệp kết quả) trước khi "
    "công bố, hoặc hủy lần đính chính."
)
E_SCORED_PERIOD = (
    "Năm {year}, khối {block}: kỳ đánh giá được chấm điểm trên cổng, nên đính chính là sửa điểm từng tiêu chí (trên "
    "trang chấm điểm của đơn vị hoặc bằng bảng điểm chi tiết), để tổng điểm, điểm từng lĩnh vực và tiêu chí luôn khớp "
    "nhau; không thay tổng điểm bằng tệp kết quả."
)
DRAFT_REASON = "đính chính lần {number} (chưa công bố)"


def draft_of(period: Period, *, lock: bool = False) -> ResultVersion | None:
    """The correction being prepared for the period, if any (locked for the transaction with `lock`)."""
    versions = ResultVersion.objects.filter(period=period, sealed=False)
    return (versions.select_for_update() if lock else versions).first()


def is_scored(period: Period) -> bool:
    """Whether the period's table was computed in the portal (then a correction changes points, never totals)."""
    return period.criteria_set_id is not None and period.scores.exists()


def _text(value: str, *, label: str, max_length: int, multiline=False) -> str:
    try:
        return clean_text(value, multiline=multiline, max_length=max_length, label=label)
    except TextProblem as problem:
        raise ValidationError(problem.message) from None


@transaction.atomic
def correction_open(
    *, period: Period, reason: str, decision_number: str, decision_date: date | None, signer: str = "", by
) -> ResultVersion:
    """Open a correction of a published period: a version not yet sealed, with its reason and its decision."""
    permissions.require(permissions.can_manage_period(by))
    period = Period.objects.select_for_update(of=("self",)).get(pk=period.pk)
    if not period.is_public:
        raise ValidationError(E_NOT_PUBLISHED.format(period=period))
    draft = draft_of(period, lock=True)
    if draft is not None:
        at = timezone.localtime(draft.published_at or timezone.now()).strftime("%H:%M %d/%m/%Y")
        raise ValidationError(E_DRAFT_OPEN.format(number=draft.correction_number, at=at))
    reason = _text(reason, label="Lý do", max_length=LONG_TEXT_LIMIT, multiline=True)
    decision_number = _text(decision_number, label="Số quyết định", max_length=100)
    signer = _text(signer, label="Người ký", max_length=200)
    problems = [E_REASON] * (not reason) + [E_DECISION] * (not decision_number) + [E_DATE] * (decision_date is None)
    if problems:
        raise ValidationError(problems)
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
        published_by=by,
        published_at=timezone.now(),  # when it was opened, until it is published
    )
    opened = DRAFT_REASON.format(number=version.correction_number)
    audit.record(period=period, by=by, action=AuditEntry.Action.RESULTS, new=opened, reason=reason)
    return version


@transaction.atomic
def correction_cancel(*, period: Period, by) -> None:
    """Drop the correction being prepared, with every change made in it; the published table stays as it is."""
    permissions.require(permissions.can_manage_period(by))
    draft = draft_of(period, lock=True)
    if draft is None:
        raise ValidationError(E_NO_DRAFT)
    changed = draft.corrections.count()
    draft.corrections.all().delete()
    draft.results.all().delete()
    draft.delete()
    audit.record(
        period=period,
        by=by,
        action=AuditEntry.Action.RESULTS,
        old=DRAFT_REASON.format(number=draft.correction_number),
        new="đã hủy",
        reason=f"{changed} điểm đã sửa trong lần đính chính bị bỏ",
    )


def write(*, period: Period, draft: ResultVersion, parsed, by) -> tuple[int, list]:
    """Keep the changes of a save (scoring.scores) in the correction being prepared: one `ScoreCorrection` per
    leaf changed, holding the new value beside the one that counted before; a change back to that value drops
    it. Returns (values changed, conflicts) as the score service does: a value changed by someone else since the
    person's page was drawn is reported, not overwritten."""
    from scoring.results import points_of
    from scoring.scores import UNSEEN, same_value

    units = {unit.pk for unit, *_ in parsed}
    before = points_of(period, units)  # what the published table counts
    mine = {(c.unit_id, c.criterion_id): c for c in draft.corrections.filter(unit_id__in=units)}
    written, conflicts, entries = 0, [], []
    for unit, change, leaf, value, seen, action in parsed:
        key = (unit.pk, leaf.pk)
        published = before.get(unit.pk, {}).get(leaf.pk)
        old_points = published.appraised if published else None
        old_na = published.not_applicable if published else False
        row = mine.get(key)
        current = (row.appraised_points, row.not_applicable) if row else (old_points, old_na)
        now = current[0] if change.field == "appraised_points" else current[1]
        if seen is not UNSEEN and same_value(value, seen):
            continue
        if seen is not UNSEEN and not same_value(now, seen) and not same_value(now, value):
            conflicts.append((unit, leaf, change.field, value, now, action))
            continue
        if same_value(now, value):
            continue
        new = (value, current[1]) if change.field == "appraised_points" else (current[0], value)
        if row is None:
            row = mine[key] = ScoreCorrection(
                version=draft, unit=unit, criterion=leaf, old_points=old_points, old_not_applicable=old_na
            )
        row.appraised_points, row.not_applicable, row.changed_by = new[0], new[1], by
        if (row.appraised_points, row.not_applicable) == (old_points, old_na):
            if row.pk:
                row.delete()
            del mine[key]
        else:
            row.save()
        written += 1
        entries.append(
            audit.entry(
                period=period,
                unit=unit,
                criterion=leaf,
                by=by,
                action=action,
                old=now,
                new=value,
                reason=DRAFT_REASON.format(number=draft.correction_number),
            )
        )
    AuditEntry.objects.bulk_create(entries)
    return written, conflicts


# --- What the correction would publish ---------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A unit's line in one table: shown score, grade, rank."""

    score: str
    grade: str
    rank: int


@dataclass(frozen=True)
class PreviewRow:
    unit_id: int
    unit_name: str
    old: Line | None
    new: Line | None

    @property
    def changed(self) -> bool:
        return self.old != self.new

    @property
    def moved(self) -> int:
        """Places gained (▲, positive) or lost (▼, negative)."""
        if self.old is None or self.new is None:
            return 0
        return self.old.rank - self.new.rank


@dataclass(frozen=True)
class CorrectionPreview:
    """The correction being prepared, the published table beside the one it would publish, and what changed."""

    period: Period
    draft: ResultVersion
    current: ResultVersion
    rows: list[PreviewRow]
    corrections: list[ScoreCorrection]
    scored: bool
    problem: str = ""  # why it cannot be published yet (a unit without a total)

    @property
    def changed(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.changed]

    @property
    def ready(self) -> bool:
        return not self.problem and bool(self.changed)


def correction_preview(period: Period) -> CorrectionPreview | None:
    """The correction being prepared and what publishing it would change (None when there is none)."""
    draft = draft_of(period)
    if draft is None:
        return None
    current = period.versions.get(is_current=True)
    old = list(current.results.order_by("position"))
    scored = is_scored(period)
    problem, new = "", {}
    try:
        table, _ = _new_table(period, draft, old, scored)
    except ValidationError as error:
        problem, table = " ".join(error.messages), []
    decimals = period.published_decimals
    new = dict(table)
    rows = []
    for r in old:
        after = new.pop(r.unit_id, None)
        rows.append(
            PreviewRow(
                r.unit_id,
                r.unit_name,
                Line(vn_number(r.total, decimals), r.grade, r.rank),
                Line(vn_number(after.total, decimals), after.band.label, after.rank) if after else None,
            )
        )
    for unit_id, after in new.items():
        rows.append(
            PreviewRow(unit_id, after.name, None, Line(vn_number(after.total, decimals), after.band.label, after.rank))
        )
    rows.sort(key=lambda r: (r.new.rank if r.new else 10**9, ranking.vietnamese_sort_key(r.unit_name)))
    corrections = list(
        draft.corrections.select_related("unit", "criterion").order_by("unit__name", "criterion__position")
    )
    return CorrectionPreview(period, draft, current, rows, corrections, scored, problem)


def _new_table(period: Period, draft: ResultVersion, published: list[Result], scored: bool):
    """(unit id, ranking.Ranked) of the table the correction would publish, in table order, and the units'
    measures (services.Measures) as the new table prints them."""
    from scoring.results import period_standings, points_of, rules_of
    from scoring.services import Measures

    if not scored:
        rows = list(draft.results.order_by("position"))
        entries = [ranking.Entry(r.unit_id, r.unit_name, r.total) for r in rows]
        measures = {r.unit_id: Measures(r.max_points, r.points, r.appraised_points, r.survey_points) for r in rows}
    else:
        units = [(r.unit_id, r.unit_name) for r in published]
        standing = period_standings(period, units, points=points_of(period, draft=True))
        short = [name for pk, name in units if standing[pk].figures.total is None]
        if short:
            raise ValidationError(f"Chưa tính được tổng điểm của {len(short)} đơn vị: {'; '.join(short[:10])}.")
        entries = [ranking.Entry(pk, name, standing[pk].figures.total.total) for pk, name in units]
        totals = {pk: standing[pk].figures.total for pk, _ in units}
        measures = {pk: Measures(total.applicable_max, total.achieved) for pk, total in totals.items()}
    table = ranking.rank_entries(entries, **rules_of(period))
    return [(row.key, row) for row in table], measures


@transaction.atomic
def correction_publish(*, period: Period, confirm: str, by) -> ResultVersion:
    """Publish the correction being prepared: its table, computed now, sealed and made current."""
    from scoring.services import result_version_seal

    permissions.require(permissions.can_manage_period(by))
    period = Period.objects.select_for_update(of=("self",)).select_related("block", "grade_scheme").get(pk=period.pk)
    draft = draft_of(period, lock=True)
    if draft is None:
        raise ValidationError(E_NO_DRAFT)
    if confirm.strip() != draft.decision_number:
        raise ValidationError(E_CONFIRM.format(number=draft.decision_number))
    preview = correction_preview(period)
    if preview.problem:
        raise ValidationError(preview.problem)
    if not preview.changed:
        raise ValidationError(E_NOTHING)
    table, measures = _new_table(period, draft, list(preview.current.results.order_by("position")), preview.scored)
    if not preview.scored:
        draft.results.all().delete()  # written again from the file's rows, ranked as the table prints them
    return result_version_seal(period=period, rows=table, by=by, version=draft, measures=measures)


# --- A table transcribed from an announcement: corrected by a results file ---------------------------


@transaction.atomic
def correction_rows_set(*, period: Period, rows, by) -> int:
    """Put a results file's rows (scoring.imports.results.ResultRow of this period) in the correction being
    prepared, as its table; returns how many rows. Refused for a period scored in the portal."""
    from scoring.imports.results import match_units
    from scoring.results import rules_of

    permissions.require(permissions.can_manage_period(by))
    draft = draft_of(period, lock=True)
    if draft is None:
        raise ValidationError(E_NO_DRAFT)
    if is_scored(period):
        raise ValidationError(E_SCORED_PERIOD.format(year=period.year, block=period.block.name))
    units = match_units(period, rows)
    entries = [ranking.Entry(units[r.row].pk, r.unit_name, r.score) for r in rows]
    table = ranking.rank_entries(entries, **rules_of(period))
    printed = {units[r.row].pk: r for r in rows}  # the measures the file prints beside each total
    draft.results.all().delete()
    Result.objects.bulk_create(
        Result(
            period=period,
            version=draft,
            unit_id=row.key,
            unit_name=row.name,
            total=row.total,
            max_points=printed[row.key].max_points,
            points=printed[row.key].points,
            appraised_points=printed[row.key].appraised,
            survey_points=printed[row.key].survey,
            grade_code=row.band.code,
            grade=row.band.label,
            rank=row.rank,
            position=row.position,
        )
        for row in table
    )
    audit.record(
        period=period,
        by=by,
        action=AuditEntry.Action.RESULTS,
        new=DRAFT_REASON.format(number=draft.correction_number),
        reason=f"bảng kết quả từ tệp: {len(table)} dòng",
    )
    return len(table)
