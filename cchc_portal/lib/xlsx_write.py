"""Every workbook the portal writes goes through these cells: safe text, shared styles, A4 page set-up.

Whatever a user typed, and whatever old rows the database holds, a written cell can neither run nor
break the file:
- text that starts with = + - @ is written as text, never as a formula (a unit name or a comment must not
  run in Sở Nội vụ's Excel);
- characters XML forbids (NUL and the other C0 controls but tab and line breaks) are replaced by U+FFFD,
  so an export never fails on a row saved before text was checked at the door.
"""

import math
from functools import lru_cache
from weakref import WeakKeyDictionary

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@")
REPLACEMENT = "\ufffd"
FONT_NAME = "Times New Roman"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = "D9E2F3"
ERROR_FILL = "FFC7CE"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value):
    """A value with the characters XML forbids replaced (other values unchanged)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    return value


def keep_as_text(cell, value):
    """Mark a cell holding a string that looks like a formula as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
    return cell


@lru_cache(maxsize=64)
def font(bold: bool = False, size: int = 12) -> Font:
    # Style objects are shared: openpyxl compares every new one against those it has, per cell.
    return Font(name=FONT_NAME, bold=bold, size=size)


@lru_cache(maxsize=64)
def alignment(horizontal: str = "left", wrap: bool = False) -> Alignment:
    return Alignment(horizontal=horizontal, vertical="center", wrap_text=wrap)


@lru_cache(maxsize=16)
def fill(color: str) -> PatternFill:
    return PatternFill("solid", fgColor=color)


# Per workbook, the style array of each combination already used: setting font, alignment and border
# one by one makes openpyxl hash every style object for every cell, which dominated large exports.
_STYLE_ARRAYS: WeakKeyDictionary = WeakKeyDictionary()


def styled(cell, *, number_format=None, bold=False, size=12, align="left", border=True, background=None, wrap=False):
    key = (number_format, bold, size, align, border, background, wrap)
    known = _STYLE_ARRAYS.setdefault(cell.parent.parent, {})
    if key in known:
        cell._style = StyleArray(known[key])  # a copy of its own (copy() costs three times as much per cell)
        return cell
    if number_format:
        cell.number_format = number_format
    cell.font = font(bold, size)
    cell.alignment = alignment(align, wrap)
    if border:
        cell.border = BORDER
    if background:
        cell.fill = fill(background)
    known[key] = StyleArray(cell._style)
    return cell


def put(ws: Worksheet, row: int, column: int, value, **style):
    """Write one styled cell in a normal worksheet."""
    value = safe_text(value)
    return styled(keep_as_text(ws.cell(row=row, column=column, value=value), value), **style)


def cell(ws, value, **style) -> WriteOnlyCell:
    """One styled cell for a write-only worksheet (large exports: memory stays flat)."""
    value = safe_text(value)
    return styled(keep_as_text(WriteOnlyCell(ws, value=value), value), **style)


def plain_cell(ws, value, *, font_=None) -> WriteOnlyCell:
    """An unstyled safe cell for a write-only worksheet (data exports that keep the reader's defaults)."""
    value = safe_text(value)
    result = keep_as_text(WriteOnlyCell(ws, value=value), value)
    if font_ is not None:
        result.font = font_
    return result


class StreamedSheet(WriteOnlyWorksheet):
    """A write-only worksheet whose rows are lists of cells (None for a cell left empty), each written as it is.

    openpyxl's own `append` first tries every item as a value: for a cell that raises, and catches, an error whose
    message prints the cell's address, which cost more than writing the cell. `dimension` ("A1:H3328"), when the
    size is known before the first row, is written as a normal sheet's is. `_values_to_row` is openpyxl's own hook
    (3.1, pinned); tests/lib/test_xlsx_write.py reads back what it writes."""

    def __init__(self, workbook, title: str, dimension: str | None = None):
        super().__init__(workbook, title)
        workbook._add_sheet(self)
        if dimension:
            self.calculate_dimension = lambda: dimension

    def _values_to_row(self, cells, row_idx):
        for column, written in enumerate(cells, start=1):
            if written is not None:
                written.row, written.column = row_idx, column
                yield written


class _ColumnCell(Cell):
    """A cell whose style never changes once set: its index among the workbook's styles is found once, where
    openpyxl hashes the style again for each cell it writes."""

    __slots__ = ("_style_index",)

    @property
    def style_id(self) -> int:
        return self._style_index


class ColumnCells:
    """One styled cell per column of a StreamedSheet, given each row's values in turn: a column's style is built
    once, and a row costs its values alone. The sheet writes a row when it is appended, so the same cells serve
    the next one (`ws.append(columns.row(values))`)."""

    def __init__(self, ws: StreamedSheet, styles):
        self.cells = []
        for style in styles:
            model = styled(WriteOnlyCell(ws), **style)
            column_cell = _ColumnCell(ws, style_array=model._style)
            column_cell._style_index = model.style_id
            self.cells.append(column_cell)

    def row(self, values) -> list:
        for target, value in zip(self.cells, values, strict=True):
            value = safe_text(value)
            target.value = value
            keep_as_text(target, value)
        return self.cells


SHEET_TITLE_LIMIT = 31  # Excel's
SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def sheet_title(text: str, end: str = "") -> str:
    """A sheet name Excel accepts from words people read ("So sánh UBND cấp huyện"): without the characters it
    forbids, cut to its 31 characters at a word where one is near, keeping `end` (a year) whole."""
    text, end = (" ".join(t.translate(SHEET_TITLE_FORBIDDEN).split()) for t in (text, end))
    room = SHEET_TITLE_LIMIT - len(end) - (1 if end else 0)
    if len(text) > room:
        word = text[:room].rsplit(" ", 1)[0]
        text = (word if len(word) >= room - 10 else text[:room]).rstrip(" ,")
    return f"{text} {end}" if end else text


def wrapped_lines(text: str, width: float, size: int = 12, bold: bool = False) -> int:
    """How many lines a wrapped cell takes, estimated from its text against the column's width (in characters of
    Excel's default 11 pt font): Times is narrower, bold wider; each line break starts a line."""
    room = max(width - 1, 1) * 11 / size
    per_char = 1.0 if bold else 0.85
    return sum(max(1, math.ceil(len(line) * per_char / room)) for line in str(text or "").split("\n"))


def wrapped_height(cells, size: int = 12, bold: bool = False) -> float:
    """A row height, in points, that shows each (text, column width) of the row whole. A file that leaves the
    height unset gets one line in LibreOffice, whose wrapped text then prints over the next row."""
    lines = max((wrapped_lines(text, width, size, bold) for text, width in cells), default=1)
    return round(lines * size * 1.3 + 3, 1)


def number_format(decimals: int) -> str:
    return "0" if decimals == 0 else "0." + "0" * decimals


def print_setup(
    ws,
    *,
    landscape: bool = False,
    title_rows: str | None = None,
    title_cols: str | None = None,
    fit_width: bool = True,
    scale: int | None = None,
) -> None:
    """A4, header rows (and columns) repeated on every printed page.

    `fit_width` shrinks a narrow table to the page width; a wide one (a column per criterion) is printed at a
    readable `scale` across as many pages as it needs, its first columns repeated on each."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if landscape else Worksheet.ORIENTATION_PORTRAIT
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    elif scale:
        ws.page_setup.scale = scale
    ws.page_margins = PageMargins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = fit_width
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
