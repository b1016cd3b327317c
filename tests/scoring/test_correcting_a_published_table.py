"""Correcting a published table in the portal (đính chính): open with a reason and a decision, change points on
the sheets or import a workbook back, preview, publish with the decision number typed — or cancel. Nothing of it is
public before it is published, the audit log names the person, and the database refuses to touch a published
correction."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from scoring import corrections
from scoring.models import AuditEntry, Period, ResultVersion, Score, ScoreCorrection
from scoring.services import period_publish
from tests.browser import submit_page, table_with
from tests.conftest import correction_options, publish_table
from tests.scoring.workflow_cast import UNIT_STAFF, user

S = Period.Status
DECISION = {"reason": "Cộng sót điểm tiêu chí 2", "decision_number": "99/QĐ-UBND", "decision_date": "2026-02-20"}


@pytest.fixture
def published_cast_a_first(cast):
    """The workflow cast, appraised and published: A 1.1=2, 1.2=7, 2=50, 3=25; B and C lower."""
    values = {"1.1": "2", "1.2": "7", "2": "50", "3": "25"}
    for unit, less in ((cast.unit_a, 0), (cast.unit_b, 5), (cast.unit_c, 10)):
        for code, value in values.items():
            cast.score(unit, code, appraised_points=Decimal(value) - (less if code == "2" else 0))
    cast.set_status(S.APPROVED)
    period_publish(period=cast.period, decision_number="7/QĐ-UBND", decision_date=None, by=cast.admin)
    cast.period.refresh_from_db()
    return cast


def admin_client(cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def page_of(cast) -> str:
    return f"/cham-diem/ky/{cast.period.pk}/dinh-chinh/"


def sheet_of(cast, unit) -> str:
    return f"/cham-diem/ky/{cast.period.pk}/don-vi/{unit.code}/"


def errors_on(response) -> str:
    return response.content.decode()


def test_a_correction_changes_a_point_previews_it_and_is_published_by_decision(
    published_cast_a_first, django_capture_on_commit_callbacks
):
    cast, admin = published_cast_a_first, admin_client(published_cast_a_first)
    assert "Đính chính kết quả" in admin.get(f"/cham-diem/ky/{cast.period.pk}/").content.decode()
    assert submit_page(admin, page_of(cast), DECISION, button="open").status_code == 302
    field = f"{cast.leaf['2'].pk}-appraised_points"
    assert submit_page(admin, sheet_of(cast, cast.unit_c), {field: "60"}, button="save").status_code == 302
    # The draft is the Department's alone: the public table and the unit's page still show the published figures.
    public = Client()
    # Sở Xây dựng does not have criterion 1.2: 67 of an applicable 92,5 → 72,432; with 60 on criterion 2, 94,054.
    assert "72,432" in public.get("/xep-hang/2025/so/").content.decode()
    unit_staff = Client()
    unit_staff.force_login(user("canbo.c", UNIT_STAFF, cast.unit_c))
    own_sheet = unit_staff.get(sheet_of(cast, cast.unit_c)).content.decode()
    assert "Tổng điểm: <strong>72,432 — Khá</strong>" in own_sheet and "94,054" not in own_sheet
    assert "Tổng điểm: <strong>94,054 — Xuất sắc</strong>" in admin.get(sheet_of(cast, cast.unit_c)).content.decode()
    preview = table_with(admin.get(page_of(cast)).content.decode(), "sau đính chính")
    rows = {row[0]: row for row in preview.body()}
    assert rows["Sở Xây dựng"][1:3] == ["72,432", "94,054"] and "▲2" in rows["Sở Xây dựng"][5]
    assert "▼1" in rows["Sở Tư pháp"][5]
    # A wrong confirmation publishes nothing and says what to type.
    refused = submit_page(admin, page_of(cast), {"confirm": "7/QĐ-UBND"}, button="publish", follow=True)
    assert "hãy gõ đúng số quyết định (99/QĐ-UBND)" in errors_on(refused)
    assert ResultVersion.objects.filter(period=cast.period, sealed=False).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = submit_page(admin, page_of(cast), {"confirm": "99/QĐ-UBND"}, button="publish", follow=True)
    assert "Đã công bố bản đính chính lần 1" in errors_on(done)
    version = ResultVersion.objects.get(period=cast.period, is_current=True)
    assert (version.number, version.decision_number, version.reason) == (2, "99/QĐ-UBND", DECISION["reason"])
    page = public.get("/xep-hang/2025/so/").content.decode()
    assert "94,054" in page and "Đính chính lần 1 theo quyết định số 99/QĐ-UBND ngày 20/02/2026" in page
    # The Department's period page ranks, grades and sorts by the corrected total, not the score underneath.
    ranked = table_with(admin.get(f"/cham-diem/ky/{cast.period.pk}/?sort=rank").content.decode(), "progress").body()
    assert [(r[0], r[-4], r[-3], r[-2]) for r in ranked][0] == ("Sở Xây dựng", "94,054", "Xuất sắc", "1")
    assert [r[0] for r in ranked] == ["Sở Xây dựng", "Sở Tư pháp", "Sở Y tế"]
    # The score itself never changed; the correction lies over it, and the log names who did what.
    score = Score.objects.get(period=cast.period, unit=cast.unit_c, criterion=cast.leaf["2"])
    assert score.appraised_points == Decimal(40)
    entries = AuditEntry.objects.filter(period=cast.period, action=AuditEntry.Action.CORRECTION)
    assert [(e.by, e.old, e.new) for e in entries] == [(cast.admin, "40", "60")]
    assert AuditEntry.objects.filter(period=cast.period, action=AuditEntry.Action.RESULTS, by=cast.admin).exists()


def test_a_published_correction_is_refused_by_the_database(published_cast_a_first):
    cast = published_cast_a_first
    draft = corrections.correction_open(
        period=cast.period, reason="Sửa", decision_number="9/QĐ", decision_date="2026-02-01", by=cast.admin
    )
    correction = ScoreCorrection.objects.create(
        version=draft, unit=cast.unit_b, criterion=cast.leaf["2"], appraised_points=Decimal(55), old_points=45
    )
    corrections.correction_publish(period=cast.period, confirm="9/QĐ", by=cast.admin)
    for write in (
        lambda: ScoreCorrection.objects.filter(pk=correction.pk).update(appraised_points=1),
        lambda: ScoreCorrection.objects.filter(pk=correction.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="cchc_locked"), transaction.atomic():
            write()
    assert ScoreCorrection.objects.get(pk=correction.pk).appraised_points == Decimal(55)


def test_cancelling_drops_every_change_and_the_table_stays(published_cast_a_first):
    cast, admin = published_cast_a_first, admin_client(published_cast_a_first)
    submit_page(admin, page_of(cast), DECISION, button="open")
    submit_page(admin, sheet_of(cast, cast.unit_b), {f"{cast.leaf['1.1'].pk}-appraised_points": "0"}, button="save")
    answer = submit_page(admin, page_of(cast), button="cancel", follow=True)
    assert "Đã hủy lần đính chính" in errors_on(answer)
    assert not ScoreCorrection.objects.exists()
    assert list(ResultVersion.objects.filter(period=cast.period).values_list("number", flat=True)) == [1]
    assert "Mở đính chính" in admin.get(page_of(cast)).content.decode()


def test_nobody_but_the_department_corrects(published_cast_a_first):
    cast = published_cast_a_first
    corrections.correction_open(
        period=cast.period, reason="Sửa", decision_number="9/QĐ", decision_date="2026-02-01", by=cast.admin
    )
    for account in (cast.staff_a, cast.appraiser):
        client = Client()
        client.force_login(account)
        assert client.get(page_of(cast)).status_code == 403
        sheet = client.get(sheet_of(cast, cast.unit_a)).content.decode()
        assert f'name="{cast.leaf["2"].pk}-appraised_points"' not in sheet
        client.post(sheet_of(cast, cast.unit_a), {f"{cast.leaf['2'].pk}-appraised_points": "1", "action": "save"})
    assert not ScoreCorrection.objects.exists()


def test_the_detailed_report_edited_and_imported_back_is_a_correction(published_cast_a_first):
    cast, admin = published_cast_a_first, admin_client(published_cast_a_first)
    submit_page(admin, page_of(cast), DECISION, button="open")
    workbook = load_workbook(io.BytesIO(admin.get(f"/cham-diem/ky/{cast.period.pk}/bao-cao-chi-tiet.xlsx").content))
    sheet = workbook["Kết quả chi tiết"]
    header = [c.value for c in sheet[4]]
    row = next(r for r in sheet.iter_rows(min_row=6) if r[0].value == cast.unit_b.code)
    row[header.index("2")].value = 58
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = "bao-cao-da-sua.xlsx"
    url = f"/cham-diem/ky/{cast.period.pk}/nhap-diem/dinh-chinh/"
    response = admin.post(url, {"file": upload})
    checked = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "Sở Y tế" in checked, checked[checked.find("<main") : checked.find("</main>")]
    confirmed = admin.post(url, {"confirm": "1"})
    assert confirmed.status_code == 303 and confirmed["Location"] == page_of(cast)
    correction = ScoreCorrection.objects.get()
    assert (correction.unit, correction.old_points, correction.appraised_points) == (
        cast.unit_b,
        Decimal(45),
        Decimal(58),
    )


def test_a_table_from_an_announcement_is_corrected_with_the_portals_own_download(so, cast, tmp_path):
    period = publish_table(so, 2022, [("Sở Tư pháp", "88.5"), ("Sở Y tế", "87.25"), ("Sở Xây dựng", "80")])
    admin = admin_client(cast)
    csv = Client().get("/xep-hang/2022/so.csv").content.decode("utf-8-sig").replace("87.250", "89.000")
    url = f"/cham-diem/ky/{period.pk}/dinh-chinh/"
    submit_page(admin, url, DECISION, button="open")
    upload = io.BytesIO(csv.encode("utf-8"))
    upload.name = "ket-qua-cchc-so-2022.csv"
    answer = admin.post(url, {"action": "file", "file": upload}, follow=True)
    assert "Đã đọc 3 dòng" in errors_on(answer)
    rows = {r[0]: r for r in table_with(errors_on(answer), "sau đính chính").body()}
    assert rows["Sở Y tế"][1:3] == ["87,250", "89,000"] and rows["Sở Y tế"][4] == "2 → 1"
    done = submit_page(admin, url, {"confirm": "99/QĐ-UBND"}, button="publish", follow=True)
    assert "Đã công bố bản đính chính lần 1" in errors_on(done)
    # The Excel download reads back too (its title block above the header, no year or block column).
    xlsx = io.BytesIO(Client().get("/xep-hang/2022/so.xlsx").content)
    xlsx.name = "ket-qua.xlsx"
    submit_page(admin, url, {**DECISION, "decision_number": "100/QĐ-UBND"}, button="open")
    answer = admin.post(url, {"action": "file", "file": xlsx}, follow=True)
    assert "Đã đọc 3 dòng" in errors_on(answer)


def test_a_table_scored_in_the_portal_is_not_corrected_by_a_file_of_totals(published_cast_a_first, tmp_path):
    cast = published_cast_a_first
    path = tmp_path / "dinh-chinh.csv"
    path.write_text("nam,khoi,ten_don_vi,diem\n2025,so,Sở Y tế,99\n", encoding="utf-8")
    with pytest.raises(CommandError, match="chấm điểm trên cổng, nên đính chính là sửa điểm từng tiêu chí"):
        call_command("import_results", str(path), "--correction", "Sửa", *correction_options())
    with pytest.raises(CommandError, match="--user"):
        call_command("import_results", str(path), "--correction", "Sửa")
    assert ResultVersion.objects.filter(period=cast.period).count() == 1


def test_the_list_of_publications_names_and_dates_each_by_its_decision(cast, django_capture_on_commit_callbacks):
    for unit, points in ((cast.unit_a, "50"), (cast.unit_b, "45"), (cast.unit_c, "40")):
        for code, value in {"1.1": "2", "1.2": "7", "2": points, "3": "25"}.items():
            cast.score(unit, code, appraised_points=Decimal(value))
    cast.set_status(S.APPROVED)
    period_publish(
        period=cast.period, decision_number="7/QĐ-UBND", decision_date="2025-02-14", by=cast.admin
    )  # published on the portal today, decided on 14/02/2025
    admin = admin_client(cast)
    submit_page(admin, page_of(cast), DECISION, button="open")
    submit_page(admin, sheet_of(cast, cast.unit_c), {f"{cast.leaf['2'].pk}-appraised_points": "60"}, button="save")
    with django_capture_on_commit_callbacks(execute=True):
        submit_page(admin, page_of(cast), {"confirm": "99/QĐ-UBND"}, button="publish")
    page = Client().get("/xep-hang/2025/so/").content.decode()
    listed = page[page.index('id="lich-su-cong-bo"') :]
    assert "Bản công bố ban đầu: Quyết định số 7/QĐ-UBND ngày 14/02/2025" in listed
    assert "Đính chính lần 1: Quyết định số 99/QĐ-UBND ngày 20/02/2026 — đang có hiệu lực" in listed
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert today not in listed  # the day of the click dates neither
    first = Client().get("/xep-hang/2025/so/lan-1/").content.decode()
    second = Client().get("/xep-hang/2025/so/lan-2/").content.decode()
    assert "lần công bố 2" not in second and "— đính chính lần 1 — CCHC" in second
    assert "— bản công bố ban đầu — CCHC" in first
