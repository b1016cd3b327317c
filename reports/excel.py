"""The published ranking table as an xlsx file in the layout of the announcement.

A ranking table has at most a few thousand rows (3,321 communes nationally), so it is built in
openpyxl's normal mode, which can set the title row's height; the large detailed reports use
write-only mode.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from cchc_portal.lib.xlsx_write import HEADER_FILL, number_format, print_setup, put
from reports.queries import PublishedTable

HEADERS = ("TT", "Tên đơn vị", "Điểm đánh giá", "Xếp loại", "Vị thứ")
WIDTHS = (6, 50, 15, 13, 9)
HEADER_ROW = 3


def ranking_workbook(table: PublishedTable) -> bytes:
    """Title row, header row, one row per unit; numeric scores shown with the published decimals."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = f"{table.block.code}-{table.period.year}"
    score_format = number_format(table.decimals)
    put(ws, 1, 1, table.title, bold=True, size=14, align="center", border=False, wrap=True)
    ws.row_dimensions[1].height = 42
    if table.period.is_partial:
        put(ws, 2, 1, "Nguồn công bố chỉ nêu một phần bảng kết quả.", size=11, align="center", border=False)
    for column, header in enumerate(HEADERS, start=1):
        put(ws, HEADER_ROW, column, header, bold=True, align="center", background=HEADER_FILL, wrap=True)
    for row_number, row in enumerate(table.rows, start=HEADER_ROW + 1):
        put(ws, row_number, 1, row.position, align="center")
        put(ws, row_number, 2, row.unit_name, wrap=True)
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
    ws.print_area = f"A1:E{last_row}"
    print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
