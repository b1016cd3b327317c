"""Every workbook the portal writes, opened in LibreOffice (headless) and printed to PDF, as Sở Nội vụ would.

Each must open and convert (a workbook LibreOffice cannot read, or would repair, yields no PDF), print on A4,
and stay readable: the detailed report's summary on one page, its per-criterion detail across pages with the
unit code and name on every page and text no smaller than on screen. The first pages of each PDF are saved
as pictures in test-artifacts/print/ for a person to look at.

Where LibreOffice is missing the test is skipped locally; CI installs it (libreoffice-calc-nogui, poppler-utils)
and sets CI=true, so there it always runs.
"""

import os
import re
import shutil
import statistics
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import F
from openpyxl import load_workbook

from reports.comparison import comparison_workbook
from reports.excel import ranking_workbook
from reports.pages.ranking import ranking_page
from scoring.exports.audit import audit_workbook
from scoring.exports.detailed import detailed_workbook
from scoring.imports.score_sheets import KINDS, run_check, score_template
from scoring.models import AuditEntry, Criterion, Method, Score
from scoring.ops.demo import demo_seed
from scoring.scores import Change, scores_save
from units.models import Block, Unit
from units.resources import SafeXLSX, UnitResource

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "print"
SOFFICE = shutil.which("soffice")
A4_POINTS = {(595, 842), (842, 595)}

pytestmark = [pytest.mark.office, pytest.mark.django_db]


def tools():
    missing = [name for name in ("soffice", "pdfinfo", "pdftotext", "pdftoppm") if not shutil.which(name)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} not installed; .ci/run installs libreoffice-calc-nogui, poppler-utils.")
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install libreoffice-calc-nogui poppler-utils).")


@pytest.fixture
def workbooks(admin_user, settings, tmp_path) -> dict[str, bytes]:
    """One of each workbook the portal writes, from the real 2022 results and the demonstration period."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("import_results", str(ROOT / "fixtures" / "ket-qua-cong-bo-2022.csv"))
    call_command("import_results", str(ROOT / "fixtures" / "ket-qua-cong-bo-2020-mot-phan.csv"), "--partial")
    period = demo_seed()
    # Appraised as self-assessed, so the detailed report has totals, grades and ranks to print.
    Score.objects.filter(period=period).exclude(self_points=None).update(appraised_points=F("self_points"))
    unit = Unit.objects.get(code="so-noi-vu")
    survey = Criterion.objects.leaves_of(period.criteria_set_id).filter(method=Method.SURVEY).first()
    scores_save(  # an entry for the audit log
        period=period, unit=unit, by=admin_user, changes=[Change("appraised_points", survey.pk, "1,5")], reason="Thử"
    )
    bad = load_workbook(BytesIO(score_template(period, KINDS["tham-dinh"], admin_user)))
    bad["Bảng điểm"]["C7"] = 999
    bad["Bảng điểm"]["A8"] = "khong-co"
    buffer = BytesIO()
    bad.save(buffer)
    buffer.seek(0)
    check = run_check(buffer, "sai.xlsx", period, KINDS["tham-dinh"], admin_user)
    assert len(check.errors) >= 2 and check.error_workbook  # (an open period refuses appraisal too)
    units = UnitResource().export(queryset=Unit.objects.filter(block__code="so"))
    return {
        "xep-hang-2022-so": ranking_workbook(ranking_page(2022, "so")),
        "so-sanh-so": comparison_workbook(Block.objects.get(code="so")),
        "bao-cao-chi-tiet": detailed_workbook(period),
        "mau-tu-danh-gia": score_template(period, KINDS["tu-danh-gia"], admin_user),
        "mau-tham-dinh": score_template(period, KINDS["tham-dinh"], admin_user),
        "mau-dieu-tra": score_template(period, KINDS["dieu-tra"], admin_user),
        "nhat-ky": audit_workbook(period, AuditEntry.objects.filter(period=period).order_by("-at")),
        "loi-nhap-diem": check.error_workbook,
        "don-vi": SafeXLSX().export_data(units),
    }


def printed(workbooks: dict[str, bytes], tmp_path: Path) -> dict[str, Path]:
    """Each workbook converted to PDF by one headless LibreOffice run."""
    sources = []
    for name, content in workbooks.items():
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(content)
        sources.append(str(path))
    out = tmp_path / "pdf"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *sources,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {name: out / f"{name}.pdf" for name in workbooks}


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    return text.decode().split("\f")[:-1]


def page_sizes(pdf: Path) -> set[tuple[int, int]]:
    info = subprocess.run(["pdfinfo", "-l", "999", str(pdf)], check=True, capture_output=True).stdout.decode()
    return {(round(float(w)), round(float(h))) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", info)}


def word_heights(pdf: Path, first: int, last: int) -> list[float]:
    """The height in points of each word printed on pages first..last (the size a reader sees)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(first), "-l", str(last), str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    return [float(y2) - float(y1) for y1, y2 in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)]


def pictures(name: str, pdf: Path, count: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", str(count), str(pdf), str(ARTIFACTS / name)], check=True
    )


def test_every_workbook_opens_in_libreoffice_and_prints_readably_on_a4(workbooks, tmp_path):
    tools()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    pdfs = printed(workbooks, tmp_path)
    for name, pdf in pdfs.items():
        assert pdf.exists(), f"LibreOffice could not open {name}.xlsx"
        assert page_sizes(pdf) <= A4_POINTS, (name, page_sizes(pdf))
        text = pages(pdf)
        assert text and all(page.strip() for page in text), name  # no blank pages
        pictures(name, pdf, 3)

    report = pages(pdfs["bao-cao-chi-tiet"])
    units = list(Unit.objects.filter(block__code="so").active_in(2023).values_list("name", flat=True))
    # The summary: every unit, its total, grade and rank, on the first page alone.
    assert report[0].lstrip().startswith("Tóm tắt") and all(name in report[0] for name in units)
    assert "Số đơn vị theo xếp loại" in report[0] and not any("Tóm tắt" in page for page in report[1:])
    # The detail: across several pages, each with the unit names repeated and the criteria at a readable size.
    detail = [number for number, page in enumerate(report, start=1) if "Mã đơn vị" in page and "Cộng 1" in page]
    across = [n for n, page in enumerate(report, start=1) if n > 1 and "Sở Nội vụ" in page and "Tóm tắt" not in page]
    assert len(detail) >= 1 and len(across) >= 4, (detail, across)
    heights = word_heights(pdfs["bao-cao-chi-tiet"], across[0], across[-1])
    assert statistics.median(heights) >= 7, statistics.median(heights)  # about 9 pt type, not a 3 pt squeeze
    summary = word_heights(pdfs["bao-cao-chi-tiet"], 1, 1)
    assert statistics.median(summary) >= 6, statistics.median(summary)

    ranking = pages(pdfs["xep-hang-2022-so"])
    assert len(ranking) == 1 and "Sở Thông tin và Truyền thông" in ranking[0]
    assert re.search(r"90[.,]450", ranking[0])
    template = pages(pdfs["mau-tham-dinh"])
    assert len(template) > 1 and all("Mã đơn vị" in page for page in template)  # the unit columns on every page
    assert any("Ban hành" in page for page in template)  # criterion titles, not only codes
    assert any("Giải trình" in page for page in pages(pdfs["mau-tu-danh-gia"]))
    assert any("999" in page and "khong-co" in page for page in pages(pdfs["loi-nhap-diem"]))


def words(pdf: Path, page: int = 1) -> list[tuple[str, float, float]]:
    """Each word printed on a page, with the top and bottom of its box in points."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    found = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)
    return [(text, float(top), float(bottom)) for top, bottom, text in found]


@pytest.mark.parametrize("kind", ["xep-hang", "so-sanh"])
def test_the_public_workbooks_two_line_headers_print_above_the_first_row(tmp_path, kind):
    """LibreOffice does not grow a row for wrapped text the file does not size: “Vị thứ năm 2020” and “Thay đổi
    vị thứ” printed over the first unit's line."""
    tools()
    call_command("import_results", str(ROOT / "fixtures" / "ket-qua-cong-bo-2020-mot-phan.csv"), "--partial")
    call_command("import_results", str(ROOT / "fixtures" / "ket-qua-cong-bo-2022.csv"))
    page = ranking_page(2022, "so")
    assert page.previous is not None  # the change columns, with their two-line headers
    content = ranking_workbook(page) if kind == "xep-hang" else comparison_workbook(Block.objects.get(code="so"))
    pdf = printed({kind: content}, tmp_path)[kind]
    pictures(f"{kind}-tieu-de", pdf, 1)
    printed_words = words(pdf)
    header = [w for w in printed_words if w[0] in ("Vị", "thứ", "năm", "2020", "2022", "Thay", "đổi", "Xếp", "loại")]
    first_row = [w for w in printed_words if w[0] in ("Thông", "Truyền")]  # Sở Thông tin và Truyền thông, ranked 1
    assert header and first_row
    lowest_header = max(bottom for _, top, bottom in header if bottom < min(t for _, t, _ in first_row) + 20)
    assert lowest_header <= min(top for _, top, _ in first_row), (lowest_header, first_row)
    assert "Trang 1 / 1" in pages(pdf)[0]  # a page number in the footer
