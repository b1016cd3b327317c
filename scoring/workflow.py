"""The life of an evaluation period and of each unit's submission, one service per move.

draft → open (deadline) → appraisal (round 1) → explanation → appraisal_2 → approved → published →
locked. Each move checks who makes it and from which state, runs in one transaction with the
period row locked, and leaves an audit entry. Publishing itself is `services.period_publish`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cchc_portal.lib.numbers import vn_number
from cchc_portal.lib.text import TextProblem, clean_text
from scoring import audit, permissions
from scoring.entry_fields import key
from scoring.figures import NO_POINTS, Points, needs_points
from scoring.models import LONG_TEXT_LIMIT, AuditEntry, Criterion, Evidence, Method, Period, Score, Submission
from scoring.progress import NOT_SUBMITTED, SUBMITTED, Check, Readiness, names, period_progress

S = Period.Status
U = Submission.Status
E_MOVE = "Không thể chuyển kỳ đánh giá từ “{old}” sang “{new}”."
E_NEEDS_CRITERIA = "Kỳ đánh giá chưa có bộ tiêu chí, chưa thể mở tự đánh giá."
E_NEEDS_DEADLINE = "Cần đặt hạn tự đánh giá (sau thời điểm hiện tại) khi mở kỳ đánh giá."
E_NEEDS_REASON = "Cần nêu lý do khi trả kỳ đánh giá về bước trước."
E_NEEDS_REASON_TO_SKIP = "Cần nêu lý do khi “{label}”: bước này bỏ qua giải trình và vòng 2."
E_SUBMISSION_STATE = "Hồ sơ của đơn vị đang ở tình trạng “{state}”, không thể {action}."
E_MISSING_SELF = "Tiêu chí {code}: chưa nhập điểm tự đánh giá."
E_NEEDS_EXPLANATION = "Tiêu chí {code}: có điểm nhưng chưa có minh chứng, cần nhập giải trình."
E_NOT_SUBMITTED = "Chưa nộp được hồ sơ: {parts}. Các tiêu chí cần xử lý được đánh dấu trong bảng."
E_COUNT_MISSING = "{n} tiêu chí chưa có điểm tự đánh giá"
E_COUNT_UNEXPLAINED = "{n} tiêu chí có điểm nhưng chưa có minh chứng hay giải trình"

E_ROUND_NOT_SUBMITTED = (
    "Đơn vị chưa nộp hồ sơ nên không có vòng thẩm định để hoàn thành; điểm thẩm định đã nhập vẫn được lưu."
)
E_ROUND_INCOMPLETE = (
    "Chưa hoàn thành được vòng thẩm định: {n} tiêu chí chưa có điểm thẩm định (được đánh dấu trong bảng)."
)
E_MISSING_APPRAISAL = "Tiêu chí {code}: chưa có điểm thẩm định."
E_UNKNOWN_MOVE = "Thao tác không hợp lệ ở bước này của kỳ đánh giá."
E_NOT_READY = "Chưa thể “{label}”: {reasons}"
E_EARLY = "“{label}” sớm hơn quy trình: cần nêu lý do (được ghi vào nhật ký). {reasons}"
E_CONFIRM = "Để “{label}”, hãy gõ đúng {what} vào ô xác nhận."


@dataclass(frozen=True)
class Move:
    """One move of a period: its name in a form, its label, from where to where, what it asks for, and what must
    hold before it is made (`ready`, beside it in the table)."""

    name: str
    label: str
    source: str
    target: str
    ready: Callable | None = None  # (progress, need) -> None: states each condition through need(met, text, …)
    back: bool = False  # returns to an earlier step
    needs_reason: bool = False  # must say why (moving back; skipping a step)
    takes_reason: bool = False  # a reason may be given (and is recorded)
    needs_deadline: bool = False  # opening self-assessment sets its deadline
    needs_decision: bool = False  # publication names its decision
    needs_confirmation: bool = False  # cannot be undone: the year (or the decision number) is typed to confirm
    warning: str = ""  # what the move gives up, said before it is made

    @property
    def is_back(self) -> bool:
        return self.back


# --- What each move needs (its readiness): a function per move, given the period's progress ---------------


def _ready_open(progress, need) -> None:
    need(progress.leaves > 0, f"Bộ tiêu chí có {vn_number(progress.leaves)} tiêu chí chấm điểm.")
    need(bool(progress.units_count), f"Khối có {vn_number(progress.units_count)} đơn vị.")


def _ready_start_appraisal(progress, need) -> None:
    units = progress.units_count
    waiting = progress.count(*NOT_SUBMITTED)
    days = progress.days_left
    need(
        progress.deadline_passed or not waiting,
        "Đã hết hạn tự đánh giá." if progress.deadline_passed else f"Chưa hết hạn tự đánh giá (còn {days} ngày).",
        waivable=True,
    )
    need(
        not waiting,
        f"{vn_number(units - waiting)}/{vn_number(units)} đơn vị đã nộp"
        + (
            f"; chưa nộp: {names(progress.sample(*NOT_SUBMITTED), waiting)} — hồ sơ các đơn vị này sẽ không sửa được "
            "nữa và được thẩm định theo những gì đã nhập."
            if waiting
            else "."
        ),
        info=True,  # after the deadline, units that did not submit have simply missed it
    )


def _ready_request_explanation(progress, need) -> None:
    submitted = progress.count(*SUBMITTED)
    still_open = [status for status in SUBMITTED if status != U.APPRAISED_1]
    open_rounds = progress.count(*still_open)
    if not submitted:
        need(False, "Chưa đơn vị nào nộp hồ sơ nên không có vòng 1 nào để giải trình.", waivable=True)
        return
    need(
        not open_rounds,
        f"{vn_number(submitted - open_rounds)}/{vn_number(submitted)} hồ sơ đã nộp được ghi nhận thẩm định xong vòng 1"
        + (f"; còn: {names(progress.sample(*still_open), open_rounds)}." if open_rounds else "."),
    )


def _ready_second_round(progress, need) -> None:
    waiting = progress.count(U.APPRAISED_1)
    need(
        not waiting,
        "Mọi đơn vị được trả về đã giải trình."
        if not waiting
        else f"{vn_number(waiting)} đơn vị chưa nộp giải trình: {names(progress.sample(U.APPRAISED_1), waiting)}.",
        waivable=True,
    )


def _ready_approve(progress, need) -> None:
    short = progress.count(complete=False)
    need(
        not short,
        f"Mọi tiêu chí áp dụng của {vn_number(progress.units_count)} đơn vị đã có điểm thẩm định."
        if not short
        else f"{vn_number(short)} đơn vị chưa được thẩm định đủ: "
        f"{names(progress.sample(complete=False), short, lambda u: f'thiếu {u.missing_appraisal} tiêu chí')}.",
    )


def _ready_publish(progress, need) -> None:
    need(not progress.period.is_demo, "Kỳ đánh giá là dữ liệu thật (kỳ minh họa không bao giờ được công bố).")
    short = progress.count(complete=False)
    need(not short, "Mọi đơn vị có tổng điểm." if not short else f"{vn_number(short)} đơn vị chưa có tổng điểm.")


SKIPS_EXPLANATION = (
    "Phê duyệt ngay sau vòng 1 bỏ qua bước giải trình và vòng 2: đơn vị không được giải trình các tiêu chí bị trừ "
    "điểm. Cần nêu lý do (ghi vào nhật ký). Trước khi công bố vẫn trả về được thẩm định vòng 2, rồi về giải trình."
)


# Every move a period can make, in the order the dashboard offers them. The one table the services, the
# views and the templates read.
MOVES = (
    Move("open", "Mở tự đánh giá", S.DRAFT, S.OPEN, _ready_open, needs_deadline=True),
    Move("start_appraisal", "Bắt đầu thẩm định vòng 1", S.OPEN, S.APPRAISAL, _ready_start_appraisal, takes_reason=True),
    Move("request_explanation", "Chuyển sang giải trình", S.APPRAISAL, S.EXPLANATION, _ready_request_explanation,
         takes_reason=True),
    Move("approve", "Phê duyệt kết quả (bỏ qua giải trình)", S.APPRAISAL, S.APPROVED, _ready_approve,
         needs_reason=True, takes_reason=True, warning=SKIPS_EXPLANATION),
    Move("reopen", "Trả về tự đánh giá", S.APPRAISAL, S.OPEN, back=True, needs_reason=True, takes_reason=True),
    Move("start_second_round", "Bắt đầu thẩm định vòng 2", S.EXPLANATION, S.APPRAISAL_2, _ready_second_round,
         takes_reason=True),
    Move("approve", "Phê duyệt kết quả", S.APPRAISAL_2, S.APPROVED, _ready_approve),
    Move("back_to_explanation", "Trả về bước giải trình", S.APPRAISAL_2, S.EXPLANATION, back=True,
         needs_reason=True, takes_reason=True),
    Move("publish", "Công bố", S.APPROVED, S.PUBLISHED, _ready_publish, needs_decision=True,
         needs_confirmation=True),
    Move("back_to_second_round", "Trả về thẩm định vòng 2", S.APPROVED, S.APPRAISAL_2, back=True,
         needs_reason=True, takes_reason=True),
    Move("lock", "Khóa kỳ", S.PUBLISHED, S.LOCKED, needs_confirmation=True),
)  # fmt: skip
_BY_STATES = {(m.source, m.target): m for m in MOVES}


def readiness(progress, move: Move) -> Readiness:
    """The conditions of `move` for this period, met or not (`Readiness.blocked` when one that cannot be waived is
    unmet, `early` when the unmet ones may be waived with a recorded reason)."""
    result = Readiness()

    def need(met: bool, text: str, *, waivable: bool = False, info: bool = False) -> None:
        result.checks.append(Check(met, text))
        if not met and not info:
            result.early |= waivable
            result.blocked |= not waivable

    if move.ready is not None:
        move.ready(progress, need)
    return result


def offered(move: Move, period: Period) -> bool:
    """Whether the dashboard offers the move: a demonstration period is never published."""
    return not (move.needs_decision and period.is_demo)


def moves_from(status: str) -> list[Move]:
    """The moves a period in `status` may make."""
    return [m for m in MOVES if m.source == status]


def move_named(status: str, name: str) -> Move:
    """The move called `name` from `status`; ValidationError when there is none."""
    for move in moves_from(status):
        if move.name == name:
            return move
    raise ValidationError(E_UNKNOWN_MOVE)


def _locked_period(period: Period) -> Period:
    return Period.objects.select_for_update().select_related("block").get(pk=period.pk)


def _move(*, period: Period, to: str, by, reason: str = "", **changes) -> Period:
    permissions.require(permissions.can_manage_period(by))
    period = _locked_period(period)
    move = _BY_STATES.get((period.status, to))
    if move is None or move.needs_decision:  # publishing is services.period_publish
        raise ValidationError(E_MOVE.format(old=S(period.status).label, new=S(to).label))
    try:
        reason = clean_text(reason, multiline=True, max_length=LONG_TEXT_LIMIT, label="Lý do")
    except TextProblem as problem:
        raise ValidationError(problem.message) from None
    ready = readiness(period_progress(period), move)
    unmet = " ".join(check.text for check in ready.checks if not check.met)
    if ready.blocked:  # first what cannot be waived, then what a reason answers
        raise ValidationError(E_NOT_READY.format(label=move.label, reasons=unmet))
    if move.needs_reason and not reason:
        raise ValidationError(E_NEEDS_REASON if move.back else E_NEEDS_REASON_TO_SKIP.format(label=move.label))
    if ready.early and not reason:
        raise ValidationError(E_EARLY.format(label=move.label, reasons=unmet))
    old = period.status
    period.status = to
    for name, value in changes.items():
        setattr(period, name, value)
    period.save(update_fields=["status", *changes])
    _keep_rounds(period, old, to)
    audit.record(
        period=period, by=by, action=AuditEntry.Action.PERIOD_STATUS, old=S(old).label, new=S(to).label, reason=reason
    )
    return period


def _keep_rounds(period: Period, old: str, to: str) -> None:
    """Round 1 is kept as it stood when the units are asked to explain; round 2 starts its comments afresh
    (round 1's stay beside them), so no round overwrites another. Back from round 2 to the explanation step, the
    units explain again: their files return to "appraised in round 1" (what they wrote stays), and round 1 is
    recorded now where it never was (a period approved straight from round 1, then sent back)."""
    scores = Score.objects.filter(period=period)
    if (old, to) == (S.APPRAISAL, S.EXPLANATION):
        scores.update(round1_points=F("appraised_points"), round1_comment=F("appraiser_comment"))
    elif (old, to) == (S.EXPLANATION, S.APPRAISAL_2):
        scores.exclude(appraiser_comment="").update(appraiser_comment="")
    elif (old, to) == (S.APPRAISAL_2, S.EXPLANATION):
        scores.filter(round1_points__isnull=True, round1_comment="").update(
            round1_points=F("appraised_points"), round1_comment=F("appraiser_comment")
        )
        Submission.objects.filter(
            period=period, status__in=(Submission.Status.EXPLAINED, Submission.Status.APPRAISED_2)
        ).update(status=Submission.Status.APPRAISED_1)


@transaction.atomic
def period_open(*, period: Period, deadline: datetime, by) -> Period:
    """Open self-assessment until `deadline`."""
    if period.criteria_set_id is None:
        raise ValidationError(E_NEEDS_CRITERIA)
    if deadline is None or deadline <= timezone.now():
        raise ValidationError(E_NEEDS_DEADLINE)
    return _move(period=period, to=S.OPEN, by=by, deadline=deadline)


@transaction.atomic
def period_start_appraisal(*, period: Period, by, reason: str = "") -> Period:
    return _move(period=period, to=S.APPRAISAL, by=by, reason=reason)


@transaction.atomic
def period_request_explanation(*, period: Period, by, reason: str = "") -> Period:
    return _move(period=period, to=S.EXPLANATION, by=by, reason=reason)


@transaction.atomic
def period_start_second_round(*, period: Period, by, reason: str = "") -> Period:
    return _move(period=period, to=S.APPRAISAL_2, by=by, reason=reason)


@transaction.atomic
def period_approve(*, period: Period, by, reason: str = "") -> Period:
    """Approve the table; straight from round 1 (skipping the explanation step) only with a reason."""
    return _move(period=period, to=S.APPROVED, by=by, reason=reason)


@transaction.atomic
def period_back_to_explanation(*, period: Period, by, reason: str) -> Period:
    """From round 2 back to the explanation step, while nothing is approved: the units explain again."""
    return _move(period=period, to=S.EXPLANATION, by=by, reason=reason)


@transaction.atomic
def period_reopen_self_assessment(*, period: Period, by, reason: str) -> Period:
    return _move(period=period, to=S.OPEN, by=by, reason=reason)


@transaction.atomic
def period_lock(*, period: Period, by) -> Period:
    return _move(period=period, to=S.LOCKED, by=by)


def submission_status(period: Period, unit) -> str:
    """Where the unit's file stands (not started when it has none yet)."""
    found = Submission.objects.filter(period=period, unit=unit).values_list("status", flat=True).first()
    return found or Submission.Status.NOT_STARTED


def submission_for(period: Period, unit) -> Submission:
    submission, _ = Submission.objects.select_for_update().get_or_create(period=period, unit=unit)
    return submission


def _set_submission(submission: Submission, status: str, by, reason: str = "") -> None:
    old = submission.status
    submission.status = status
    if status == Submission.Status.SUBMITTED:
        submission.submitted_at = timezone.now()
    submission.save()
    audit.record(
        period=submission.period,
        unit=submission.unit,
        by=by,
        action=AuditEntry.Action.SUBMISSION,
        old=Submission.Status(old).label,
        new=Submission.Status(status).label,
        reason=reason,
    )


@transaction.atomic
def submission_submit(*, period: Period, unit, by) -> Submission:
    """The unit hands in its self-assessment: complete, with evidence or an explanation for each point."""
    period = _locked_period(period)
    submission = submission_for(period, unit)
    permissions.require(permissions.can_edit_self(by, period, unit, submission.status))
    missing, unexplained = _incomplete(period, unit)
    if missing or unexplained:
        # One summary, and each criterion's message keyed to its field, so the sheet can point at the rows.
        errors = {key(leaf.pk, "self_points"): [E_MISSING_SELF.format(code=leaf.code)] for leaf in missing}
        errors |= {key(leaf.pk, "explanation"): [E_NEEDS_EXPLANATION.format(code=leaf.code)] for leaf in unexplained}
        parts = [E_COUNT_MISSING.format(n=len(missing))] if missing else []
        parts += [E_COUNT_UNEXPLAINED.format(n=len(unexplained))] if unexplained else []
        errors["__all__"] = [E_NOT_SUBMITTED.format(parts="; ".join(parts))]
        raise ValidationError(errors)
    _set_submission(submission, Submission.Status.SUBMITTED, by)
    return submission


def _incomplete(period: Period, unit) -> tuple[list, list]:
    """The self-assessed leaves without points, and those with points (a bonus proposed too) but neither evidence
    nor explanation."""
    leaves = Criterion.objects.leaves_of(period.criteria_set_id).filter(method__in=(Method.SELF, Method.BONUS))
    scores = {s.criterion_id: s for s in Score.objects.filter(period=period, unit=unit)}
    backed = set(
        Evidence.objects.filter(score__period=period, score__unit=unit, removed=False).values_list(
            "score__criterion_id", flat=True
        )
    )
    missing, unexplained = [], []
    for leaf in leaves:
        score = scores.get(leaf.pk)
        if score and score.not_applicable:
            continue
        if (score is None or score.self_points is None) and leaf.method == Method.SELF:
            missing.append(leaf)
        elif score and score.self_points and leaf.pk not in backed and not score.explanation.strip():
            unexplained.append(leaf)
    return missing, unexplained


def _unit_move(period: Period, unit, by, allowed, status: str) -> Submission:
    """A unit's own move of its submission: lock the period, check the rule, record the move."""
    period = _locked_period(period)
    submission = submission_for(period, unit)
    permissions.require(allowed(by, period, unit, submission.status))
    _set_submission(submission, status, by)
    return submission


@transaction.atomic
def submission_withdraw(*, period: Period, unit, by) -> Submission:
    """Before the deadline the unit may take its submission back to correct it."""
    return _unit_move(period, unit, by, permissions.can_withdraw, Submission.Status.DRAFT)


@transaction.atomic
def submission_explain(*, period: Period, unit, by) -> Submission:
    """The unit hands in its explanations (giải trình) between the two appraisal rounds."""
    return _unit_move(period, unit, by, permissions.can_explain, Submission.Status.EXPLAINED)


@transaction.atomic
def appraisal_complete(*, period: Period, unit, by) -> Submission:
    """The appraiser marks a unit's appraisal round as done."""
    period = _locked_period(period)
    permissions.require(permissions.can_appraise(by, period, unit))
    submission = submission_for(period, unit)
    status = Submission.Status.APPRAISED_1 if period.status == S.APPRAISAL else Submission.Status.APPRAISED_2
    if submission.status == status:
        raise ValidationError(E_SUBMISSION_STATE.format(state=submission.get_status_display(), action="ghi nhận lại"))
    if submission.status in (Submission.Status.NOT_STARTED, Submission.Status.DRAFT):
        raise ValidationError(E_ROUND_NOT_SUBMITTED)
    missing = _unappraised(period, unit)
    if missing:
        raise ValidationError(
            {"__all__": [E_ROUND_INCOMPLETE.format(n=len(missing))]}
            | {key(leaf.pk, "appraised_points"): [E_MISSING_APPRAISAL.format(code=leaf.code)] for leaf in missing}
        )
    _set_submission(submission, status, by)
    return submission


def _unappraised(period: Period, unit) -> list[Criterion]:
    """The leaves the appraiser must give points on before the round is done: the applicable self-assessed ones,
    and the bonus leaves the unit proposed points on (survey points and deductions are Sở Nội vụ's)."""
    leaves = Criterion.objects.leaves_of(period.criteria_set_id).filter(method__in=(Method.SELF, Method.BONUS))
    scores = {s.criterion_id: s for s in Score.objects.filter(period=period, unit=unit)}
    return [leaf for leaf in leaves if needs_points(leaf, _points(scores.get(leaf.pk)))]


def _points(score) -> Points:
    return Points(score.self_points, score.appraised_points, score.not_applicable) if score else NO_POINTS


def period_move(
    *, period: Period, move: Move, by, reason: str = "", deadline: datetime | None = None, confirm: str = "", **decision
):
    """Make one move of the table: the service of the move, with what the move asks for. A move that cannot
    be undone (publication, locking) is made only when the year — or the decision number — is typed."""
    from scoring.services import period_publish  # publishing computes the table: it lives with the results

    if move.needs_confirmation:
        accepted = {str(period.year), str(decision.get("decision_number", "")).strip()} - {""}
        if confirm.strip() not in accepted:
            what = f"năm đánh giá ({period.year})" + (" hoặc số quyết định" if move.needs_decision else "")
            raise ValidationError(E_CONFIRM.format(label=move.label, what=what))
    if move.needs_decision:
        return period_publish(period=period, by=by, **decision)
    if move.needs_deadline:
        return period_open(period=period, deadline=deadline, by=by)
    with transaction.atomic():
        return _move(period=period, to=move.target, by=by, reason=reason if move.takes_reason else "")


E_MOVED = "Trang này đã cũ: {what}. Những gì bạn vừa nhập chưa được lưu."
E_MOVED_UNKNOWN = "Trang này đã cũ: hồ sơ không còn sửa được ở bước này. Những gì bạn vừa nhập chưa được lưu."


def what_moved(period: Period, unit=None) -> str:
    """What changed since a page was drawn, in a sentence: the period's or the unit's file's latest move, when and
    by whom ("kỳ đánh giá đã chuyển sang “Đã công bố” lúc 14:02 ngày 03/12/2026, do quantri thực hiện")."""
    moves = AuditEntry.objects.filter(period=period, action=AuditEntry.Action.PERIOD_STATUS)
    if unit is not None:
        moves = AuditEntry.objects.filter(period=period).filter(
            Q(action=AuditEntry.Action.PERIOD_STATUS) | Q(action=AuditEntry.Action.SUBMISSION, unit=unit)
        )
    latest = moves.select_related("by").order_by("-at", "-pk").first()
    if latest is None:
        return E_MOVED_UNKNOWN
    what = "kỳ đánh giá" if latest.action == AuditEntry.Action.PERIOD_STATUS else f"hồ sơ của {unit.name}"
    when = timezone.localtime(latest.at).strftime("%H:%M ngày %d/%m/%Y")
    who = f", do {latest.by.get_full_name() or latest.by.get_username()} thực hiện" if latest.by else ""
    return E_MOVED.format(what=f"{what} đã chuyển sang “{latest.new}” lúc {when}{who}")
