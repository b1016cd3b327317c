"""The admin's export page under the site's Content-Security-Policy, in a real Chromium: no violation, and "Chọn
tất cả" clears and ticks every field again (the package's inline handler, refused by the policy, did nothing)."""

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import clear_locked_data, restore_reference_data
from tests.reports.test_public_browser import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mat-khau-dai-123"


@pytest.fixture
def committed_superuser():
    restore_reference_data()
    yield get_user_model().objects.create_superuser("quantri.xuat", "quantri@example.gov.vn", PASSWORD)
    clear_locked_data()


def test_select_all_works_on_the_export_page_and_nothing_breaks_the_policy(browser, live_server, committed_superuser):
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN").new_page()
    problems = watch(page)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto(f"{live_server.url}/quan-tri/login/?next=/quan-tri/units/unit/export/")
    page.fill("#id_username", "quantri.xuat")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/units/unit/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() >= 2
    assert all(fields.nth(i).is_checked() for i in range(fields.count()))
    page.click("#select-all-toggle")
    assert not any(fields.nth(i).is_checked() for i in range(fields.count()))
    page.click("#select-all-toggle")
    assert all(fields.nth(i).is_checked() for i in range(fields.count()))
    assert page.locator(".select-all-label").evaluate("e => getComputedStyle(e).fontWeight") == "700"
    # What the page loads is checked by its answers; Chromium's own /favicon.ico request on an admin page (which
    # names no icon) only shows as a console line without an address.
    problems = [p for p in problems if not p.startswith("Failed to load resource")]
    assert problems == [] and missing == [], (problems, missing)
