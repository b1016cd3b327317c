"""Every role against every action, through the real pages: each allowed case and each refused one.

Roles: anonymous, unit staff of unit A, unit staff of unit B, the appraiser assigned to unit A, an
appraiser assigned nowhere, the administrator (Quản trị Sở Nội vụ).
"""

from decimal import Decimal

import pytest
from django.test import Client

from scoring.models import Period, Result, ResultVersion, Score

ROLES = ["anonymous", "staff_a", "staff_b", "appraiser", "other_appraiser", "admin"]
S = Period.Status


def client_for(cast, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(cast, role))
    return client


def entry_url(cast, unit=None):
    return f"/cham-diem/ky/{cast.period.pk}/don-vi/{(unit or cast.unit_a).code}/"


def points(cast, code, field="self_points", unit=None):
    score = Score.objects.filter(period=cast.period, unit=unit or cast.unit_a, criterion=cast.leaf[code]).first()
    return getattr(score, field) if score else None


VIEW_ENTRY = {"anonymous": 302, "staff_a": 200, "staff_b": 403, "appraiser": 200, "other_appraiser": 403, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_viewing_unit_a_entry_sheet(cast, role):
    response = client_for(cast, role).get(entry_url(cast))
    assert response.status_code == VIEW_ENTRY[role]
    if response.status_code == 302:
        assert response["Location"].startswith("/dang-nhap/")


EDIT_OWN = {
    "anonymous": False,
    "staff_a": True,
    "staff_b": False,
    "appraiser": False,
    "other_appraiser": False,
    "admin": False,
}


@pytest.mark.parametrize("role", ROLES)
def test_entering_self_assessed_points_for_unit_a(cast, role):
    leaf = cast.leaf["1.1"]
    response = client_for(cast, role).post(entry_url(cast), {f"self-{leaf.pk}": "2,25", "action": "save"})
    assert (points(cast, "1.1") == Decimal("2.25")) is EDIT_OWN[role]
    assert response.status_code in ((302,) if EDIT_OWN[role] else (302, 403))


def test_unit_staff_cannot_touch_another_units_sheet_even_by_forging_the_form(cast):
    leaf = cast.leaf["1.1"]
    response = client_for(cast, "staff_b").post(entry_url(cast), {f"self-{leaf.pk}": "1", "action": "save"})
    assert response.status_code == 403
    assert points(cast, "1.1") is None


APPRAISE = {
    "anonymous": False,
    "staff_a": False,
    "staff_b": False,
    "appraiser": True,
    "other_appraiser": False,
    "admin": True,
}


@pytest.mark.parametrize("role", ROLES)
def test_appraising_unit_a_in_round_one(cast, role):
    cast.set_status(S.APPRAISAL)
    leaf = cast.leaf["2"]
    client_for(cast, role).post(entry_url(cast), {f"appr-{leaf.pk}": "55.5", f"cmt-{leaf.pk}": "Đạt", "action": "save"})
    assert (points(cast, "2", "appraised_points") == Decimal("55.5")) is APPRAISE[role]


def test_the_assigned_appraiser_cannot_appraise_a_unit_not_assigned(cast):
    cast.set_status(S.APPRAISAL)
    leaf = cast.leaf["2"]
    response = client_for(cast, "appraiser").post(entry_url(cast, cast.unit_b), {f"appr-{leaf.pk}": "50"})
    assert response.status_code == 403
    assert points(cast, "2", "appraised_points", cast.unit_b) is None


SURVEY = {
    "anonymous": False,
    "staff_a": False,
    "staff_b": False,
    "appraiser": False,
    "other_appraiser": False,
    "admin": True,
}


@pytest.mark.parametrize("role", ROLES)
def test_entering_survey_points(cast, role):
    cast.set_status(S.APPRAISAL)
    leaf = cast.leaf["3"]
    client_for(cast, role).post(entry_url(cast), {f"appr-{leaf.pk}": "27", "action": "save"})
    assert (points(cast, "3", "appraised_points") == Decimal("27")) is SURVEY[role]


def test_unit_staff_never_self_assess_a_survey_criterion(cast):
    leaf = cast.leaf["3"]
    client_for(cast, "staff_a").post(entry_url(cast), {f"self-{leaf.pk}": "30", "action": "save"})
    assert points(cast, "3") is None


DASHBOARD = {"anonymous": 302, "staff_a": 403, "staff_b": 403, "appraiser": 200, "other_appraiser": 403, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_viewing_the_period_dashboard(cast, role):
    assert client_for(cast, role).get(f"/cham-diem/ky/{cast.period.pk}/").status_code == DASHBOARD[role]


def _approve_with_scores(cast):
    for unit in (cast.unit_a, cast.unit_b, cast.unit_c):
        for leaf in cast.leaf.values():
            Score.objects.create(period=cast.period, unit=unit, criterion=leaf, appraised_points=leaf.max_points / 2)
    cast.set_status(S.APPROVED)


PUBLISH = {
    "anonymous": False,
    "staff_a": False,
    "staff_b": False,
    "appraiser": False,
    "other_appraiser": False,
    "admin": True,
}


@pytest.mark.parametrize("role", ROLES)
def test_publishing(cast, role):
    _approve_with_scores(cast)
    client_for(cast, role).post(
        f"/cham-diem/ky/{cast.period.pk}/chuyen-trang-thai/",
        {
            "move": "publish",
            "decision_number": "15/QĐ-UBND",
            "decision_date": "2026-01-05",
            "signer": "Chủ tịch",
            "confirm": "15/QĐ-UBND",
        },
    )
    cast.period.refresh_from_db()
    assert (cast.period.status == S.PUBLISHED) is PUBLISH[role]
    assert Result.objects.filter(period=cast.period).exists() is PUBLISH[role]


@pytest.mark.parametrize("role", ROLES)
def test_nobody_edits_anything_after_the_period_is_locked(cast, role):
    leaf = cast.leaf["1.1"]
    Score.objects.create(
        period=cast.period, unit=cast.unit_a, criterion=leaf, self_points=Decimal("1"), appraised_points=Decimal("1")
    )
    cast.set_status(S.LOCKED)
    client = client_for(cast, role)
    client.post(
        entry_url(cast), {f"self-{leaf.pk}": "2", f"appr-{leaf.pk}": "2", f"na-{leaf.pk}": "on", "action": "save"}
    )
    client.post(f"/cham-diem/ky/{cast.period.pk}/chuyen-trang-thai/", {"move": "reopen", "reason": "sửa"})
    score = Score.objects.get(period=cast.period, unit=cast.unit_a, criterion=leaf)
    assert (score.self_points, score.appraised_points, score.not_applicable) == (Decimal("1"), Decimal("1"), False)
    cast.period.refresh_from_db()
    assert cast.period.status == S.LOCKED


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reads_unpublished_results_through_public_urls_or_the_api(cast, role):
    cast.set_status(S.APPROVED)
    version = ResultVersion.objects.create(period=cast.period, number=1)
    Result.objects.create(
        period=cast.period,
        version=version,
        unit=cast.unit_a,
        total=Decimal("91.234"),
        grade="Xuất sắc",
        grade_code="xuat-sac",
        rank=1,
        position=1,
    )
    client = client_for(cast, role)
    for url in (
        "/xep-hang/2025/so/",
        "/xep-hang/2025/so.xlsx",
        "/api/v1/results/2025/so/",
        f"/don-vi/{cast.unit_a.code}/",
        "/",
    ):
        response = client.get(url)
        assert b"91,234" not in response.content and b"91.234" not in response.content, url
    assert client.get("/api/v1/results/2025/so/").status_code == 404
