"""The period's state machine move by move, and each unit's submission: allowed and refused moves."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from scoring import workflow
from scoring.models import AuditEntry, Evidence, Period, Score, Submission
from scoring.progress import period_progress
from scoring.queries import days_left
from scoring.results import unit_sums_refresh
from scoring.scores import Change, scores_save

S = Period.Status

SKIP = {"reason": "Không đơn vị nào bị trừ điểm ở vòng 1"}
ALLOWED = [
    (S.DRAFT, workflow.period_open, S.OPEN, {}),
    (S.OPEN, workflow.period_start_appraisal, S.APPRAISAL, {}),
    (S.APPRAISAL, workflow.period_request_explanation, S.EXPLANATION, {}),
    (S.EXPLANATION, workflow.period_start_second_round, S.APPRAISAL_2, {}),
    (S.APPRAISAL, workflow.period_approve, S.APPROVED, SKIP),
    (S.APPRAISAL_2, workflow.period_approve, S.APPROVED, {}),
    (S.APPRAISAL_2, workflow.period_back_to_explanation, S.EXPLANATION, {"reason": "Đơn vị cần giải trình thêm"}),
    (S.PUBLISHED, workflow.period_lock, S.LOCKED, {}),
]


# Each move's readiness, met: what the units must have done before the move is allowed.
READY = {
    S.OPEN: Submission.Status.SUBMITTED,
    S.APPRAISAL: Submission.Status.APPRAISED_1,
    S.EXPLANATION: Submission.Status.EXPLAINED,
    S.APPRAISAL_2: Submission.Status.APPRAISED_2,
}


def make_ready(cast, start) -> None:
    """Every unit with every leaf filled and appraised, its submission where the move from `start` needs it."""
    if start not in READY:
        return
    for unit in (cast.unit_a, cast.unit_b, cast.unit_c):
        for leaf in cast.leaf.values():
            Score.objects.update_or_create(
                period=cast.period,
                unit=unit,
                criterion=leaf,
                defaults={"self_points": Decimal(0), "appraised_points": Decimal(0)},
            )
        unit_sums_refresh(cast.period, [unit.pk])
        Submission.objects.update_or_create(period=cast.period, unit=unit, defaults={"status": READY[start]})


def call(service, cast, by=None, **extra):
    kwargs = {"period": cast.period, "by": by or cast.admin, **extra}
    if service is workflow.period_open:
        kwargs.setdefault("deadline", timezone.now() + timedelta(days=7))
    return service(**kwargs)


@pytest.mark.parametrize("start, service, end, extra", ALLOWED, ids=[f"{a}->{c}" for a, _, c, _ in ALLOWED])
def test_each_allowed_move_changes_the_state_and_is_recorded(cast, start, service, end, extra):
    make_ready(cast, start)
    cast.set_status(start)
    call(service, cast, **extra)
    cast.period.refresh_from_db()
    assert cast.period.status == end
    entry = AuditEntry.objects.get(period=cast.period, action=AuditEntry.Action.PERIOD_STATUS)
    assert (entry.by, entry.old, entry.new) == (cast.admin, S(start).label, S(end).label)


REFUSED = [
    (S.DRAFT, workflow.period_start_appraisal),
    (S.DRAFT, workflow.period_approve),
    (S.OPEN, workflow.period_approve),
    (S.OPEN, workflow.period_request_explanation),
    (S.APPRAISAL, workflow.period_lock),
    (S.EXPLANATION, workflow.period_approve),
    (S.APPROVED, workflow.period_lock),
    (S.PUBLISHED, workflow.period_start_appraisal),
    (S.LOCKED, workflow.period_start_appraisal),
    (S.LOCKED, workflow.period_open),
]


@pytest.mark.parametrize("start, service", REFUSED, ids=[f"{a}-{s.__name__}" for a, s in REFUSED])
def test_a_move_from_the_wrong_state_is_refused_and_nothing_changes(cast, start, service):
    cast.set_status(start)
    with pytest.raises(ValidationError, match="Không thể chuyển kỳ đánh giá"):
        call(service, cast)
    cast.period.refresh_from_db()
    assert cast.period.status == start
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", ["staff_a", "appraiser"])
def test_only_the_administrator_moves_a_period(cast, role):
    with pytest.raises(PermissionDenied):
        call(workflow.period_start_appraisal, cast, by=getattr(cast, role))
    cast.period.refresh_from_db()
    assert cast.period.status == S.OPEN


def test_moving_back_needs_a_reason(cast):
    cast.set_status(S.APPRAISAL)
    with pytest.raises(ValidationError, match="lý do"):
        workflow.period_reopen_self_assessment(period=cast.period, by=cast.admin, reason=" ")
    workflow.period_reopen_self_assessment(period=cast.period, by=cast.admin, reason="Đơn vị xin bổ sung hồ sơ")
    cast.period.refresh_from_db()
    assert cast.period.status == S.OPEN
    assert AuditEntry.objects.get().reason == "Đơn vị xin bổ sung hồ sơ"


def test_opening_needs_a_future_deadline(cast):
    cast.set_status(S.DRAFT)
    with pytest.raises(ValidationError, match="hạn tự đánh giá"):
        workflow.period_open(period=cast.period, by=cast.admin, deadline=timezone.now() - timedelta(hours=1))
    cast.period.refresh_from_db()
    assert cast.period.status == S.DRAFT


def fill(cast, unit, by, values):
    scores_save(
        period=cast.period,
        unit=unit,
        by=by,
        changes=[Change(field, cast.leaf[code].pk, value) for code, field, value in values],
    )


def test_a_unit_submits_only_a_complete_self_assessment(cast):
    fill(cast, cast.unit_a, cast.staff_a, [("1.1", "self_points", "2,5"), ("2", "self_points", "40")])
    with pytest.raises(ValidationError) as error:
        workflow.submission_submit(period=cast.period, unit=cast.unit_a, by=cast.staff_a)
    leaf = cast.leaf
    assert error.value.message_dict == {
        "__all__": [
            "Chưa nộp được hồ sơ: 1 tiêu chí chưa có điểm tự đánh giá; 2 tiêu chí có điểm nhưng chưa có minh chứng "
            "hay giải trình. Các tiêu chí cần xử lý được đánh dấu trong bảng."
        ],
        f"{leaf['1.1'].pk}-explanation": ["Tiêu chí 1.1: có điểm nhưng chưa có minh chứng, cần nhập giải trình."],
        f"{leaf['1.2'].pk}-self_points": ["Tiêu chí 1.2: chưa nhập điểm tự đánh giá."],
        f"{leaf['2'].pk}-explanation": ["Tiêu chí 2: có điểm nhưng chưa có minh chứng, cần nhập giải trình."],
    }
    assert Submission.objects.get(unit=cast.unit_a).status == Submission.Status.DRAFT
    fill(
        cast, cast.unit_a, cast.staff_a, [("1.1", "explanation", "Văn bản đang trình ký"), ("1.2", "self_points", "0")]
    )
    score = Score.objects.get(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"])
    Evidence.objects.create(score=score, link="https://vanban.example.gov.vn/1", uploaded_by=cast.staff_a)
    workflow.submission_submit(period=cast.period, unit=cast.unit_a, by=cast.staff_a)
    submission = Submission.objects.get(unit=cast.unit_a)
    assert submission.status == Submission.Status.SUBMITTED and submission.submitted_at is not None


def submitted(cast):
    fill(
        cast,
        cast.unit_a,
        cast.staff_a,
        [("1.1", "self_points", "0"), ("1.2", "self_points", "0"), ("2", "self_points", "0")],
    )
    workflow.submission_submit(period=cast.period, unit=cast.unit_a, by=cast.staff_a)


def test_a_submitted_sheet_is_read_only_for_the_unit_until_withdrawn(cast):
    submitted(cast)
    with pytest.raises(PermissionDenied):
        fill(cast, cast.unit_a, cast.staff_a, [("1.1", "self_points", "1")])
    workflow.submission_withdraw(period=cast.period, unit=cast.unit_a, by=cast.staff_a)
    fill(cast, cast.unit_a, cast.staff_a, [("1.1", "self_points", "1")])
    assert Score.objects.get(unit=cast.unit_a, criterion=cast.leaf["1.1"]).self_points == Decimal("1")


def test_after_the_deadline_the_unit_can_neither_edit_nor_withdraw(cast):
    submitted(cast)
    type(cast.period).objects.filter(pk=cast.period.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    cast.period.refresh_from_db()
    with pytest.raises(PermissionDenied):
        workflow.submission_withdraw(period=cast.period, unit=cast.unit_a, by=cast.staff_a)
    with pytest.raises(PermissionDenied):
        fill(cast, cast.unit_b, cast.staff_b, [("1.1", "self_points", "1")])


def test_explanation_between_rounds_then_second_round_appraisal_keeps_every_round(cast):
    submitted(cast)
    cast.set_status(S.APPRAISAL)
    fill(cast, cast.unit_a, cast.appraiser, [("2", "appraised_points", "30"), ("2", "appraiser_comment", "Thiếu")])
    with pytest.raises(ValidationError, match="2 tiêu chí chưa có điểm thẩm định") as incomplete:
        workflow.appraisal_complete(period=cast.period, unit=cast.unit_a, by=cast.appraiser)
    assert set(incomplete.value.message_dict) == {
        "__all__",
        f"{cast.leaf['1.1'].pk}-appraised_points",
        f"{cast.leaf['1.2'].pk}-appraised_points",
    }  # the survey leaf is the Department's, not the appraiser's
    fill(cast, cast.unit_a, cast.appraiser, [("1.1", "appraised_points", "0"), ("1.2", "appraised_points", "0")])
    workflow.appraisal_complete(period=cast.period, unit=cast.unit_a, by=cast.appraiser)
    with pytest.raises(ValidationError, match="chưa nộp hồ sơ nên không có vòng thẩm định"):
        workflow.appraisal_complete(period=cast.period, unit=cast.unit_b, by=cast.admin)
    workflow.period_request_explanation(period=cast.period, by=cast.admin)
    with pytest.raises(PermissionDenied):  # points are frozen for the unit during explanation
        fill(cast, cast.unit_a, cast.staff_a, [("2", "self_points", "50")])
    with pytest.raises(PermissionDenied):  # so is the explanation it submitted: the answer goes beside it
        fill(cast, cast.unit_a, cast.staff_a, [("2", "explanation", "Viết đè")])
    fill(cast, cast.unit_a, cast.staff_a, [("2", "response", "Bổ sung Quyết định 12/QĐ")])
    workflow.submission_explain(period=cast.period, unit=cast.unit_a, by=cast.staff_a)
    workflow.period_start_second_round(period=cast.period, by=cast.admin)
    fill(cast, cast.unit_a, cast.appraiser, [("2", "appraised_points", "45"), ("2", "appraiser_comment", "Đã đủ")])
    workflow.appraisal_complete(period=cast.period, unit=cast.unit_a, by=cast.appraiser)
    assert Submission.objects.get(unit=cast.unit_a).status == Submission.Status.APPRAISED_2
    score = Score.objects.get(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"])
    rounds = (
        score.round1_points,
        score.round1_comment,
        score.response,
        score.appraised_points,
        score.appraiser_comment,
    )
    assert rounds == (Decimal("30"), "Thiếu", "Bổ sung Quyết định 12/QĐ", Decimal("45"), "Đã đủ")
    trail = list(
        AuditEntry.objects.filter(criterion=cast.leaf["2"], action=AuditEntry.Action.APPRAISED_POINTS)
        .order_by("at", "pk")
        .values_list("old", "new", "by__username")
    )
    assert trail == [("", "30", "thamdinh"), ("30", "45", "thamdinh")]


def test_points_outside_zero_to_maximum_are_refused_naming_the_criterion(cast):
    with pytest.raises(ValidationError) as error:
        fill(
            cast,
            cast.unit_a,
            cast.staff_a,
            [
                ("1.1", "self_points", "2,75"),
                ("1.2", "self_points", "-1"),
                ("2", "self_points", "abc"),
            ],
        )
    assert error.value.message_dict == {
        f"{cast.leaf['1.1'].pk}-self_points": ["Tiêu chí 1.1: điểm 2,75 vượt quá điểm tối đa 2,5."],
        f"{cast.leaf['1.2'].pk}-self_points": ["Tiêu chí 1.2: điểm -1 là số âm; điểm phải từ 0 đến 7,5."],
        f"{cast.leaf['2'].pk}-self_points": [
            "Tiêu chí 2: “abc” không phải là số (viết như 12,5 hoặc 12.5, không dùng dấu phân cách hàng nghìn)."
        ],
    }
    assert not Score.objects.filter(unit=cast.unit_a).exists()


@pytest.mark.parametrize("status", [s for s in S.values if s != S.LOCKED])
def test_the_dashboard_offers_exactly_the_moves_of_the_workflow_table(cast, status):
    from django.test import Client

    from scoring.workflow import moves_from

    cast.set_status(status)
    client = Client()
    client.force_login(cast.admin)
    page = client.get(f"/cham-diem/ky/{cast.period.pk}/").content.decode()
    offered = re.findall(r'<input type="hidden" name="move" value="([a-z_]+)">', page)
    assert offered == [move.name for move in moves_from(status)]
    assert offered, status  # every status but locked has a way forward


def test_approving_straight_from_round_one_needs_a_reason_and_says_it_skips_the_explanation(cast):
    make_ready(cast, S.APPRAISAL)
    cast.set_status(S.APPRAISAL)
    with pytest.raises(ValidationError, match="bỏ qua giải trình"):
        workflow.period_approve(period=cast.period, by=cast.admin)
    cast.period.refresh_from_db()
    assert cast.period.status == S.APPRAISAL
    move = workflow.move_named(S.APPRAISAL, "approve")
    assert move.needs_reason and "bỏ qua bước giải trình" in move.warning


def test_after_approving_from_round_one_the_explanation_step_can_still_be_reached(cast):
    """Approved from round 1 by mistake: back to round 2, then back to the explanation step, where the units explain
    the cuts of round 1 (recorded then, since round 1 was never kept)."""
    make_ready(cast, S.APPRAISAL)
    cast.set_status(S.APPRAISAL)
    cast.score(cast.unit_a, "2", self_points=Decimal(60), appraised_points=Decimal(40))
    workflow.period_approve(period=cast.period, by=cast.admin, reason="nhầm")
    cast.period.refresh_from_db()
    reached = [cast.period.status]
    for name in ("back_to_second_round", "back_to_explanation"):
        move = workflow.move_named(cast.period.status, name)
        workflow.period_move(period=cast.period, move=move, by=cast.admin, reason="Cần cho đơn vị giải trình")
        cast.period.refresh_from_db()
        reached.append(cast.period.status)
    assert reached == [S.APPROVED, S.APPRAISAL_2, S.EXPLANATION]
    score = Score.objects.get(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"])
    assert score.round1_points == Decimal(40)  # what the unit is asked to explain
    assert Submission.objects.get(period=cast.period, unit=cast.unit_a).status == Submission.Status.APPRAISED_1


# --- Days left before the deadline, counted from a moment passed in rather than the test's clock ---------------


@pytest.mark.parametrize(
    "left, days, says",
    [
        (timedelta(days=10), 10, "Chưa hết hạn tự đánh giá (còn 10 ngày)."),
        (timedelta(days=9, hours=23, minutes=59), 9, "Chưa hết hạn tự đánh giá (còn 9 ngày)."),
        (-timedelta(seconds=1), -1, "Đã hết hạn tự đánh giá."),
    ],
)
def test_the_days_left_are_whole_days_from_the_moment_given(cast, left, days, says):
    now = datetime(2025, 4, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hà Nội: a clock read would change day here
    Period.objects.filter(pk=cast.period.pk).update(deadline=now + left)
    cast.period.refresh_from_db()
    start = next(move for move in workflow.MOVES if move.name == "start_appraisal")
    progress = period_progress(cast.period, now=now)
    assert workflow.readiness(progress, start).checks[0].text == says
    assert progress.days_left == days_left(cast.period, now=now) == days  # the dashboard's "(còn N ngày)"
    assert progress.deadline_passed is (days < 0)
