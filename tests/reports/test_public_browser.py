"""The public pages in headless Chromium as a reader sees them: every chart drawn from its table with the same
numbers, no console error or policy violation, no sideways scrolling at 375 px, sortable columns that say
their order, and the ranking table printed to PDF like a decision's annex. Screenshots and the PDF go to
test-artifacts/cong-khai/ to be looked at."""

import re
import shutil
import subprocess

import pytest

from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "cong-khai"
PAGES = {
    "xep-hang-2025": "/xep-hang/2025/so/",
    "don-vi-so-tai-chinh": "/don-vi/so-tai-chinh/",
    "so-sanh-2024-2025": "/xep-hang/so-sanh/so/?tu=2024&den=2025",
    "tong-quan": "/tong-quan/",
    "tieu-chi-1-2": "/tieu-chi/2025/so/1.2/",
    "chi-so-quoc-gia": "/chi-so-quoc-gia/",
}
# Every numeric cell of the series columns, read by the page's own parser: what the chart must have drawn.
TABLE_NUMBERS = """table => {
  const heads = [...table.tHead.rows[0].cells];
  const marked = heads.map((th, i) => th.hasAttribute('data-series') ? i : -1).filter(i => i >= 0);
  const kind = table.dataset.chart;
  const columns = kind === 'bar' ? marked.slice(0, 1) : marked.length ? marked : heads.slice(1).map((_, i) => i + 1);
  let count = 0;
  for (const row of table.tBodies[0].rows) {
    if (row.hasAttribute('data-chart-skip')) continue;
    for (const i of columns) {
      const cell = row.cells[i];
      const text = (cell.getAttribute('data-value') || cell.textContent).trim().replace(/\\*$/, '').split('/')[0];
      if (window.cchcParseVn(text) !== null) count++;
    }
  }
  return count;
}"""


@pytest.fixture
def lineage_with_national_ranks(committed_lineage):
    """The committed lineage cast and the province's national PAR index ranks for 2023 and 2024."""
    from scoring.models import NationalIndex

    NationalIndex.objects.create(kind="par-index", year=2023, rank=6, out_of=63, source_publisher="Bộ Nội vụ")
    NationalIndex.objects.create(kind="par-index", year=2024, rank=4, out_of=63, source_publisher="Bộ Nội vụ")
    return committed_lineage


def watch(page) -> list[str]:
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error('CSP ' + e.violatedDirective));"
    )
    return problems


def test_every_chart_is_drawn_from_its_table_and_pages_fit_a_phone(
    browser,
    live_server,
    lineage_with_national_ranks,
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 375):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN", reduced_motion="reduce")
        page = context.new_page()
        problems = watch(page)
        charts = 0
        for name, path in PAGES.items():
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            for table in page.locator("table[data-chart]").all():
                table.evaluate("t => { const d = t.closest('details'); if (d) d.open = true; }")
                page.wait_for_function("t => t.dataset.chartDrawn === 'true'", arg=table.element_handle())
                canvas = table.evaluate(
                    """t => { const c = t.closest('figure').querySelector('canvas[data-points]');
                      return [Number(c.dataset.points), c.getAttribute('role'), c.getAttribute('aria-label')]; }"""
                )
                drawn, role, label = canvas
                assert drawn == table.evaluate(TABLE_NUMBERS) > 0, (name, width)
                assert role == "img" and label == table.evaluate("t => t.caption.textContent.trim()"), (name, label)
                charts += 1
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} scrolls {overflow} px sideways at {width} px"
            if name.startswith("xep-hang"):  # the ranking table itself fits, without scrolling in its box
                box = page.evaluate(
                    "(() => { const b = document.querySelector('.table-scroll');"
                    " return b.scrollWidth - b.clientWidth; })()"
                )
                assert box <= 1, f"the ranking table scrolls {box} px inside its box at {width} px"
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert charts >= 5, charts  # unit, two on the overview, criterion, index
        assert not problems, problems
        context.close()


def test_the_ranking_table_sorts_by_any_column_and_back_to_the_published_order(
    browser,
    live_server,
    lineage_with_national_ranks,
):
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page.goto(live_server.url + "/xep-hang/2025/so/")
    names = "() => [...document.querySelectorAll('tbody td:nth-child(2) a')].map(a => a.textContent)"
    published = page.evaluate(names)
    assert published[0] == "Sở Y tế"
    page.get_by_role("button", name="Tên đơn vị").click()
    by_name = page.evaluate(names)
    assert by_name[0] == "Ban Quản lý dự án đầu tư xây dựng" and by_name != published
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    page.get_by_role("button", name="So với 2024").click()  # most improved first
    assert page.evaluate(names)[0] == "Sở Y tế"
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
    page.get_by_role("button", name="TT").click()
    assert page.evaluate(names) == published
    page.close()


def test_the_printed_table_reads_like_the_annex_of_the_decision(
    browser,
    live_server,
    lineage_with_national_ranks,
    tmp_path,
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(locale="vi-VN")
    page.goto(live_server.url + "/xep-hang/2025/so/")
    page.emulate_media(media="print")
    pdf = SHOTS / "xep-hang-2025-in.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=False)
    page.close()
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed (apt-get install poppler-utils)")
    printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout.decode()
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ HUẾ" in printed
    assert "Kết quả đánh giá, xếp loại công tác cải cách hành chính" in printed
    assert "Quyết định số 25/QĐ-UBND" in printed and "Sở Y tế" in printed and "91,000" in printed
    assert "Chỉ số quốc gia" not in printed and "Tải" not in printed and "Excel (.xlsx)" not in printed  # no nav
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True).stdout.decode()
    assert "(A4)" in info and re.search(r"Pages:\s+1\n", info)  # the whole table on one sheet
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(SHOTS / "xep-hang-2025-in")], check=True
    )
