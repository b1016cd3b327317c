"""The text rule (cchc_portal/lib/text.py) at every door, and every workbook the portal writes surviving the
rows that came in before the rule did.

A unit name and an explanation holding ESC, NUL, U+202E (right-to-left override) or 4,000 characters are
refused at each input with a Vietnamese message, and nothing is written; the same characters put straight
into the database (as old data would hold them) never make an export fail.
"""

import re
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from openpyxl import Workbook, load_workbook

from cchc_portal.lib.text import TextProblem, clean_text
from scoring.models import AuditEntry, Period, Score
from scoring.scores import Change, scores_save
from tests.browser import submit_page
from tests.conftest import publish_table
from units.models import Block, Unit

ESC, NUL, RLO = "\x1b", "\x00", "\u202e"
HOSTILE = {
    "esc": f"Sở Y{ESC}tế",
    "nul": f"Sở Y{NUL}tế",
    "rlo": f"Sở {RLO}ết Y",
    "4000-characters": "Sở " + "y" * 4000,
}
# What each is refused for, in the message.
REASON = {"esc": "U+001B", "nul": "U+0000", "rlo": "U+202E", "4000-characters": "vượt quá"}
MATCH = {case: re.escape(reason) for case, reason in REASON.items()}
CASES = pytest.mark.parametrize("case", list(HOSTILE))


def test_the_rule_itself_refuses_each_and_keeps_line_breaks_only_where_they_belong():
    for case, text in HOSTILE.items():
        with pytest.raises(TextProblem, match=MATCH[case]):
            clean_text(text, max_length=255)
    assert clean_text("  Sở  Y\u0301 tế ") == "Sở Ý tế"  # NFC, trimmed, folded
    assert clean_text("dòng 1\r\ndòng 2", multiline=True) == "dòng 1\ndòng 2"
    with pytest.raises(TextProblem, match=re.escape("U+000A")):
        clean_text("Sở Y\ntế")


# --- A unit's name -------------------------------------------------------------------------------------


@CASES
def test_the_admin_form_refuses_such_a_unit_name(superuser_client, case):
    block = Block.objects.get(code="so")
    data = {"code": "so-moi", "name": HOSTILE[case], "short_name": "", "block": block.pk}
    response = superuser_client.post("/quan-tri/units/unit/add/", data)
    assert response.status_code == 200
    assert REASON[case] in response.content.decode() or "255" in response.content.decode()
    assert not Unit.objects.filter(code="so-moi").exists()


def excel_text(text: str) -> str:
    """A cell's text as Excel writes it: control characters as _xHHHH_ (XML cannot hold them)."""
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 else c for c in text)


@CASES
def test_the_admin_import_refuses_such_a_unit_name(superuser_client, case):
    workbook = Workbook()
    workbook.active.append(["Mã đơn vị", "Tên đơn vị", "Tên viết tắt", "Khối"])
    workbook.active.append(["so-moi", excel_text(HOSTILE[case]), None, "so"])
    buffer = BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("don-vi.xlsx", buffer.getvalue())
    response = superuser_client.post("/quan-tri/units/unit/import/", {"format": "0", "import_file": upload})
    assert "confirm_form" not in response.context
    page = response.content.decode()
    assert REASON[case] in page or "255" in page
    assert not Unit.objects.filter(code="so-moi").exists()


@CASES
def test_import_results_refuses_such_a_unit_name(db, tmp_path, case):
    path = tmp_path / "ket-qua.csv"
    path.write_text(f"year,block,unit,score\n2023,so,Sở A,80\n2023,so,{HOSTILE[case]},81\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_results", str(path))
    if case == "nul":  # a NUL byte makes the file binary, not CSV, before any row is read
        assert "không phải bảng tính Excel .xlsx hoặc tệp CSV" in str(error.value)
    else:
        assert "Dòng 3, cột C (“unit”)" in str(error.value) and REASON[case] in str(error.value)
    assert not Unit.objects.exists() and not Period.objects.exists()


# --- An explanation ------------------------------------------------------------------------------------


@CASES
def test_the_entry_service_and_page_refuse_such_an_explanation(cast, case):
    leaf = cast.leaf["2"]
    with pytest.raises(ValidationError, match=MATCH[case]):
        scores_save(
            period=cast.period,
            unit=cast.unit_a,
            changes=[Change("explanation", leaf.pk, HOSTILE[case])],
            by=cast.staff_a,
        )
    client = Client()
    client.force_login(cast.staff_a)
    url = f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/"
    response = submit_page(client, url, {f"{leaf.pk}-explanation": HOSTILE[case]}, button="save")
    assert response.status_code == 400 and REASON[case] in response.content.decode()
    assert not Score.objects.exclude(explanation="").exists()


# --- Old rows holding such characters: every workbook still opens ---------------------------------------


def opens(response) -> None:
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    workbook = load_workbook(BytesIO(content))
    assert workbook.worksheets


def test_every_workbook_exports_rows_holding_control_characters(cast, so):
    # Old data, written before the rule: straight into the database, past every check.
    Unit.objects.filter(pk=cast.unit_a.pk).update(name=f"Sở Tư{ESC}pháp")
    # PostgreSQL cannot store NUL at all; SQLite can, so old SQLite data may hold it.
    nul = NUL if connection.vendor == "sqlite" else ""
    Unit.objects.filter(pk=cast.unit_b.pk).update(name=f'=HYPERLINK("x"){nul}{ESC}')
    Score.objects.create(
        period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"], self_points=5, explanation=f"Giải{ESC}trình"
    )
    AuditEntry.objects.create(period=cast.period, unit=cast.unit_a, action="explanation", new=f"x{ESC}{nul}y")
    for year in (2022, 2023):
        publish_table(so, year, [(f"Sở Tư{ESC}pháp", "90.5"), ("Sở Khác", "80")])
    client = Client()
    client.force_login(cast.admin)
    for url in (
        "/xep-hang/2023/so.xlsx",
        "/xep-hang/so-sanh/so.xlsx",
        f"/cham-diem/ky/{cast.period.pk}/nhat-ky.xlsx",
        f"/cham-diem/ky/{cast.period.pk}/bao-cao-chi-tiet.xlsx",
        f"/cham-diem/ky/{cast.period.pk}/mau-nhap-tham-dinh.xlsx",
    ):
        opens(client.get(url))
    superuser = get_user_model().objects.create_superuser("sieu-quan-tri", "s@example.gov.vn", "mat-khau-dai-123")
    client.force_login(superuser)
    fields = {"unitresource_name": "on", "unitresource_code": "on"}
    opens(client.post("/quan-tri/units/unit/export/", {"format": "0", "resource": "0", **fields}))


@pytest.mark.parametrize("url", ["/quan-tri/units/unit/?q=S%E1%BB%9F%00", "/xep-hang/so-sanh/so.xlsx?tu=%00"])
def test_a_query_string_holding_nul_is_refused_before_any_view(superuser_client, url):
    response = superuser_client.get(url)
    assert response.status_code == 400 and "U+0000" in response.content.decode()
