"""The 2022 ranking page in a real headless Chromium, as a citizen would open it.

Screenshots go to test-artifacts/ so a person can look at them. Where Chromium is missing the
test is skipped locally; CI installs it and sets CI=true, so there the test always runs.
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ARTIFACTS, clear_locked_data, restore_reference_data

ROOT = Path(__file__).resolve().parents[2]

# A live server needs committed data, so these tests run in real transactions; the flush after
# each one also empties the migrations' rows, which `committed_table_2022` puts back.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def committed_table_2022():
    restore_reference_data()
    call_command("import_results", str(ROOT / "fixtures" / "ket-qua-cong-bo-2022.csv"))
    yield
    clear_locked_data()


def test_a_citizen_reads_the_2022_department_ranking(browser, live_server, committed_table_2022):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.goto(f"{live_server.url}/xep-hang/2022/so/")
    assert page.locator("h1").inner_text().endswith("các sở, ban, ngành cấp tỉnh năm 2022")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 21
    assert rows.nth(0).inner_text().split("\t") == ["1", "Sở Thông tin và Truyền thông", "90,450", "Xuất sắc", "1"]
    assert rows.nth(20).inner_text().split("\t") == ["21", "Sở Văn hóa và Thể thao", "75,086", "Khá", "21"]
    # The stylesheet loaded: grades are coloured badges, and the colour differs by grade.
    excellent = rows.nth(0).locator(".grade").evaluate("e => getComputedStyle(e).color")
    good = rows.nth(3).locator(".grade").evaluate("e => getComputedStyle(e).color")
    assert excellent != good
    assert rows.nth(0).locator("td").nth(2).evaluate("e => getComputedStyle(e).textAlign") == "right"
    page.screenshot(path=str(ARTIFACTS / "xep-hang-2022-so.png"), full_page=True)

    page.locator("a", has_text="Sở Nội vụ").click()
    page.wait_for_url("**/don-vi/so-noi-vu/")
    assert "87,405" in page.locator("table.ranking").inner_text()
    page.close()


def test_the_table_stays_readable_on_a_phone(browser, live_server, committed_table_2022):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 375, "height": 800}, locale="vi-VN")
    page.goto(f"{live_server.url}/xep-hang/2022/so/")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 375, "the page itself must not scroll sideways; only the table may"
    page.screenshot(path=str(ARTIFACTS / "xep-hang-2022-so-dien-thoai.png"), full_page=True)
    page.close()
