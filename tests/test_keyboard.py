"""A unit's self-assessment and Sở Nội vụ's publication with the keyboard only (Tab, typing, Enter; no mouse), in
headless Chromium.

The first Tab reaches the skip link and Enter on it lands in the content; the unit's officer signs in, opens the
sheet from the work list, enters points and an explanation and saves; the saved page says so. At every Tab stop
the focused element shows a thick outline (static/css/portal.css, `:focus-visible`), read from its computed style.
Sở Nội vụ, signed in the same way, types the decision's number and date and the confirmation on the approved
period's page and publishes it with Enter. Screenshots of a focused stop go to test-artifacts/ban-phim/.
"""

import pytest

from scoring.models import Period, Score
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "ban-phim"
PASSWORD = "mat-khau-dai-123"
FOCUS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, name: e.getAttribute('name'), text: (e.innerText || e.value || '').slice(0, 40),
          style: s.outlineStyle, width: parseFloat(s.outlineWidth), visible: e.matches(':focus-visible')};
}"""


def sign_in(keys: "Keyboard", server: str, username: str) -> None:
    page = keys.page
    page.goto(server + "/dang-nhap/")
    first = keys.tab_to("a.skip", limit=1)
    assert first["text"] == "Bỏ qua, đến nội dung chính"
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # shown on the screen when focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#noi-dung")
    keys.tab_to("#id_username", limit=5)  # the content comes next, not the header again
    page.keyboard.type(username)
    keys.tab_to("#id_password", limit=3)
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0].endswith("/cham-diem/")


def date_keys(context, *, day: str, month: str, year: str) -> str:
    """What to type into a date box: its order (day first in Vietnamese, month first in American English) follows
    the browser's own language, so a blank page with one date box is asked first."""
    probe = context.new_page()
    probe.set_content('<input type="date" id="d">')
    probe.focus("#d")
    probe.keyboard.type("01022026")
    day_first = probe.input_value("#d") == "2026-02-01"
    probe.close()
    return day + month + year if day_first else month + day + year


class Keyboard:
    """Tab through a page, noting every stop's outline."""

    def __init__(self, page):
        self.page = page
        self.stops: list[dict] = []

    def tab_to(self, selector: str, limit: int = 250, back: bool = False) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            stop = self.page.evaluate(FOCUS)
            self.stops.append(stop)
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return stop
        raise AssertionError(f"{selector} never got the focus in {limit} Tab presses")

    def unseen(self) -> list[dict]:
        """Stops where the focus could not be seen: no outline, or a thin one."""
        return [s for s in self.stops if s["tag"] != "BODY" and (s["style"] in ("none", "") or s["width"] < 2)]


def test_a_unit_assesses_itself_with_the_keyboard_only_and_always_sees_where_it_is(
    browser, live_server, committed_cast
):
    cast = committed_cast
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    keys = Keyboard(page)

    sign_in(keys, live_server.url, "canbo.a")

    entry = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    keys.tab_to(f"main a[href='{entry}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0].endswith(entry)

    leaf = cast.leaf["1.1"].pk
    keys.tab_to(f"#id_{leaf}-self_points")
    page.keyboard.type("2")
    page.screenshot(path=str(SHOTS / "o-diem-dang-chon.png"))
    keys.tab_to(f"textarea[name='{leaf}-explanation']", limit=5)
    page.keyboard.type("Kế hoạch số 12/KH-STP")
    keys.tab_to("button[value=save]")
    page.screenshot(path=str(SHOTS / "nut-luu-dang-chon.png"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Đã lưu 2 thay đổi." in page.locator(".messages").inner_text()

    score = Score.objects.get(period=cast.period, unit=cast.unit_a, criterion_id=leaf)
    assert str(score.self_points) == "2.00" or score.self_points == 2
    assert score.explanation == "Kế hoạch số 12/KH-STP"
    assert len(keys.stops) > 20
    assert not keys.unseen(), [sorted(s.items()) for s in keys.unseen()]
    context.close()


def test_the_department_publishes_with_the_keyboard_only(browser, live_server, committed_cast):
    from tests.scoring.test_period_page import appraise

    cast = committed_cast
    SHOTS.mkdir(parents=True, exist_ok=True)
    appraise(cast)
    cast.set_status(Period.Status.APPROVED)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    keys = Keyboard(page)
    sign_in(keys, live_server.url, "quantri")

    period_page = f"/cham-diem/ky/{cast.period.pk}/"
    keys.tab_to(f"main a[href='{period_page}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    keys.tab_to("#id_publish_decision_number")
    page.keyboard.type("15/QĐ-UBND")
    keys.tab_to("#id_publish_decision_date", limit=3)
    page.keyboard.type(date_keys(context, day="20", month="01", year="2026"))
    assert page.input_value("#id_publish_decision_date") == "2026-01-20"
    keys.tab_to("#id_publish_signer", limit=5)
    page.keyboard.type("Chủ tịch UBND tỉnh")
    keys.tab_to("#id_publish_confirm", limit=5)
    page.keyboard.type("15/QĐ-UBND")
    keys.tab_to("#buoc-publish button[type=submit]", limit=3)
    page.screenshot(path=str(SHOTS / "nut-cong-bo-dang-chon.png"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    cast.period.refresh_from_db()
    assert (cast.period.status, cast.period.decision_number) == (Period.Status.PUBLISHED, "15/QĐ-UBND")
    assert str(cast.period.decision_date) == "2026-01-20" and cast.period.signer == "Chủ tịch UBND tỉnh"
    assert not keys.unseen(), [sorted(s.items()) for s in keys.unseen()]
    context.close()
