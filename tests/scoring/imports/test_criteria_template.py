"""The criteria workbook template: offered on the import page, kept in fixtures/, and importing cleanly."""

from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from scoring.imports.criteria import METHODS, criteria_import, read_criteria_rows
from scoring.imports.criteria_template import METHOD_MEANING, criteria_template, example_counts
from scoring.models import CriteriaSet, Criterion, Method, Period
from scoring.permissions import APPRAISER, UNIT_STAFF
from scoring.tree import BONUS, DEDUCTION, SCORED, CriteriaTree
from tests.browser import submit_page
from tests.conftest import make_units
from tests.scoring.workflow_cast import user

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "bo-tieu-chi-mau.xlsx"
IMPORT_URL = "/cham-diem/bo-tieu-chi/nhap/"
TEMPLATE_URL = "/cham-diem/bo-tieu-chi/mau.xlsx"
SAMPLE_COUNTS = (
    "6 lĩnh vực (100 điểm), 13 tiêu chí, 16 tiêu chí chấm điểm; ngoài 100 điểm: 2 tiêu chí điểm thưởng, "
    "1 tiêu chí điểm trừ"
)

pytestmark = pytest.mark.usefixtures("media_root")



def cells(source) -> dict[str, list[tuple]]:
    """Every sheet's values, row by row: what a reader of the workbook sees."""
    workbook = load_workbook(source)
    return {
        ws.title: [row for row in ws.iter_rows(values_only=True) if any(v is not None for v in row)]
        for ws in workbook
    }


# --- The committed sample --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_committed_sample_imports_without_a_problem_and_counts_as_the_page_says(administrator_client, so, scheme):
    rows = read_criteria_rows(FIXTURE, FIXTURE.name)

    summary = criteria_import(rows=rows, year=2026, block=so, dry_run=True)

    assert summary.counts.sentence() == SAMPLE_COUNTS
    assert f"một bộ tiêu chí nhỏ làm ví dụ ({SAMPLE_COUNTS})" in administrator_client.get(IMPORT_URL).content.decode()
    assert not CriteriaSet.objects.exists() and not Period.objects.exists()


def test_the_committed_sample_is_what_the_command_writes(tmp_path):
    written = tmp_path / "mau.xlsx"

    call_command("criteria_template", "-o", str(written))

    assert cells(written) == cells(FIXTURE), "regenerate: manage.py criteria_template -o fixtures/bo-tieu-chi-mau.xlsx"


def test_the_sample_has_the_shape_of_a_real_provincial_set():
    sheet = load_workbook(FIXTURE).worksheets[0]
    rows = read_criteria_rows(FIXTURE, FIXTURE.name)
    tree = CriteriaTree.from_rows(rows)
    scored = [a for a in tree.areas if tree.kind(a) == SCORED]
    assert len(scored) >= 3
    assert any(tree.is_leaf(a) for a in scored)  # an area scored directly
    assert max(tree.depth(n) for n in tree) == 2  # sub-criteria: area, criterion, sub-criterion
    assert any(tree.method(a) == Method.SURVEY for a in scored)
    bonus = [a for a in tree.areas if tree.kind(a) == BONUS and not tree.is_leaf(a)]
    assert len(bonus) == 1 and len(tree.children(bonus[0])) == 2
    assert bonus[0].max_points == sum(k.max_points for k in tree.children(bonus[0]))
    assert any(tree.kind(n) == DEDUCTION for n in tree.leaves)
    fractions = {n.max_points % 1 for n in tree}
    assert {Decimal("0.25"), Decimal("0.5"), Decimal("0.75")} <= fractions
    assert sum(a.max_points for a in scored) == Decimal(100)
    # The code column is text (so 3.10 stays 3.10), in the cells written and the empty ones below them.
    assert [c.value for c in sheet[1]] == ["Mã", "Nội dung", "Điểm tối đa", "Cách chấm"]
    assert all(c.data_type == "s" and c.number_format == "@" for c in sheet["A"][1 : len(rows) + 1])
    assert sheet.cell(row=len(rows) + 20, column=1).number_format == "@"


def test_the_guide_names_every_method_word_and_explains_bonus_deduction_and_not_applicable():
    guide = "\n".join(row[0] for row in cells(FIXTURE)["Hướng dẫn"])
    for word in METHODS:
        assert f"“{word}”" in guide
    assert set(METHOD_MEANING) == set(METHODS.values())  # every method the importer knows is explained
    for words in (
        "Mã là văn bản",
        "phần mã trước dấu chấm cuối cùng",
        "bước 0,25 hoặc 0,5",
        "tổng điểm tối đa của các tiêu chí con cùng loại",
        "mặc định 100",
        "dòng nhóm “Điểm thưởng”",
        "điểm tối đa ghi số dương",
        "đánh dấu “Không áp dụng” cho đơn vị đó",
        "điểm đạt ÷ điểm tối đa của các tiêu chí áp dụng × 100",
        example_counts().sentence(),
    ):
        assert words in guide, words


# --- The download --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_downloaded_template_imports_cleanly(administrator_client, so, scheme, tmp_path):
    response = administrator_client.get(TEMPLATE_URL)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bo-tieu-chi-mau.xlsx"'
    path = tmp_path / "tai-ve.xlsx"
    path.write_bytes(response.content)
    summary = criteria_import(rows=read_criteria_rows(path, path.name), year=2026, block=so, dry_run=True)
    assert summary.counts.sentence() == SAMPLE_COUNTS
    assert cells(BytesIO(response.content)) == cells(BytesIO(criteria_template()))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [UNIT_STAFF, APPRAISER])
def test_only_administrators_download_the_template(role, so):
    unit = make_units(so, ["Sở Tư pháp"])[0] if role == UNIT_STAFF else None
    client = Client()
    client.force_login(user("nguoi-dung", role, unit))

    assert client.get(TEMPLATE_URL).status_code == 403
    assert Client().get(TEMPLATE_URL)["Location"].startswith(reverse("login"))


# --- The page ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_explains_the_format_above_the_form_with_the_method_words_and_the_template(administrator_client):
    page = administrator_client.get(IMPORT_URL).content.decode()

    help_at, form_at = page.index("Cách viết tệp bộ tiêu chí"), page.index('enctype="multipart/form-data"')
    assert help_at < form_at
    assert page.index(f'href="{TEMPLATE_URL}"') < form_at
    assert "dòng nhóm “Điểm thưởng”" in page and "cách chấm “điểm trừ”" in page
    for word in METHODS:
        assert f"<code>{word}</code>" in page[help_at:form_at], word


@pytest.mark.django_db
def test_the_sample_goes_through_the_page_preview_and_confirmation(administrator_client, so, scheme):
    make_units(so, ["Sở Nội vụ", "Sở Tư pháp"])
    data = {"year": 2026, "block": so.pk, "total": "100", "name": ""}
    data["file"] = SimpleUploadedFile(FIXTURE.name, FIXTURE.read_bytes())

    preview = administrator_client.post(IMPORT_URL, data)

    page = preview.content.decode()
    assert preview.status_code == 200 and 'class="errors"' not in page
    assert f"{SAMPLE_COUNTS} (27 dòng)." in page

    confirmed = submit_page(administrator_client, IMPORT_URL, page=preview)

    criteria_set = CriteriaSet.objects.get(year=2026, block=so)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("scoring:dashboard", args=[criteria_set.periods.get().pk])
    methods = dict(Criterion.objects.filter(criteria_set=criteria_set).values_list("code", "method"))
    assert (methods["6"], methods["7"], methods["7.2"], methods["8"]) == (
        Method.SURVEY,
        Method.BONUS,
        Method.BONUS,
        Method.DEDUCTION,
    )
    assert Criterion.objects.get(criteria_set=criteria_set, code="5.1").max_points == Decimal("10.75")
