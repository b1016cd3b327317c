"""`period_publish`: totals from appraised points, grades and ranks written once, all or nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from scoring.models import AuditEntry, Period, Result, Score
from scoring.services import period_publish
from tests.conftest import make_units

LEAVES = ("1.1", "1.2", "2", "3", "T", "D")


def score(period, unit, points: dict[str, str | None], not_applicable=()):
    leaves = {c.code: c for c in period.criteria_set.criteria.all()}
    for code in LEAVES:
        Score.objects.create(
            period=period,
            unit=unit,
            criterion=leaves[code],
            self_points=None,
            appraised_points=None if points.get(code) is None else Decimal(points[code]),
            not_applicable=code in not_applicable,
        )


def full(**overrides):
    points = {"1.1": "25.5", "1.2": "14.5", "2": "35", "3": "25", "T": "0", "D": "0"}
    points.update({k.replace("_", "."): v for k, v in overrides.items()})
    return points


@pytest.mark.django_db
def test_publishing_computes_totals_grades_and_ranks_from_appraised_points(approved_period, so, administrator):
    a, b, c = make_units(so, ["Sở Xây dựng", "Sở Y tế", "Sở Tư pháp"])
    score(approved_period, a, full(**{"2": "30.25", "3": "20.125"}))  # 40 + 30.25 + 20.125 = 90.375
    score(approved_period, b, full(**{"2": "20", "T": "1.5", "D": "0.75"}))  # 40 + 20 + 25 + 1.5 - 0.75 = 85.75
    score(approved_period, c, full(**{"1_1": "10", "2": "10", "3": "10"}))  # 10 + 14.5 + 10 + 10 = 44.5
    period_publish(
        period=approved_period, decision_number="12/QĐ-UBND", decision_date=date(2025, 1, 4), by=administrator
    )
    table = list(
        Result.objects.filter(period=approved_period)
        .order_by("position")
        .values_list("unit__name", "total", "grade", "rank")
    )
    assert table == [
        ("Sở Xây dựng", Decimal("90.375"), "Xuất sắc", 1),
        ("Sở Y tế", Decimal("85.75"), "Tốt", 2),
        ("Sở Tư pháp", Decimal("44.5"), "Yếu", 3),
    ]
    approved_period.refresh_from_db()
    assert approved_period.status == Period.Status.PUBLISHED
    assert (approved_period.decision_number, approved_period.decision_date) == ("12/QĐ-UBND", date(2025, 1, 4))


@pytest.mark.django_db
def test_tied_units_share_a_rank_and_are_listed_in_vietnamese_alphabetical_order(approved_period, so, administrator):
    units = make_units(so, ["Sở Y tế", "Sở Đào tạo", "Sở Du lịch", "Sở An ninh"])
    score(approved_period, units[0], full(**{"2": "30"}))
    score(approved_period, units[1], full(**{"2": "30"}))
    score(approved_period, units[2], full(**{"2": "30"}))
    score(approved_period, units[3], full(**{"2": "20"}))
    period_publish(period=approved_period, decision_number="1", decision_date=None, by=administrator)
    table = list(Result.objects.filter(period=approved_period).order_by("position").values_list("unit__name", "rank"))
    assert table == [("Sở Du lịch", 1), ("Sở Đào tạo", 1), ("Sở Y tế", 1), ("Sở An ninh", 4)]


@pytest.mark.django_db
def test_a_not_applicable_criterion_shrinks_the_maximum(approved_period, so, administrator):
    (unit,) = make_units(so, ["Sở Ngoại vụ"])
    # Criterion 2 (35 points) does not apply: 40 + 20 achieved of an applicable 65 → 92.307692 (6 decimals kept).
    score(approved_period, unit, full(**{"2": None, "3": "20"}), not_applicable={"2"})
    period_publish(period=approved_period, decision_number="1", decision_date=None, by=administrator)
    result = Result.objects.get(period=approved_period)
    assert result.total == Decimal("92.307692")
    assert result.grade == "Xuất sắc"


@pytest.mark.django_db
def test_missing_appraised_points_are_listed_and_nothing_is_published(approved_period, so, administrator):
    a, b = make_units(so, ["Sở A", "Sở B"])
    score(approved_period, a, full())
    score(approved_period, b, full(**{"1_2": None}))
    with pytest.raises(ValidationError) as error:
        period_publish(period=approved_period, decision_number="1", decision_date=None, by=administrator)
    assert error.value.messages == ["1 đơn vị chưa đủ điểm để công bố: Sở B (chưa có điểm thẩm định: 1.2)."]
    assert not Result.objects.exists()
    approved_period.refresh_from_db()
    assert approved_period.status == Period.Status.APPROVED


@pytest.mark.django_db
def test_a_unit_without_any_score_blocks_publication(approved_period, so, administrator):
    a, _ = make_units(so, ["Sở A", "Sở B"])
    score(approved_period, a, full())
    with pytest.raises(ValidationError, match="Sở B"):
        period_publish(period=approved_period, decision_number="1", decision_date=None, by=administrator)
    assert not Result.objects.exists()


@pytest.mark.django_db
def test_a_published_period_cannot_be_published_again(approved_period, so, administrator):
    (unit,) = make_units(so, ["Sở A"])
    score(approved_period, unit, full())
    period_publish(period=approved_period, decision_number="1", decision_date=None, by=administrator)
    with pytest.raises(ValidationError, match="đã được công bố"):
        period_publish(period=approved_period, decision_number="2", decision_date=None, by=administrator)
    assert Result.objects.count() == 1


@pytest.mark.django_db
def test_a_demonstration_period_is_never_published(so, scheme, criteria_tree, administrator):
    period = Period.objects.create(
        year=2024,
        block=so,
        criteria_set=criteria_tree,
        grade_scheme=scheme,
        status=Period.Status.APPROVED,
        is_demo=True,
    )
    (unit,) = make_units(so, ["Sở A"])
    score(period, unit, full())
    with pytest.raises(ValidationError, match="dữ liệu minh họa"):
        period_publish(period=period, decision_number="1", decision_date=None, by=administrator)
    with pytest.raises(IntegrityError):
        Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)


@pytest.mark.django_db
def test_only_an_approved_period_is_published_and_only_by_the_administrator(approved_period, so, administrator):
    (unit,) = make_units(so, ["Sở A"])
    score(approved_period, unit, full())
    Period.objects.filter(pk=approved_period.pk).update(status=Period.Status.APPRAISAL_2)
    with pytest.raises(ValidationError, match="chưa được phê duyệt"):
        period_publish(period=approved_period, decision_number="1", decision_date=None, by=administrator)
    Period.objects.filter(pk=approved_period.pk).update(status=Period.Status.APPROVED)
    appraiser = get_user_model().objects.create_user("thamdinh")
    with pytest.raises(PermissionDenied):
        period_publish(period=approved_period, decision_number="1", decision_date=None, by=appraiser)
    with pytest.raises(ValidationError, match="số quyết định"):
        period_publish(period=approved_period, decision_number=" ", decision_date=None, by=administrator)
    assert not Result.objects.exists()


@pytest.mark.django_db
def test_publishing_seals_a_first_version_and_records_who_published(approved_period, so, administrator):
    (unit,) = make_units(so, ["Sở A"])
    score(approved_period, unit, full())
    version = period_publish(
        period=approved_period, decision_number="5/QĐ-UBND", decision_date=None, by=administrator, signer="Chủ tịch"
    )
    assert (version.number, version.is_current, version.sealed, version.published_by) == (1, True, True, administrator)
    assert version.results.count() == 1
    entry = AuditEntry.objects.filter(period=approved_period, action=AuditEntry.Action.RESULTS).get()
    assert entry.by == administrator
