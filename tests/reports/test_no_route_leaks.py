"""Nothing unpublished reaches the public through any route of the public site — and the list of routes is the
URL configuration's, not one kept by hand: a new public route without a sample address here fails the first test.

Two things are not public: a table of 2024 written but still in appraisal (95,5 for Sở Nội vụ), and the 2025
period being scored (31,625 appraised on one criterion of Sở Tư pháp). Every route is asked for them, at the
address that names them, and at the addresses around them (the unit, the block, the year, the API)."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from reports import urls as public_urls
from scoring.models import Period
from tests.conftest import publish_table

# One or more addresses per public route, pointed at what is not published. {unit}: Sở Nội vụ's code,
# {scored}: Sở Tư pháp's, {period}: the 2025 period's id.
SAMPLES = {
    "home": ["/"],
    "overview": ["/tong-quan/"],
    "methodology": ["/phuong-phap/"],
    "indices": ["/chi-so-quoc-gia/"],
    "search": ["/tim-kiem/?q=noi+vu", "/tim-kiem/?q=tu+phap"],
    "open_data": ["/du-lieu-mo/"],
    "ranking": ["/xep-hang/2024/so/", "/xep-hang/2025/so/"],
    "comparison": ["/xep-hang/so-sanh/so/", "/xep-hang/so-sanh/so/?tu=2022&den=2025"],
    "comparison_xlsx": ["/xep-hang/so-sanh/so.xlsx", "/xep-hang/so-sanh/so.xlsx?tu=2022&den=2025"],
    "ranking_xlsx": ["/xep-hang/2024/so.xlsx", "/xep-hang/2025/so.xlsx"],
    "ranking_csv": ["/xep-hang/2024/so.csv", "/xep-hang/2025/so.csv"],
    "criterion": ["/tieu-chi/2025/so/2/", "/tieu-chi/2024/so/2/"],
    "ranking_version": ["/xep-hang/2024/so/lan-1/", "/xep-hang/2025/so/lan-1/"],
    "unit_history": ["/don-vi/{unit}/", "/don-vi/{scored}/"],
    "api_index": ["/api/v1/"],
    "api_schema": ["/api/v1/schema/"],
    "api_periods": ["/api/v1/periods/"],
    "results_api": ["/api/v1/results/2024/so/", "/api/v1/results/2025/so/"],
    "api_unit": ["/api/v1/units/{unit}/", "/api/v1/units/{scored}/"],
    "api_criteria": ["/api/v1/criteria/2025/so/", "/api/v1/criteria/2024/so/"],
    "api_missing": ["/api/v1/results/2024/"],
}
SECRETS = ("95,5", "95.5", "31,625", "31.625")


def test_every_public_route_has_a_sample_address_here():
    routes = {pattern.name for pattern in public_urls.urlpatterns}
    assert routes - set(SAMPLES) == set(), "a public route without a sample address in this test"
    assert set(SAMPLES) <= routes, "a sample for a route that no longer exists"


@pytest.fixture
def unpublished(cast, so):
    publish_table(so, 2022, [("Sở Nội vụ", "90.25"), ("Sở Tư pháp", "88")])  # a published year beside them
    publish_table(so, 2024, [("Sở Nội vụ", "95.5")], status=Period.Status.APPRAISAL)
    cast.set_status(Period.Status.APPRAISAL)
    cast.score(cast.unit_a, "2", appraised_points=Decimal("31.625"))
    return cast


def text_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"PK"):  # a workbook: every cell's value
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
    return body.decode("utf-8", errors="replace")


@pytest.mark.parametrize("route", sorted(SAMPLES))
def test_no_route_shows_what_is_not_published(unpublished, route):
    from units.models import Unit

    names = {"unit": Unit.objects.get(name="Sở Nội vụ").code, "scored": unpublished.unit_a.code}
    client = Client()
    for address in SAMPLES[route]:
        response = client.get(address.format(**names))
        assert response.status_code in (200, 404), (address, response.status_code)
        text = text_of(response)
        assert not any(secret in text for secret in SECRETS), (address, [s for s in SECRETS if s in text])


def test_the_public_app_has_no_staff_route_and_the_staff_report_asks_a_visitor_to_sign_in(unpublished):
    """Staff pages live in scoring.staff.urls: none is routed by the public app, and the detailed report (which
    shows a period in any status) sends an anonymous visitor to the login page."""
    assert not [p for p in public_urls.urlpatterns if str(p.pattern).startswith(("cham-diem/", "viec/"))]
    response = Client().get(f"/cham-diem/ky/{unpublished.period.pk}/bao-cao-chi-tiet.xlsx")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]


def test_the_same_addresses_do_show_a_table_once_it_is_published(unpublished):
    """The check above can fail: published, the 2024 table is on its page, in its files and in the API."""
    Period.objects.filter(year=2024).update(status=Period.Status.PUBLISHED)
    client = Client()
    addresses = ("/xep-hang/2024/so/", "/xep-hang/2024/so.csv", "/xep-hang/2024/so.xlsx", "/api/v1/results/2024/so/")
    for address in addresses:
        assert any(secret in text_of(client.get(address)) for secret in SECRETS), address
