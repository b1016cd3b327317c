"""Every role against every action, through the real pages: each allowed case and each refused one.

Roles: anonymous, unit staff of unit A, unit staff of unit B, the appraiser assigned to unit A, an
appraiser assigned nowhere, the administrator (Quản trị Sở Nội vụ).
"""

from decimal import Decimal

import pytest
from django.test import Client

from scoring.models import Period, Result, ResultVersion, Score, Submission
from tests.browser import submit_page

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


# Who may change which field of which kind of leaf, in each state of the year (docs/scoring.md, "Who enters what"),
# written here from the rules rather than read from scoring/entry_fields.py, so the table is checked, not restated.
# (status, field, leaf code) -> the roles whose change is saved. Leaves: 1.1 self-assessed, 3 survey, 6.1 bonus,
# 7 deduction.
UNIT, APPRAISERS, DEPARTMENT = {"staff_a"}, {"appraiser", "admin"}, {"admin"}
ENTRY = {
    (S.OPEN, "self_points", "1.1"): UNIT,
    (S.OPEN, "self_points", "6.1"): UNIT,
    (S.OPEN, "self_points", "3"): set(),
    (S.OPEN, "self_points", "7"): set(),
    (S.OPEN, "explanation", "1.1"): UNIT,
    (S.OPEN, "explanation", "6.1"): UNIT,
    (S.OPEN, "explanation", "3"): set(),
    (S.OPEN, "appraised_points", "1.1"): set(),
    (S.OPEN, "appraised_points", "3"): DEPARTMENT,
    (S.OPEN, "appraised_points", "7"): DEPARTMENT,
    (S.OPEN, "not_applicable", "2"): DEPARTMENT,
    (S.APPRAISAL, "self_points", "1.1"): set(),
    (S.APPRAISAL, "appraised_points", "1.1"): APPRAISERS,
    (S.APPRAISAL, "appraised_points", "6.1"): APPRAISERS,
    (S.APPRAISAL, "appraised_points", "3"): DEPARTMENT,
    (S.APPRAISAL, "appraised_points", "7"): DEPARTMENT,
    (S.APPRAISAL, "appraiser_comment", "1.1"): APPRAISERS,
    (S.APPRAISAL, "appraiser_comment", "7"): DEPARTMENT,
    (S.APPRAISAL, "not_applicable", "2"): DEPARTMENT,
    (S.EXPLANATION, "response", "1.1"): UNIT,
    (S.EXPLANATION, "appraised_points", "1.1"): set(),
    (S.EXPLANATION, "appraised_points", "7"): DEPARTMENT,
    (S.APPRAISAL_2, "appraised_points", "6.1"): APPRAISERS,
    (S.APPRAISAL_2, "response", "1.1"): set(),
    (S.APPROVED, "appraised_points", "1.1"): set(),
    (S.APPROVED, "not_applicable", "2"): set(),
}
TYPED = {
    "self_points": ("1", Decimal("1")),
    "appraised_points": ("1", Decimal("1")),
    "explanation": ("Căn cứ: kế hoạch số 12", "Căn cứ: kế hoạch số 12"),
    "appraiser_comment": ("Đạt yêu cầu", "Đạt yêu cầu"),
    "response": ("Đã bổ sung kế hoạch", "Đã bổ sung kế hoạch"),
    "not_applicable": (True, True),
}


def _prepare(cast, status):
    # Round 1 cut criterion 1.1 of unit A (what the explanation step answers); the unit proposed a bonus on 6.1.
    Score.objects.create(
        period=cast.period, unit=cast.unit_a, criterion=cast.leaf["1.1"], self_points=2, round1_points=1
    )
    Score.objects.create(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["6.1"], self_points=1)
    Submission.objects.create(period=cast.period, unit=cast.unit_a, status=Submission.Status.APPRAISED_1)
    if status == S.OPEN:
        Submission.objects.filter(period=cast.period, unit=cast.unit_a).update(status=Submission.Status.DRAFT)
    cast.set_status(status)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("status", "name", "code"), list(ENTRY))
def test_the_page_offers_a_field_exactly_when_the_save_accepts_it(cast, role, status, name, code):
    _prepare(cast, status)
    leaf, allowed = cast.leaf[code], role in ENTRY[(status, name, code)]
    client, url = client_for(cast, role), entry_url(cast)
    field = f"{leaf.pk}-{name}"
    page = client.get(url)
    offered = page.status_code == 200 and f'name="{field}"' in page.content.decode()
    assert offered is allowed
    text, stored = TYPED[name]
    before = points(cast, code, name)
    if offered:
        response = submit_page(client, url, {field: text}, button="save", page=page)
        assert response.status_code == 302
    else:  # a forged form: the same name, sent without the page
        response = client.post(url, {field: "on" if text is True else text, "action": "save"})
        assert response.status_code in {"anonymous": (302,)}.get(role, (400, 403))
    assert points(cast, code, name) == (stored if allowed else before)


def test_a_whole_unit_sheet_with_bonus_and_deduction_leaves_saves_and_submits(cast):
    """The sheet as a unit sees it, every input sent back: nothing refused for the leaves the unit does not score."""
    client, url = client_for(cast, "staff_a"), entry_url(cast)
    leaf = cast.leaf
    response = submit_page(
        client,
        url,
        {
            f"{leaf['1.1'].pk}-self_points": "2,5",
            f"{leaf['1.2'].pk}-self_points": "7",
            f"{leaf['2'].pk}-self_points": "0",
        },
        button="save",
    )
    assert response.status_code == 302
    assert points(cast, "1.1") == Decimal("2.5") and points(cast, "6.1") is None
    explained = {f"{leaf[code].pk}-explanation": "Có văn bản kèm theo" for code in ("1.1", "1.2")}
    response = submit_page(client, url, explained, button="submit")
    assert response.status_code == 302
    assert Submission.objects.get(period=cast.period, unit=cast.unit_a).status == Submission.Status.SUBMITTED


DASHBOARD = {"anonymous": 302, "staff_a": 403, "staff_b": 403, "appraiser": 200, "other_appraiser": 403, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_viewing_the_period_dashboard(cast, role):
    assert client_for(cast, role).get(f"/cham-diem/ky/{cast.period.pk}/").status_code == DASHBOARD[role]


def _approve_with_scores(cast):
    cast.score_everything()
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
    fields = ("self_points", "appraised_points", "not_applicable")
    response = client.post(entry_url(cast), {**{f"{leaf.pk}-{name}": "2" for name in fields}, "action": "save"})
    assert response.status_code in {"anonymous": (302,)}.get(role, (400, 403))
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


def test_the_assigned_appraiser_cannot_appraise_a_unit_not_assigned(cast):
    cast.set_status(S.APPRAISAL)
    leaf = cast.leaf["2"]
    client = client_for(cast, "appraiser")
    assert client.get(entry_url(cast, cast.unit_b)).status_code == 403
    response = client.post(entry_url(cast, cast.unit_b), {f"{leaf.pk}-appraised_points": "50", "action": "save"})
    assert response.status_code == 403
    assert points(cast, "2", "appraised_points", cast.unit_b) is None
