"""Reminders and notices: who is told what, by e-mail through Django's mail framework, never twice, and the same
items on each person's work list."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from scoring import notices
from scoring.models import Notice, Period, Score, Submission

pytestmark = pytest.mark.django_db

S = Period.Status
U = Submission.Status


@pytest.fixture
def cast_with_addresses(cast):
    for account, address in (
        (cast.staff_a, "a@so-tu-phap.gov.vn"),
        (cast.staff_b, "b@so-y-te.gov.vn"),
        (cast.appraiser, "thamdinh@snv.gov.vn"),
        (cast.other_appraiser, "khac@snv.gov.vn"),
        (cast.admin, "quantri@snv.gov.vn"),
    ):
        account.email = address
        account.save(update_fields=["email"])
    return cast


def deadline_in(cast, delta, now=None):
    Period.objects.filter(pk=cast.period.pk).update(deadline=(now or timezone.now()) + delta)
    cast.period.refresh_from_db()


def submit(cast, unit, status=U.SUBMITTED):
    Submission.objects.update_or_create(period=cast.period, unit=unit, defaults={"status": status})


def outbox_to(address):
    return [m for m in mail.outbox if address in m.to]


def test_units_that_have_not_submitted_are_reminded_once_before_the_deadline(cast_with_addresses):
    deadline_in(cast_with_addresses, timedelta(days=2, hours=1))
    submit(cast_with_addresses, cast_with_addresses.unit_b)
    call_command("send_notices", base_url="https://cchc.example.gov.vn")
    assert [m.to for m in mail.outbox] == [["a@so-tu-phap.gov.vn"]]  # unit_b submitted; unit_c has nobody
    message = mail.outbox[0]
    assert message.subject == "[Cổng CCHC] Sắp đến hạn tự đánh giá"
    assert "Hồ sơ tự đánh giá của Sở Tư pháp" in message.body and "còn 2 ngày" in message.body
    entry = reverse("scoring:entry", args=[cast_with_addresses.period.pk, cast_with_addresses.unit_a.code])
    assert f"https://cchc.example.gov.vn{entry}" in message.body
    call_command("send_notices")
    call_command("send_notices")
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(kind=Notice.Kind.DEADLINE).count() == 1


def test_no_reminder_while_the_deadline_is_far_or_past(cast_with_addresses):
    deadline_in(cast_with_addresses, timedelta(days=10))
    assert notices.send() == (0, 0)
    deadline_in(cast_with_addresses, -timedelta(hours=1))
    assert notices.send() == (0, 0)
    assert mail.outbox == []


def test_a_file_returned_for_explanation_tells_its_unit_how_many_criteria_were_cut(cast_with_addresses):
    cast_with_addresses.set_status(S.EXPLANATION)
    submit(cast_with_addresses, cast_with_addresses.unit_a, U.APPRAISED_1)
    submit(cast_with_addresses, cast_with_addresses.unit_b, U.EXPLAINED)  # already answered: nothing to tell
    for code, own, round1 in (("1.1", "2.5", "1"), ("1.2", "7.5", "7.5"), ("2", "60", "50")):
        Score.objects.create(
            period=cast_with_addresses.period,
            unit=cast_with_addresses.unit_a,
            criterion=cast_with_addresses.leaf[code],
            self_points=Decimal(own),
            appraised_points=Decimal(round1),
            round1_points=Decimal(round1),
        )
    notices.send()
    (message,) = mail.outbox
    assert message.to == ["a@so-tu-phap.gov.vn"]
    assert "được trả về để giải trình: 2 tiêu chí bị trừ điểm ở vòng 1" in message.body


def test_an_open_round_tells_only_the_appraisers_assigned_to_waiting_units(cast_with_addresses):
    cast_with_addresses.set_status(S.APPRAISAL)
    submit(cast_with_addresses, cast_with_addresses.unit_a)
    submit(cast_with_addresses, cast_with_addresses.unit_b)
    notices.send()
    (message,) = mail.outbox  # the appraiser of unit_a; nobody is assigned unit_b
    assert message.to == ["thamdinh@snv.gov.vn"]
    assert "thẩm định vòng 1" in message.body and "1 đơn vị được phân công cho bạn" in message.body
    cast_with_addresses.set_status(S.APPRAISAL_2)
    submit(cast_with_addresses, cast_with_addresses.unit_a, U.EXPLAINED)
    notices.send()
    assert [m.to for m in mail.outbox][1:] == [["thamdinh@snv.gov.vn"]]
    assert "vòng 2" in mail.outbox[1].body


def test_the_administrator_hears_when_every_unit_has_submitted_and_when_every_unit_is_appraised(cast_with_addresses):
    for unit in (cast_with_addresses.unit_a, cast_with_addresses.unit_b):
        submit(cast_with_addresses, unit)
    notices.send()
    assert outbox_to("quantri@snv.gov.vn") == []
    submit(cast_with_addresses, cast_with_addresses.unit_c)
    notices.send()
    notices.send()
    (submitted,) = outbox_to("quantri@snv.gov.vn")
    assert submitted.subject == "[Cổng CCHC] Mọi đơn vị đã nộp"
    assert "Cả 3 đơn vị của kỳ" in submitted.body
    cast_with_addresses.set_status(S.APPRAISAL)
    for unit in (cast_with_addresses.unit_a, cast_with_addresses.unit_b, cast_with_addresses.unit_c):
        submit(cast_with_addresses, unit, U.APPRAISED_1)
    notices.send()
    assert [m.subject for m in outbox_to("quantri@snv.gov.vn")][1:] == ["[Cổng CCHC] Mọi đơn vị đã được thẩm định"]


def test_a_mail_that_fails_is_not_recorded_and_goes_out_on_the_next_run(cast_with_addresses):
    deadline_in(cast_with_addresses, timedelta(days=1))
    with mock.patch("scoring.notices.send_mail", side_effect=OSError("máy chủ thư không trả lời")):
        assert notices.send() == (0, 2)
    assert not Notice.objects.exists() and mail.outbox == []
    assert notices.send() == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@so-tu-phap.gov.vn", "b@so-y-te.gov.vn"]


def test_a_person_without_an_address_still_gets_the_notice_on_the_work_list(cast_with_addresses, client):
    cast_with_addresses.staff_a.email = ""
    cast_with_addresses.staff_a.save(update_fields=["email"])
    deadline_in(cast_with_addresses, timedelta(days=1))
    notices.send()
    assert [m.to for m in mail.outbox] == [["b@so-y-te.gov.vn"]]
    assert Notice.objects.filter(user=cast_with_addresses.staff_a).exists()
    client.force_login(cast_with_addresses.staff_a)
    page = client.get(reverse("scoring:work_list")).content.decode()
    assert "Việc cần làm" in page and "Hồ sơ tự đánh giá của Sở Tư pháp" in page
    assert "Sở Y tế" not in page  # another unit's reminder is not shown


def test_the_work_list_shows_what_is_due_until_it_is_done(cast_with_addresses, client):
    deadline_in(cast_with_addresses, timedelta(days=1))
    client.force_login(cast_with_addresses.staff_a)
    assert "Sắp đến hạn tự đánh giá" in client.get(reverse("scoring:work_list")).content.decode()
    submit(cast_with_addresses, cast_with_addresses.unit_a)
    assert "Sắp đến hạn tự đánh giá" not in client.get(reverse("scoring:work_list")).content.decode()
    cast_with_addresses.set_status(S.APPRAISAL)
    client.force_login(cast_with_addresses.appraiser)
    page = client.get(reverse("scoring:work_list")).content.decode()
    assert "Vòng thẩm định đã mở" in page and reverse("scoring:dashboard", args=[cast_with_addresses.period.pk]) in page
    client.force_login(cast_with_addresses.other_appraiser)
    assert "Việc cần làm" not in client.get(reverse("scoring:work_list")).content.decode()


def test_a_demonstration_period_is_never_mailed_but_its_work_is_listed(cast_with_addresses, client):
    demo = Period.objects.create(
        year=2024,
        block=cast_with_addresses.period.block,
        criteria_set=cast_with_addresses.criteria,
        grade_scheme=cast_with_addresses.period.grade_scheme,
        status=S.OPEN,
        deadline=timezone.now() + timedelta(days=1),
        is_demo=True,
    )
    assert notices.send() == (0, 0)
    assert mail.outbox == []
    client.force_login(cast_with_addresses.staff_a)
    page = client.get(reverse("scoring:work_list")).content.decode()
    assert (
        "Sắp đến hạn tự đánh giá" in page and f"{cast_with_addresses.unit_a.name} ({demo.block.name} năm 2024)" in page
    )


def test_the_work_list_shows_far_deadlines_and_progress_that_are_not_mailed(cast_with_addresses, client):
    deadline_in(cast_with_addresses, timedelta(days=9, hours=12))
    Score.objects.create(
        period=cast_with_addresses.period,
        unit=cast_with_addresses.unit_a,
        criterion=cast_with_addresses.leaf["1.1"],
        self_points=Decimal("1"),
    )
    submit(cast_with_addresses, cast_with_addresses.unit_c)
    client.force_login(cast_with_addresses.staff_a)
    page = client.get(reverse("scoring:work_list")).content.decode()
    assert "Hồ sơ tự đánh giá của Sở Tư pháp" in page and "đã nhập điểm 1/3 tiêu chí" in page and "còn 9 ngày" in page
    assert 'Hồ sơ của Sở Tư pháp</a> <span class="small muted">(chưa bắt đầu)</span>' in page
    client.force_login(cast_with_addresses.admin)
    page = client.get(reverse("scoring:work_list")).content.decode()
    assert "1/3 đơn vị đã nộp hồ sơ tự đánh giá" in page
    assert notices.send() == (0, 0) and mail.outbox == []  # neither is mailed


def test_the_reminder_counts_whole_days_then_hours_from_the_moment_given(cast_with_addresses):
    """Counted from `now` passed in, not from the clock the test runs by: the text cannot change at midnight."""
    now = datetime(2025, 4, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hà Nội
    for left, says in (
        (timedelta(days=2, hours=23), "còn 2 ngày"),
        (timedelta(days=1), "còn 1 ngày"),
        (timedelta(hours=5, minutes=30), "còn 5 giờ"),
        (timedelta(minutes=20), "còn 1 giờ"),
    ):
        deadline_in(cast_with_addresses, left, now=now)
        texts = [item.text for item in notices.due(now=now) if item.kind == Notice.Kind.DEADLINE]
        assert len(texts) == 2 and all(says in text for text in texts), (says, texts)  # units A and B have staff
