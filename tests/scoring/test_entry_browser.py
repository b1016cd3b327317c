"""A unit's staff member fills in the self-assessment in a real headless Chromium.

Logs in, types points, watches the area subtotal and the total change as they type, is refused a
value above the maximum next to the field, corrects it and submits; the sheet then turns read-only.
Screenshots go to test-artifacts/.
"""

import os

import pytest

from scoring.models import Score, Submission
from tests.conftest import ARTIFACTS, sign_in_on_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unit_staff_enter_points_see_subtotals_are_refused_too_much_and_submit(browser, live_server, committed_cast):
    cast = committed_cast
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_on_page(
        page, live_server.url, "canbo.a", going_to=f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    )

    leaf = cast.leaf
    subtotal = page.locator('.subtotal-self[data-area="1"]')
    total = page.locator("#total-self")
    assert (subtotal.inner_text(), total.inner_text()) == ("0,000", "0,000")

    page.fill(f"#id_{leaf['1.1'].pk}-self_points", "2,25")
    page.fill(f"#id_{leaf['1.2'].pk}-self_points", "7")
    assert subtotal.inner_text() == "9,250"
    page.fill(f"#id_{leaf['2'].pk}-self_points", "55,5")
    assert total.inner_text() == "64,750"

    page.fill(f"#id_{leaf['1.1'].pk}-self_points", "3")
    error = page.locator(f"#err-{leaf['1.1'].pk}-self_points")
    assert error.inner_text() == "Điểm 3 vượt quá điểm tối đa 2,5."
    assert page.get_attribute(f"#id_{leaf['1.1'].pk}-self_points", "aria-invalid") == "true"
    page.screenshot(path=str(ARTIFACTS / "cham-diem-loi-vuot-toi-da.png"), full_page=True)
    page.click("button[value=save]")  # refused in the page: nothing is sent
    assert not Score.objects.filter(unit=cast.unit_a).exists()

    page.fill(f"#id_{leaf['1.1'].pk}-self_points", "2,5")
    assert error.inner_text() == ""
    assert subtotal.inner_text() == "9,500"
    for code in ("1.1", "1.2", "2"):
        page.fill(f'textarea[name="{leaf[code].pk}-explanation"]', f"Văn bản số {code}/BC-STP")
    page.click("button[value=submit]")
    page.wait_for_load_state()
    assert "Đã nộp hồ sơ tự đánh giá." in page.locator(".messages").inner_text()
    assert page.locator("#submission-status").inner_text() == "Đã nộp"
    assert page.locator("input.points").count() == 0  # read-only once submitted
    page.screenshot(path=str(ARTIFACTS / "cham-diem-da-nop.png"), full_page=True)

    saved = {
        s.criterion.code: s.self_points for s in Score.objects.filter(unit=cast.unit_a).select_related("criterion")
    }
    assert {code: str(value) for code, value in saved.items() if value is not None} == {
        "1.1": "2.500",
        "1.2": "7.000",
        "2": "55.500",
    }
    assert Submission.objects.get(unit=cast.unit_a).status == Submission.Status.SUBMITTED
    page.close()
    assert os.path.exists(ARTIFACTS / "cham-diem-da-nop.png")


def test_an_expired_session_keeps_the_typing_on_the_page_until_the_user_signs_in_again(
    browser,
    live_server,
    committed_cast,
):
    """Sessions end after 30 idle minutes. A save then must not throw away what was typed: the page says the
    session has expired and keeps the values; once the user has signed in again in another tab, the same
    button saves them (the page takes the new form token)."""
    from django.contrib.sessions.models import Session

    cast = committed_cast
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    path = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    entry = live_server.url + path
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=path)
    field = f"#id_{cast.leaf['1.1'].pk}-self_points"
    page.fill(field, "2")
    Session.objects.all().delete()  # the session expires while the user types
    page.evaluate("document.getElementById('entry-form').dataset.pingAfter = '0'")
    page.click("button[value=save]")
    banner = page.locator("#phien")
    banner.wait_for(state="visible")
    assert "Phiên làm việc đã hết hạn nên chưa lưu được" in banner.inner_text()
    assert page.url == entry and page.input_value(field) == "2"
    assert not Score.objects.filter(unit=cast.unit_a).exists()
    page.screenshot(path=str(ARTIFACTS / "cham-diem-het-phien.png"), full_page=False)

    other = context.new_page()  # signs in again in another tab: a new session, a new form token
    sign_in_on_page(other, live_server.url, "canbo.a", going_to="/cham-diem/")
    other.close()

    with page.expect_navigation():
        page.click("button[value=save]")
    assert "Đã lưu 1 thay đổi." in page.locator(".messages").inner_text()
    assert Score.objects.get(criterion=cast.leaf["1.1"]).self_points == 2
    context.close()


def test_texts_typed_on_several_lines_are_read_on_several_lines_once_the_sheet_is_read_only(
    browser, live_server, committed_cast
):
    """The boxes keep a text's line breaks, and so must the sheet that only shows it: the appraiser reads the
    unit's explanation, and the unit the appraiser's comment and its own answer, as they were written."""
    from scoring.models import Period

    cast = committed_cast
    cast.score(
        cast.unit_a, "1.1", self_points="2", explanation="Văn bản số 1\nPhụ lục 2", round1_points="1",
        round1_comment="Thiếu phụ lục\nxem lại", response="Đã bổ sung\nphụ lục 2",
    )  # fmt: skip
    cast.score(cast.unit_a, "2", self_points="30", appraiser_comment="Đạt\nđủ minh chứng")
    cast.set_status(Period.Status.APPRAISAL)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=f"/cham-diem/ky/{cast.period.pk}/don-vi/"
                                                                f"{cast.unit_a.code}/")  # fmt: skip
    first, second = page.locator(f"#tc-{cast.leaf['1.1'].pk}"), page.locator(f"#tc-{cast.leaf['2'].pk}")
    assert "Giải trình: Văn bản số 1\nPhụ lục 2" in first.locator("td").nth(4).inner_text()
    assert "Thiếu phụ lục\nxem lại" in first.locator(".rounds").inner_text()
    assert "Đã bổ sung\nphụ lục 2" in first.locator(".rounds").inner_text()
    assert second.locator("td").nth(6).inner_text().strip() == "Đạt\nđủ minh chứng"
    page.close()
