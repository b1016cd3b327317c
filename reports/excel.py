"""The published ranking table as an xlsx file in the layout of the announcement.

A ranking table has at most a few thousand rows (3,321 communes nationally), so it is built in
openpyxl's normal mode, which can set the title row's height; the large detailed reports use
write-only mode.
"""

from functools import lru_cache
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from reports.queries import PublishedTable

HEADERS = ("TT", "Tên đơn vị", "Điểm đánh giá", "Xếp loại", "Vị thứ")
WIDTHS = (6, 50, 15, 13, 9)
HEADER_ROW = 3
_FORMULA_START = ("=", "+", "-", "@")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "Times New Roman"


@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> Font:
    # Style objects are shared: openpyxl compares every new one against those it has, per cell.
    return Font(name=_FONT, bold=bold, size=size)


@lru_cache(maxsize=64)
def _alignment(align: str, wrap: bool) -> Alignment:
    return Alignment(horizontal=align, vertical="center", wrap_text=wrap)


@lru_cache(maxsize=16)
def _fill(color: str) -> PatternFill:
    return PatternFill("solid", fgColor=color)


def put(
    ws: Worksheet,
    row: int,
    column: int,
    value,
    *,
    number_format: str | None = None,
    bold=False,
    size=12,
    align="left",
    border=True,
    fill=None,
    wrap=False,
):
    """Write one styled cell; text that starts with = + - @ stays text, never a formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    cell.font = _font(bold, size)
    cell.alignment = _alignment(align, wrap)
    if border:
        cell.border = _BORDER
    if fill:
        cell.fill = _fill(fill)
    return cell


def ranking_workbook(table: PublishedTable) -> bytes:
    """Title row, header row, one row per unit; numeric scores shown with the published decimals."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = f"{table.block.code}-{table.period.year}"
    score_format = "0" if table.decimals == 0 else "0." + "0" * table.decimals
    put(ws, 1, 1, table.title, bold=True, size=14, align="center", border=False, wrap=True)
    ws.row_dimensions[1].height = 42
    if table.period.is_partial:
        put(ws, 2, 1, "Nguồn công bố chỉ nêu một phần bảng kết quả.", size=11, align="center", border=False)
    for column, header in enumerate(HEADERS, start=1):
        put(ws, HEADER_ROW, column, header, bold=True, align="center", fill="D9E2F3", wrap=True)
    for row_number, row in enumerate(table.rows, start=HEADER_ROW + 1):
        put(ws, row_number, 1, row.position, align="center")
        put(ws, row_number, 2, row.unit.name, wrap=True)
        put(ws, row_number, 3, row.total, number_format=score_format, align="right")
        put(ws, row_number, 4, row.grade, align="center")
        put(ws, row_number, 5, row.rank, align="center")
    _page_setup(ws, last_row=HEADER_ROW + len(table.rows))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _page_setup(ws: Worksheet, last_row: int) -> None:
    for letter, width in zip("ABCDE", WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    ws.merge_cells("A1:E1")
    ws.merge_cells("A2:E2")
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:E{last_row}"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = True
