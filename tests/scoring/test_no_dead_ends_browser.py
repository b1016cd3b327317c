"""Every answer where the person is looking, in a real headless Chromium: the session-expired message beside the
Save button at the bottom of a long sheet, focus on the message after a save, and no confirmation before a
submission the server will refuse. Screenshots go to test-artifacts/."""

import pytest

from scoring.models import Score, Submission
from tests.conftest import ARTIFACTS, sign_in_on_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def entry_of(cast) -> str:
    return f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"


def sign_in(browser, live_server, cast, height=900, width=1366):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = context.new_page()
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=entry_of(cast))
    return context, page


def in_view(page, selector) -> bool:
    return page.evaluate(
        """(selector) => { const box = document.querySelector(selector).getBoundingClientRect();
                           return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight; }""",
        selector,
    )


def test_the_session_expired_message_appears_beside_the_save_button_at_the_bottom(browser, live_server, committed_cast):
    from django.contrib.sessions.models import Session

    cast = committed_cast
    context, page = sign_in(browser, live_server, cast, height=500)  # a short window: the sheet is long in it
    page.fill(f"#id_{cast.leaf['2'].pk}-self_points", "40")
    Session.objects.all().delete()
    page.evaluate("document.getElementById('entry-form').dataset.pingAfter = '0'")
    page.click("button[value=save]")  # scrolls to the bottom of the sheet
    page.locator("#phien").wait_for(state="visible")
    assert page.evaluate("window.scrollY") > 0
    assert in_view(page, "#phien"), "the message must be in the window, not above it"
    gap = page.evaluate(
        """() => document.getElementById('phien').getBoundingClientRect().top
                 - document.querySelector('button[value=save]').getBoundingClientRect().bottom"""
    )
    assert 0 <= gap < 100, f"the message is {gap} px from the button"
    page.screenshot(path=str(ARTIFACTS / "het-phien-canh-nut-luu.png"))
    assert not Score.objects.filter(unit=cast.unit_a).exists()
    context.close()


def test_after_a_save_focus_is_on_the_message_that_says_what_happened(browser, live_server, committed_cast):
    cast = committed_cast
    context, page = sign_in(browser, live_server, cast)
    page.fill(f"#id_{cast.leaf['2'].pk}-self_points", "40")
    with page.expect_navigation():
        page.click("button[value=save]")
    assert page.evaluate("document.activeElement.innerText").strip() == "Đã lưu 1 thay đổi."
    assert in_view(page, "main .messages")
    context.close()


def test_a_submission_the_server_will_refuse_is_not_asked_about_first(browser, live_server, committed_cast):
    cast = committed_cast
    context, page = sign_in(browser, live_server, cast)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    leaf = cast.leaf
    page.fill(f"#id_{leaf['1.1'].pk}-self_points", "2")  # 1.2 and 2 still without points
    with page.expect_navigation():
        page.click("button[value=submit]")
    assert asked == []
    assert "Chưa nộp được hồ sơ" in page.locator("#loi").inner_text()
    assert Score.objects.get(unit=cast.unit_a, criterion=leaf["1.1"]).self_points == 2  # the typing was saved
    assert in_view(page, "#loi")
    page.screenshot(path=str(ARTIFACTS / "nop-thieu-khong-hoi.png"))

    # Points everywhere, but 2 has points and neither evidence nor an explanation: still refused, still not asked.
    page.fill(f"#id_{leaf['1.2'].pk}-self_points", "5")
    page.fill(f"#id_{leaf['2'].pk}-self_points", "50")
    for code in ("1.1", "1.2"):
        page.fill(f'textarea[name="{leaf[code].pk}-explanation"]', f"Văn bản số {code}")
    with page.expect_navigation():
        page.click("button[value=submit]")
    assert asked == []
    assert "1 tiêu chí có điểm nhưng chưa có minh chứng hay giải trình" in page.locator("#loi").inner_text()

    # Complete: the question comes first, and dismissing it sends nothing.
    page.fill(f'textarea[name="{leaf["2"].pk}-explanation"]', "Văn bản số 2")
    page.click("button[value=submit]")
    assert len(asked) == 1 and asked[0].startswith("Nộp hồ sơ?")
    assert Submission.objects.get(unit=cast.unit_a).status != Submission.Status.SUBMITTED
    context.close()


COMMENT = (
    "Kế hoạch cải cách hành chính năm ban hành ngày 15/02, chậm so với yêu cầu (trước 31/01); chưa có nội dung "
    "về chuyển đổi số trong giải quyết thủ tục hành chính và chưa phân công đơn vị chủ trì cho 4 trên 12 nhiệm vụ. "
    "Đề nghị đơn vị bổ sung quyết định phân công và báo cáo kết quả thực hiện quý I kèm minh chứng."
)


@pytest.mark.parametrize("width", [1366, 375])
def test_the_appraisers_comment_box_is_wide_grows_and_hides_nothing(browser, live_server, committed_cast, width):
    from scoring.models import Period

    cast = committed_cast
    cast.set_status(Period.Status.APPRAISAL)
    Submission.objects.create(period=cast.period, unit=cast.unit_a, status=Submission.Status.SUBMITTED)
    cast.score(cast.unit_a, "1.1", self_points=2, explanation="Kế hoạch số 12/KH", appraiser_comment=COMMENT)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in_on_page(page, live_server.url, "thamdinh", going_to=entry_of(cast))
    box = page.locator(f'textarea[name="{cast.leaf["1.1"].pk}-appraiser_comment"]')
    assert int(box.get_attribute("rows")) >= 4
    shape = box.evaluate("e => ({width: e.clientWidth, hidden: e.scrollHeight - e.clientHeight})")
    assert shape["width"] >= min(300, width - 80), shape
    assert shape["hidden"] <= 1, f"{shape['hidden']} px of the comment are hidden"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"y-kien-tham-dinh-{width}.png"))
    context.close()


def test_back_and_forward_to_a_refused_submission_fetch_the_page_again(browser, live_server, committed_cast):
    """A refusal is a page drawn in answer to a form; returning to it through the history must not land on the
    browser's “confirm form resubmission” page (ERR_CACHE_MISS)."""
    cast = committed_cast
    context, page = sign_in(browser, live_server, cast)
    page.fill(f"#id_{cast.leaf['1.1'].pk}-self_points", "2")
    with page.expect_navigation():
        page.click("button[value=submit]")  # refused: 1.2 and 2 have no points
    assert "Chưa nộp được hồ sơ" in page.locator("#loi").inner_text()
    page.goto(f"{live_server.url}/")
    page.go_back()
    assert page.url.endswith(f"/don-vi/{cast.unit_a.code}/")
    assert page.locator("h1").inner_text().startswith("Tự đánh giá, thẩm định"), page.content()[:300]
    page.reload()
    assert page.locator("h1").inner_text().startswith("Tự đánh giá, thẩm định")
    context.close()


def test_a_round_the_server_will_refuse_to_close_is_not_asked_about_first(browser, live_server, committed_cast):
    from scoring.models import Period

    cast = committed_cast
    cast.set_status(Period.Status.APPRAISAL)
    Submission.objects.create(period=cast.period, unit=cast.unit_a, status=Submission.Status.SUBMITTED)
    for code, points in (("1.1", 2), ("1.2", 5), ("2", 50), ("6.1", 1)):  # 6.1: a bonus the unit proposed
        cast.score(cast.unit_a, code, self_points=points, explanation="Văn bản")
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in_on_page(page, live_server.url, "thamdinh", going_to=entry_of(cast))
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    appraised = {code: f"#id_{cast.leaf[code].pk}-appraised_points" for code in ("1.1", "1.2", "2", "6.1")}
    for code in ("1.1", "1.2", "2"):
        page.fill(appraised[code], "1")  # the proposed bonus 6.1 still without appraised points
    with page.expect_navigation():
        page.click("button[value=appraised]")
    assert asked == []
    assert "6.1" in page.locator("#loi").inner_text()
    page.fill(appraised["6.1"], "0,5")
    page.click("button[value=appraised]")
    assert len(asked) == 1 and asked[0].startswith("Ghi nhận đã thẩm định xong")
    assert Submission.objects.get(unit=cast.unit_a).status == Submission.Status.SUBMITTED
    context.close()


@pytest.mark.parametrize("width", [1366, 375])
def test_a_refused_upload_says_why_in_view_and_back_goes_where_the_person_was(
    browser,
    live_server,
    committed_cast,
    tmp_path,
    settings,
    width,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    cast = committed_cast
    context, page = sign_in(browser, live_server, cast, width=width)
    with page.expect_navigation():
        page.click(f"button[value='evidence:{cast.leaf['1.1'].pk}']")
    evidence = page.url
    fake = tmp_path / "quyet-dinh.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    page.set_input_files("#id_upload", str(fake))
    page.fill("#id_title", "Quyết định 12")
    with page.expect_navigation():
        page.click("main form.stack button[type=submit]")
    assert page.url == evidence  # redirected: the refusal is an ordinary page
    error = page.locator("main .errors[role=alert]")
    assert "không phải PDF" in error.inner_text() and page.input_value("#id_title") == "Quyết định 12"
    assert page.evaluate("document.activeElement === document.querySelector('main .errors')")
    assert in_view(page, "main .errors")
    page.screenshot(path=str(ARTIFACTS / f"minh-chung-bi-tu-choi-{width}.png"), full_page=True)
    page.go_back()  # the evidence page as it was before the upload, not the browser's resubmission page
    assert page.locator("h1").inner_text() == "Minh chứng — tiêu chí 1.1" and not page.locator("main .errors").count()
    page.go_back()
    assert page.locator("h1").inner_text().startswith("Tự đánh giá, thẩm định")
    context.close()


def test_a_refused_sign_in_and_code_say_why_in_view(browser, live_server, committed_cast):
    context = browser.new_context(viewport={"width": 375, "height": 700}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server.url}/dang-nhap/")
    page.fill("#id_username", "canbo.a")
    page.fill("#id_password", "sai-mat-khau")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert in_view(page, "main .errors")
    assert page.evaluate("document.activeElement === document.querySelector('main .errors')")
    # A page that focuses a field itself keeps it there (the code of the second factor has autofocus).
    page.set_content('<main><div class="errors" role="alert">Sai mã</div><input id="ma" autofocus></main>')
    # Chromium applies autofocus a moment after the content is set: wait for it, so the blur below is not undone.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'ma'")
    page.evaluate("document.activeElement.blur()")
    page.add_script_tag(url=f"{live_server.url}/static/js/messages.js")
    assert page.evaluate("document.activeElement === document.body")  # the answer did not take the focus
    context.close()


def test_the_clocks_warning_floats_in_view_wherever_the_sheet_is_scrolled(browser, live_server, committed_cast):
    cast = committed_cast
    context = browser.new_context(viewport={"width": 1366, "height": 500}, locale="vi-VN")
    page = context.new_page()
    page.clock.install()
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=entry_of(cast))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    seconds = int(page.get_attribute("#entry-form", "data-session-seconds"))
    page.clock.run_for((seconds - 240) * 1000)  # four minutes before it ends
    banner = page.locator("#phien")
    banner.wait_for(state="visible")
    assert "sẽ hết hạn sau khoảng 5 phút" in banner.inner_text()
    assert page.evaluate("window.scrollY") > 0 and in_view(page, "#phien")
    page.screenshot(path=str(ARTIFACTS / "sap-het-phien-1366.png"))
    context.close()


def test_the_clock_counts_from_what_the_session_has_once_the_page_kept_it_alive(browser, live_server, committed_cast):
    """Typing after five quiet minutes keeps the session alive; the answer says how long the session now has (less
    than the whole limit when another tab wrote it a moment before), and the warning comes five minutes before
    that, not five minutes before the whole limit."""
    cast = committed_cast
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.clock.install()
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=entry_of(cast))
    told = []

    def alive(route):
        response = route.fetch()
        told.append(response.json()["seconds"])
        route.fulfill(response=response, json={**response.json(), "seconds": 400})  # as if written 1,400 s ago

    page.route("**/cham-diem/con-phien/", alive)
    page.clock.run_for(301 * 1000)
    page.fill(f"#id_{cast.leaf['1.1'].pk}-self_points", "2")
    page.wait_for_selector('#entry-form[data-session-seconds="400"]', state="attached")
    assert told and 1700 < told[0] <= 1800  # what the server said: a session signed in a moment ago
    banner = page.locator("#phien")
    assert banner.is_hidden()
    page.clock.run_for(130 * 1000)  # 130 s after the call: 270 s left, fewer than five minutes
    banner.wait_for(state="visible")
    assert "sẽ hết hạn sau khoảng 5 phút" in banner.inner_text()
    context.close()


def test_with_a_short_idle_limit_typing_keeps_the_session_and_the_warning_says_the_right_minutes(
    browser, live_server, committed_cast, settings
):
    """SESSION_IDLE_MINUTES=3: typing calls the keep-alive after a fifth of the limit (not after five minutes, when
    the session would long be over), and the warning comes that long before the end, saying one minute."""
    settings.SESSION_COOKIE_AGE = 180
    cast = committed_cast
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.clock.install()
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=entry_of(cast))
    calls = []
    page.route("**/cham-diem/con-phien/", lambda route: calls.append(1) or route.continue_())
    page.clock.run_for(40 * 1000)
    page.fill(f"#id_{cast.leaf['1.1'].pk}-self_points", "2")
    page.wait_for_function("document.querySelector('#entry-form').dataset.sessionSeconds !== undefined")
    page.clock.run_for(2 * 1000)
    assert calls == [1]  # kept alive while typing, 40 s after the page was drawn
    banner = page.locator("#phien")
    assert banner.is_hidden()
    page.clock.run_for(150 * 1000)  # 150 s without a keystroke: fewer than 36 s left
    banner.wait_for(state="visible")
    assert "sẽ hết hạn sau khoảng 1 phút" in banner.inner_text()
    context.close()


def test_on_a_phone_an_area_scored_as_one_criterion_is_one_tinted_card(browser, live_server, committed_cast):
    """An area without sub-criteria (area 2, a bonus, a deduction) is a leaf row drawn as an area: on a phone its
    short cells sit side by side, and the gaps beside them showed the page's white through the area's tint."""
    cast = committed_cast
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN")
    page = context.new_page()
    sign_in_on_page(page, live_server.url, "canbo.a", going_to=entry_of(cast))
    row = page.locator(f"#tc-{cast.leaf['2'].pk}")
    row.scroll_into_view_if_needed()
    tint = row.locator("td.code").evaluate("e => getComputedStyle(e).backgroundColor")
    assert tint not in ("rgba(0, 0, 0, 0)", "transparent")
    assert row.evaluate("e => getComputedStyle(e).backgroundColor") == tint
    row.screenshot(path=str(ARTIFACTS / "cham-diem-linh-vuc-mot-tieu-chi-375.png"))
    context.close()
