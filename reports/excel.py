"""The published ranking table as an xlsx file in the layout of the announcement's annex.

Title block: the issuer, the table's title, its source line (the decision, or the announcement it was
transcribed from); then the table, with the change against the previous published year of the block when
there is one; then a footer with the source again and the publisher. The national table has 3,321 rows of up to
eight styled cells: it is streamed in openpyxl's write-only mode, each column's style built once (ColumnCells),
each row's height set before the row is written.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cchc_portal.identity import identity
from cchc_portal.lib.numbers import round_score
from cchc_portal.lib.xlsx_write import (
    HEADER_FILL,
    ColumnCells,
    StreamedSheet,
    cell,
    number_format,
    print_setup,
    sheet_title,
    wrapped_height,
    wrapped_lines,
)
from reports.pages.ranking import RankingPage

HEADERS = ("TT", "Tên đơn vị", "Điểm đánh giá", "Xếp loại", "Vị thứ")
WIDTHS = (6, 50, 15, 13, 9)
CHANGE_HEADERS = ("Vị thứ năm {year}", "Thay đổi vị thứ", "Ghi chú")
CHANGE_WIDTHS = (11, 11, 40)
HEADER_ROW = 5
PARTIAL = "Nguồn công bố chỉ nêu một phần bảng kết quả."


def ranking_workbook(page: RankingPage) -> bytes:
    """Title block, header row, one row per unit, footer; scores as numbers with the published decimals."""
    table, who = page.table, identity()
    headers, widths = _columns(page)
    last = get_column_letter(len(headers))
    footer = HEADER_ROW + len(table.rows) + 2
    workbook = Workbook(write_only=True)
    ws = StreamedSheet(workbook, sheet_title(table.block_name, str(table.period.year)), f"A1:{last}{footer}")
    _page_setup(ws, widths, last, last_row=footer)  # widths and panes go before the rows, in a streamed sheet
    source = _title_block(ws, table, last)
    ws.row_dimensions[HEADER_ROW].height = wrapped_height(zip(headers, widths, strict=True), bold=True)
    ws.append([_header(ws, header) for header in headers])
    styles = _styles(page, number_format(table.decimals))
    wrapped = [(i, widths[i], style.get("size", 12)) for i, style in enumerate(styles) if "wrap" in style]
    columns = ColumnCells(ws, styles)
    for row_number, (row, result) in enumerate(zip(page.rows, table.rows, strict=True), start=HEADER_ROW + 1):
        values = _row_values(page, row, result)
        _fit_height(ws, row_number, [(values[column], width, size) for column, width, size in wrapped])
        ws.append(columns.row(values))
    ws.append([])
    ws.merged_cells.add(f"A{footer}:{last}{footer}")
    ws.append([cell(ws, f"{who.line}. {('Nguồn: ' + source) if source else ''}".strip(), size=10, border=False)])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(ws: StreamedSheet, text: str):
    return cell(ws, text, bold=True, align="center", background=HEADER_FILL, wrap=True)


def _columns(page: RankingPage) -> tuple[list[str], list[int]]:
    """The columns the announcement had: the maximum and points where it printed them, the grade where it did, and
    the previous year's rank beside them when there is a previous year."""
    table = page.table
    columns = [("TT", 6), ("Tên đơn vị", 50)]
    columns += [(column.label, 12) for column in table.measure_columns]
    columns += [(table.score_label, 15)] + ([("Xếp loại", 13)] if table.shows_grades else []) + [("Vị thứ", 9)]
    headers, widths = [c[0] for c in columns], [c[1] for c in columns]
    if page.previous:
        headers += [CHANGE_HEADERS[0].format(year=page.previous.period.year), *CHANGE_HEADERS[1:]]
        widths += CHANGE_WIDTHS
    return headers, widths


def _title_block(ws: StreamedSheet, table, last: str) -> str:
    """The issuer, the title and the source above the table, and the empty row under them; returns the source
    line."""
    source = table.source_line
    notes = " ".join(text for text in (source and f"Nguồn: {source}", table.period.is_partial and PARTIAL) if text)
    ws.row_dimensions[2].height = 42
    ws.row_dimensions[3].height = 30
    ws.append([cell(ws, table.period.issued_by.upper(), bold=True, size=11, align="center", border=False)])
    ws.append([cell(ws, table.title, bold=True, size=14, align="center", border=False, wrap=True)])
    ws.append([cell(ws, notes or None, size=11, align="center", border=False, wrap=True)])
    ws.append([])
    for row in (1, 2, 3):
        ws.merged_cells.add(f"A{row}:{last}{row}")
    return source


def _styles(page: RankingPage, score_format: str) -> list[dict]:
    """Each column's style, in the order of `_row_values`."""
    table = page.table
    styles = [{"align": "center"}, {"wrap": True}]
    styles += [{"align": "right"} for _ in table.measure_columns]
    styles.append({"number_format": score_format, "align": "right"})
    if table.shows_grades:
        styles.append({"align": "center"})
    styles.append({"align": "center"})
    if page.previous:
        styles += [{"align": "center"}, {"align": "center", "number_format": "+0;-0;0"}, {"wrap": True, "size": 10}]
    return styles


def _row_values(page: RankingPage, row, result) -> list:
    table = page.table
    values = [row.position, row.unit_name]
    values += [getattr(result, column.field) for column in table.measure_columns]
    # The score as published (90,450), not the unrounded total behind it: what a reader copies from the cell
    # is what the table printed, as in the CSV and the JSON.
    values.append(round_score(result.total, table.decimals))
    if table.shows_grades:
        values.append(row.grade)
    values.append(row.rank)
    if page.previous:
        values += _change_values(row.change)
    return values


def _change_values(change) -> list:
    if change is None:
        return [None, None, None]
    note = change.note or ("không so sánh được" if change.kind == "unlisted" else "")
    return [change.previous_rank, change.rank_change, note or None]


def _fit_height(ws: StreamedSheet, row_number: int, wrapped) -> None:
    """A long name or a note wraps: the row is made as tall as its tallest wrapped cell (text, width, size)."""
    if any(wrapped_lines(text, width, size) > 1 for text, width, size in wrapped):
        ws.row_dimensions[row_number].height = max(wrapped_height([(t, w)], s) for t, w, s in wrapped)


def _page_setup(ws: StreamedSheet, widths: list[int], last: str, last_row: int) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_area = f"A1:{last}{last_row}"
    print_setup(ws, landscape=len(widths) > len(WIDTHS), title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.oddFooter.center.text = "Trang &P / &N"
