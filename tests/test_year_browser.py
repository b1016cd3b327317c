"""The whole evaluation year in a real headless Chromium, three people in three browser contexts and a citizen.

The administrator imports a criteria workbook and assigns an appraiser in the portal; a unit enters points,
attaches evidence, is refused an incomplete submission, then submits; the administrator cannot approve before
the appraisal; the appraiser appraises; the unit explains; round 2; approval with the table previewed;
publication with the decision number typed; lock; an anonymous visitor reads the table, downloads the Excel
file and opens the unit's page. Every step is saved as a screenshot at 1366 px and at 375 px in
test-artifacts/nam/, and no page may scroll sideways on the phone.

The set has, besides, a bonus group (its own row left without a method, as people write it), a deduction leaf and a
criterion that does not apply to one unit; the unit proposes a bonus, the appraiser confirms it, the Department
deducts; after the lock a correction by decision is previewed and published, and the citizen reads it everywhere.
"""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from scoring.models import Period, Score, Submission
from scoring.permissions import ADMINISTRATOR, APPRAISER, UNIT_STAFF
from tests.conftest import ARTIFACTS, clear_locked_data, make_units, restore_reference_data, sign_in_on_page
from tests.scoring.workflow_cast import user
from units.models import Block

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "nam"
CRITERIA = [
    ("Mã", "Nội dung", "Điểm tối đa", "Cách chấm"),
    ("1", "Công tác chỉ đạo, điều hành cải cách hành chính", 10, "tự đánh giá"),
    ("1.1", "Ban hành kế hoạch cải cách hành chính năm", 4, "tự đánh giá"),
    ("1.2", "Báo cáo cải cách hành chính định kỳ", 6, "tự đánh giá"),
    ("2", "Giải quyết thủ tục hành chính đúng hạn", 60, "tự đánh giá"),
    ("3", "Sự hài lòng của người dân, tổ chức", 30, "điều tra xã hội học"),
    ("6", "Điểm thưởng", 2, ""),
    ("6.1", "Sáng kiến cải cách hành chính được công nhận", 1.5, "điểm thưởng"),
    ("6.2", "Được khen thưởng về cải cách hành chính", 0.5, "điểm thưởng"),
    ("7", "Điểm trừ: chậm gửi báo cáo cải cách hành chính", 1, "điểm trừ"),
]


@pytest.fixture
def two_departments_with_accounts():
    restore_reference_data()
    block = Block.objects.get(code="so")
    justice, health = make_units(block, ["Sở Tư pháp", "Sở Y tế"])
    accounts = {
        "admin": user("quantri", ADMINISTRATOR),
        "staff": user("canbo.stp", UNIT_STAFF, justice),
        "staff_health": user("canbo.syt", UNIT_STAFF, health),
        "appraiser": user("thamdinh", APPRAISER),
    }
    yield block, justice, health, accounts
    clear_locked_data()


def criteria_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Bộ tiêu chí"
    for row in CRITERIA:
        ws.append(row)
    for cell in ws["A"]:
        cell.number_format = "@"
    wb.save(path)
    return path


class Person:
    """One browser context: a person signed in, and the screenshots of what they saw."""

    def __init__(self, browser, server: str, username: str | None):
        self.context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.server = server
        if username:
            sign_in_on_page(self.page, server, username, going_to="/cham-diem/")

    def _console(self, message) -> None:
        # A refused form answers 400 with the page and its errors: the browser notes it, nothing is wrong.
        if message.type == "error" and "status of 400" not in message.text:
            self.console.append(message.text)

    def go(self, path: str) -> None:
        self.page.goto(self.server + path)

    def click(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).inner_text()

    def shot(self, name: str) -> None:
        """Desktop and phone screenshots of the page as it is; the phone must not scroll sideways."""
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.page.set_viewport_size({"width": 375, "height": 800})
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        self.page.screenshot(path=str(SHOTS / f"{name}-375.png"), full_page=True)
        self.page.set_viewport_size({"width": 1366, "height": 900})
        assert overflow <= 1, f"{name}: the page scrolls {overflow} px sideways at 375 px"
        assert not self.console, (name, self.console)


def test_the_whole_year_with_three_people_and_a_citizen(browser, live_server, two_departments_with_accounts, tmp_path):
    block, justice, health, accounts = two_departments_with_accounts
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = Person(browser, live_server.url, "quantri")

    # 1. The Department imports the criteria set: preview, then confirm; a draft period appears.
    admin.go("/cham-diem/bo-tieu-chi/nhap/")
    admin.page.set_input_files("#id_file", str(criteria_workbook(tmp_path / "bo-tieu-chi-2026.xlsx")))
    admin.page.fill("#id_year", "2026")
    admin.page.select_option("#id_block", label=block.name)
    admin.click("main button[type=submit]")
    preview = admin.text()
    assert "2 lĩnh vực" not in preview and "3 lĩnh vực (100 điểm), 2 tiêu chí, 4 tiêu chí chấm điểm" in preview
    assert "ngoài 100 điểm: 2 tiêu chí điểm thưởng, 1 tiêu chí điểm trừ" in preview
    admin.shot("01-bo-tieu-chi-xem-truoc")
    admin.click("text=Xác nhận nhập")
    period = Period.objects.get(year=2026, block=block)
    period_page = f"/cham-diem/ky/{period.pk}/"

    # 2. It assigns the appraiser to every unit in the portal, then opens self-assessment.
    admin.go(period_page)
    admin.page.select_option("#id_appraiser", label="thamdinh")
    admin.click("form[action$='/phan-cong/'] button")
    assert "Đã thêm 1 phân công thẩm định." in admin.text(".messages")
    deadline = timezone.localtime(timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    admin.page.fill("#id_open_deadline", deadline)
    admin.shot("02-ky-du-thao-phan-cong")
    admin.click("button:has-text('Mở tự đánh giá')")
    period.refresh_from_db()
    assert period.status == Period.Status.OPEN

    # 3. The unit enters points, attaches evidence (what it typed is saved first), is refused an incomplete
    #    submission with one summary and the rows marked, then explains and submits.
    staff = Person(browser, live_server.url, "canbo.stp")
    assert "Sở, ban, ngành" in staff.text() or block.name in staff.text()
    entry = f"{period_page}don-vi/{justice.code}/"
    staff.click(f"a[href='{entry}']")
    leaves = {c.code: c.pk for c in period.criteria_set.criteria.all()}
    staff.page.fill(f"#id_{leaves['1.1']}-self_points", "3,5")
    staff.page.fill(f"#id_{leaves['1.2']}-self_points", "6")
    staff.page.fill(f"#id_{leaves['2']}-self_points", "55")
    staff.page.fill(f"#id_{leaves['6.1']}-self_points", "1")  # a bonus proposed, with its explanation below
    assert staff.text("#total-self") == "64,500" and staff.text("#total-proposed") == "1,000"
    assert staff.page.locator(f"[name='{leaves['7']}-self_points']").count() == 0  # deductions are not the unit's
    staff.shot("03-don-vi-nhap-diem")
    staff.click(f"button[value='evidence:{leaves['1.1']}']")
    assert "Minh chứng — tiêu chí 1.1" in staff.text("h1")
    staff.page.fill("#id_link", "https://stp.example.gov.vn/ke-hoach-cchc-2026")
    staff.page.fill("#id_title", "Kế hoạch số 12/KH-STP")
    staff.click("main form.stack button[type=submit]")
    assert "Đã thêm minh chứng." in staff.text(".messages")
    staff.shot("04-minh-chung")
    staff.click("text=← Về hồ sơ tự đánh giá")
    assert staff.page.input_value(f"#id_{leaves['2']}-self_points") == "55"  # kept: saved before the evidence page
    staff.click("button[value=submit]")
    summary = staff.text("#loi")
    assert "Chưa nộp được hồ sơ: 3 tiêu chí có điểm nhưng chưa có minh chứng hay giải trình" in summary
    assert staff.page.locator("tr.leaf.attention").count() == 3
    staff.page.check("#chi-can-xu-ly")
    assert staff.page.locator("tr.leaf:visible").count() == 3
    staff.shot("05-nop-thieu-giai-trinh")
    staff.page.uncheck("#chi-can-xu-ly")
    staff.page.fill(f"textarea[name=\"{leaves['1.2']}-explanation\"]", "Báo cáo số 5/BC-STP, số 9/BC-STP")
    staff.page.fill(
        f"textarea[name=\"{leaves['2']}-explanation\"]", "Tỷ lệ đúng hạn 92% theo Hệ thống thông tin giải quyết TTHC"
    )
    staff.page.fill(f"textarea[name=\"{leaves['6.1']}-explanation\"]", "Quyết định công nhận sáng kiến số 3/QĐ-UBND")
    staff.click("button[value=submit]")
    assert "Đã nộp hồ sơ tự đánh giá." in staff.text(".messages")
    staff.shot("06-da-nop")

    # The other unit submitted too; survey points come from the Department's survey.
    for code, points in (("1.1", "4"), ("1.2", "5.5"), ("2", "58")):
        Score.objects.create(
            period=period, unit=health, criterion_id=leaves[code], self_points=Decimal(points), explanation="Báo cáo"
        )
    Submission.objects.create(period=period, unit=health, status=Submission.Status.SUBMITTED)
    for unit, points in ((justice, "25"), (health, "27")):
        Score.objects.update_or_create(
            period=period, unit=unit, criterion_id=leaves["3"], defaults={"appraised_points": Decimal(points)}
        )

    # 4. Appraisal starts; approving now is refused, by the page and by the server, with one summary.
    admin.go(period_page)
    admin.click("button:has-text('Bắt đầu thẩm định vòng 1')")
    approve = admin.page.locator("form.action-form", has_text="Phê duyệt kết quả")
    assert "2 đơn vị chưa được thẩm định đủ: Sở Tư pháp (thiếu 4 tiêu chí); Sở Y tế (thiếu 3 tiêu chí)." in (
        approve.inner_text()
    )
    assert "bỏ qua bước giải trình" in approve.inner_text()
    assert approve.locator("button").count() == 0
    token = next(c["value"] for c in admin.context.cookies() if c["name"] == "csrftoken")
    admin.page.request.post(
        f"{live_server.url}{period_page}chuyen-trang-thai/",
        form={"move": "approve", "csrfmiddlewaretoken": token},
        headers={"Referer": live_server.url + period_page},
        max_redirects=0,
    )
    admin.go(period_page)
    assert admin.page.locator(".msg--error").count() == 1
    assert admin.text(".msg--error").startswith("Chưa thể “Phê duyệt kết quả (bỏ qua giải trình)”: 2 đơn vị chưa được")
    period.refresh_from_db()
    assert period.status == Period.Status.APPRAISAL
    admin.shot("07-phe-duyet-som-bi-tu-choi")

    # 5. The appraiser sees the open round on the work list and appraises both units.
    appraiser = Person(browser, live_server.url, "thamdinh")
    assert "2 đơn vị được phân công cho bạn đang chờ thẩm định" in appraiser.text(".todo")
    appraiser.shot("08-tham-dinh-viec-can-lam")
    appraiser.click(".todo a")
    appraiser.click(f"a[href='{entry}']")
    for code, points in (("1.1", "3,5"), ("1.2", "6"), ("2", "45"), ("6.1", "1")):
        appraiser.page.fill(f"#id_{leaves[code]}-appraised_points", points)
    assert appraiser.page.locator(f"[name='{leaves['7']}-appraised_points']").count() == 0  # the Department's
    appraiser.page.fill(f"textarea[name=\"{leaves['2']}-appraiser_comment\"]", "Chưa có số liệu kiểm chứng tỷ lệ 92%")
    assert appraiser.text("#total-appr") == "54,500" and appraiser.text("#total-self") == "64,500"
    appraiser.shot("09-tham-dinh-vong-1")
    appraiser.click("button[value=appraised]")
    assert "Đã thẩm định vòng 1" in appraiser.text("#submission-status")
    appraiser.go(f"{period_page}don-vi/{health.code}/")
    for code, points in (("1.1", "4"), ("1.2", "5,5"), ("2", "58")):
        appraiser.page.fill(f"#id_{leaves[code]}-appraised_points", points)
    appraiser.click("button[value=appraised]")

    # The Department deducts a quarter point from Sở Tư pháp, with its reason, and marks criterion 1.1 as not
    # applying to Sở Y tế.
    admin.go(entry)
    admin.page.fill(f"#id_{leaves['7']}-appraised_points", "0,25")
    admin.page.fill(f"textarea[name=\"{leaves['7']}-appraiser_comment\"]", "Báo cáo quý II gửi chậm 5 ngày")
    assert admin.text("#total-deduction") == "0,250"
    admin.click("button[value=save]")
    assert "Đã lưu 2 thay đổi." in admin.text(".messages")
    admin.go(f"{period_page}don-vi/{health.code}/")
    admin.page.check(f"#id_{leaves['1.1']}-not_applicable")
    admin.page.fill("input[name=reason]", "Sở Y tế không có nhiệm vụ này năm 2026")
    admin.click("button[value=save]")
    admin.shot("09b-so-noi-vu-diem-tru-khong-ap-dung")

    # 6. Explanation: the unit sees the criterion that was cut, first, and answers beside its explanation.
    admin.go(period_page)
    admin.click("button:has-text('Chuyển sang giải trình')")
    staff.go("/cham-diem/")
    assert "được trả về để giải trình: 1 tiêu chí bị trừ điểm ở vòng 1" in staff.text(".todo")
    staff.click(".todo a")
    assert "1 tiêu chí bị trừ điểm ở vòng 1" in staff.text("#bi-tru")
    assert staff.page.locator("tr.leaf.cut").count() == 1
    staff.page.fill(f"#id_{leaves['2']}-response", "Bổ sung Báo cáo 15/BC-STP kèm số liệu từ Hệ thống một cửa điện tử")
    staff.shot("10-giai-trinh")
    staff.click("button[value=explain]")
    assert "Đã giải trình" in staff.text("#submission-status")

    # 7. Round 2 (the other unit had nothing to explain: an early move, with a reason), then the appraiser
    #    sees round 1, the explanation and round 2 side by side.
    admin.go(period_page)
    round_two = admin.page.locator("form.action-form", has_text="Bắt đầu thẩm định vòng 2")
    round_two.locator("textarea").fill("Sở Y tế không có tiêu chí bị trừ điểm")
    with admin.page.expect_navigation():
        round_two.locator("button").click()
    period.refresh_from_db()
    assert period.status == Period.Status.APPRAISAL_2
    appraiser.go(entry)
    row = appraiser.page.locator(f"#tc-{leaves['2']}")
    assert "Vòng 1" in row.inner_text() and "Chưa có số liệu kiểm chứng" in row.inner_text()
    assert "Bổ sung Báo cáo 15/BC-STP" in row.inner_text()
    appraiser.page.fill(f"#id_{leaves['2']}-appraised_points", "52")
    appraiser.page.fill(f"textarea[name=\"{leaves['2']}-appraiser_comment\"]", "Đã đủ căn cứ sau giải trình")
    appraiser.shot("11-tham-dinh-vong-2")
    appraiser.click("button[value=appraised]")

    # 8. Approval, the table previewed as it will be published, publication with the decision number typed.
    admin.go(period_page)
    admin.click("button:has-text('Phê duyệt kết quả')")
    preview = admin.text("section[aria-labelledby=xem-truoc]")
    # Sở Y tế: 90,5 of an applicable 96 → 94,271; Sở Tư pháp: 86,5 + a bonus of 1 − a deduction of 0,25 = 87,25.
    assert "Sở Y tế\t94,271\tXuất sắc\t1" in preview and "Sở Tư pháp\t87,250\tTốt\t2" in preview
    admin.page.fill("#id_publish_decision_number", "25/QĐ-UBND")
    admin.page.fill("#id_publish_decision_date", timezone.localdate().isoformat())
    admin.page.fill("#id_publish_confirm", "2025")
    admin.click("button:has-text('Công bố')")
    assert "hãy gõ đúng năm đánh giá (2026) hoặc số quyết định" in admin.text(".msg--error")
    admin.page.fill("#id_publish_decision_number", "25/QĐ-UBND")
    admin.page.fill("#id_publish_decision_date", timezone.localdate().isoformat())
    admin.page.fill("#id_publish_confirm", "25/QĐ-UBND")
    admin.shot("12-cong-bo-xem-truoc")
    admin.click("button:has-text('Công bố')")
    period.refresh_from_db()
    assert period.status == Period.Status.PUBLISHED
    admin.page.fill("#id_lock_confirm", "2026")
    admin.click("button:has-text('Khóa kỳ')")
    period.refresh_from_db()
    assert period.status == Period.Status.LOCKED
    assert "mọi số liệu chỉ để xem" in admin.text() and admin.page.locator("a[href*='nhap-diem']").count() == 0
    admin.shot("13-da-khoa")

    # 9. A correction by decision after the lock: criterion 2 of Sở Tư pháp was 52, the council's minutes say 55.
    admin.click("text=Đính chính kết quả")
    admin.page.fill("#id_reason", "Biên bản hội đồng thẩm định ghi 55 điểm tiêu chí 2 của Sở Tư pháp")
    admin.page.fill("#id_decision_number", "40/QĐ-UBND")
    admin.page.fill("#id_decision_date", timezone.localdate().isoformat())
    admin.page.fill("#id_signer", "Chủ tịch UBND tỉnh")
    admin.click("button[value=open]")
    assert "Đã mở đính chính lần 1" in admin.text(".messages")
    admin.click(f"a[href='{entry}']")
    admin.page.fill(f"#id_{leaves['2']}-appraised_points", "55")
    admin.click("button[value=save]")
    admin.go(f"{period_page}dinh-chinh/")
    row = admin.page.locator("table.correction-preview tr", has_text="Sở Tư pháp").inner_text().split("\t")
    assert row[1:4] == ["87,250", "90,250", "Tốt → Xuất sắc"]
    admin.shot("14-dinh-chinh-xem-truoc")
    admin.page.fill("#id_xac_nhan_confirm", "40/QĐ-UBND")
    admin.click("button[value=publish]")
    assert "Đã công bố bản đính chính lần 1" in admin.text(".messages")

    # 10. A citizen reads the corrected table, downloads it, and opens the unit's page.
    citizen = Person(browser, live_server.url, None)
    citizen.go("/")
    citizen.click(f"a[href='{period.get_absolute_url()}']")
    rows = citizen.page.locator("table.ranking tbody tr")
    assert [rows.nth(i).inner_text().split("\t") for i in range(2)] == [
        ["1", "Sở Y tế", "94,271", "Xuất sắc", "1"],
        ["2", "Sở Tư pháp", "90,250", "Xuất sắc", "2"],
    ]
    assert "Đính chính lần 1 theo quyết định số 40/QĐ-UBND" in citizen.text(".source")
    citizen.shot("15-cong-khai-bang-xep-hang")
    with citizen.page.expect_download() as download:
        citizen.page.click("text=Excel (.xlsx)")
    assert download.value.suggested_filename.endswith(".xlsx")
    ws = load_workbook(BytesIO(Path(download.value.path()).read_bytes())).active
    table = [row[1:5] for row in ws.iter_rows(min_row=6, max_row=7, values_only=True)]
    assert table == [("Sở Y tế", 94.271, "Xuất sắc", 1), ("Sở Tư pháp", 90.25, "Xuất sắc", 2)]
    citizen.click("table.ranking a:has-text('Sở Tư pháp')")
    areas = citizen.page.locator("table.ranking", has_text="theo lĩnh vực")
    points = [cell.inner_text() for cell in areas.locator("tbody tr td:nth-child(3)").all()]
    assert points == ["9,500", "55,000", "25,000", "1,000", "-0,250"]  # adding up to the total beneath them
    assert "90,250" in areas.locator("tfoot").inner_text()
    citizen.shot("16-cong-khai-don-vi")
    for person in (admin, staff, appraiser, citizen):
        person.context.close()
