"""The layout a reader meets, in headless Chromium: the header on one line at 1,366 px for a citizen and for
the Department's administrator (the longest menu), and at 375 px the unit page and the open-data page read
without the page scrolling sideways, their tables scrolling in their own box. Screenshots go to
test-artifacts/bo-cuc/."""

import pytest

from scoring.permissions import ADMINISTRATOR
from tests.conftest import ARTIFACTS, sign_in_on_page
from tests.scoring.workflow_cast import user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "bo-cuc"
# The header's three parts (brand, menu, search) side by side, and the menu in one row.
HEADER = """() => {
  const box = s => document.querySelector(s).getBoundingClientRect();
  const parts = ['.site-header .brand', '.site-header nav', '.site-header .site-search'].map(box);
  const links = [...document.querySelectorAll('.site-header nav > *')].map(e => e.getBoundingClientRect().top);
  return {
    header: box('.site-header').height,
    sideBySide: Math.max(...parts.map(p => p.top)) < Math.min(...parts.map(p => p.bottom)),
    menuRows: new Set(links.map(Math.round)).size,
  };
}"""


@pytest.fixture
def lineage_and_an_administrator(committed_lineage):
    """The committed lineage cast and the Department's administrator, who also works in the admin."""
    admin = user("quantri.vien.so.noi.vu", ADMINISTRATOR)
    admin.is_staff = True
    admin.save()
    return committed_lineage


def sign_in(page, server):
    sign_in_on_page(page, server, "quantri.vien.so.noi.vu", going_to="/cham-diem/")


@pytest.mark.parametrize("who", ["citizen", "administrator"])
def test_the_header_is_one_line_at_1366_px(browser, live_server, lineage_and_an_administrator, who):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    if who == "administrator":
        sign_in(page, live_server.url)
    for path in ("/", "/xep-hang/2025/so/"):
        page.goto(live_server.url + path)
        shape = page.evaluate(HEADER)
        page.screenshot(path=str(SHOTS / f"dau-trang-{who}-{path.strip('/').replace('/', '-') or 'chu'}-1366.png"))
        assert shape["sideBySide"] and shape["menuRows"] == 1, (who, path, shape)
    context.close()


def test_the_account_menu_opens_from_the_keyboard_and_stays_in_the_window(
    browser,
    live_server,
    lineage_and_an_administrator,
):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live_server.url)
    logout = page.locator(".site-header button", has_text="Đăng xuất")
    assert not logout.is_visible()
    page.focus(".site-header details.account summary")
    page.keyboard.press("Enter")
    assert logout.is_visible()
    box = logout.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366
    page.screenshot(path=str(SHOTS / "menu-tai-khoan-1366.png"))
    context.close()


PHONE_PAGES = {"don-vi": "/don-vi/so-tai-chinh/", "du-lieu-mo": "/du-lieu-mo/", "ky-danh-gia": None}


@pytest.mark.parametrize("name", list(PHONE_PAGES))
def test_phone_pages_do_not_scroll_sideways_and_their_tables_read(
    browser,
    live_server,
    lineage_and_an_administrator,
    name,
):
    from scoring.models import Period

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN")
    page = context.new_page()
    path = PHONE_PAGES[name]
    if path is None:  # the Department's page of a published period, its list of units
        sign_in(page, live_server.url)
        path = f"/cham-diem/ky/{Period.objects.get(year=2025).pk}/"
    page.goto(live_server.url + path)
    page.screenshot(path=str(SHOTS / f"{name}-375.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    # A cell is cramped when it is narrower than its text on one line, and narrower than 9 em: its words stack
    # one per line. Tables too wide for the phone scroll in their own box instead.
    cramped = page.evaluate(
        """() => [...document.querySelectorAll('main table')].flatMap(t => [...t.rows].flatMap(r => [...r.cells]))
             .filter(c => c.textContent.trim()).filter(c => {
               const width = c.getBoundingClientRect().width, before = c.style.whiteSpace;
               c.style.whiteSpace = 'nowrap';
               const natural = c.getBoundingClientRect().width;
               c.style.whiteSpace = before;
               const em = parseFloat(getComputedStyle(c).fontSize);
               return width + 1 < Math.min(natural, 9 * em);
             }).map(c => c.textContent.trim().replace(/\\s+/g, ' ').slice(0, 30))"""
    )
    assert cramped == [], f"{len(cramped)} cramped cells: {cramped[:6]}"
    loose = page.evaluate(
        """() => [...document.querySelectorAll('main table')].filter(t => !t.closest('.table-scroll'))
             .map(t => t.caption ? t.caption.textContent.trim().slice(0, 40) : t.className)"""
    )
    assert loose == [], f"tables outside a scrolling box: {loose}"
    context.close()
