"""Shared pieces of every workbook the portal writes: safe text cells, styles, page set-up.

Text that starts with = + - @ is always written as text, never as a formula (a unit name or a
comment typed by a user must not run in Sở Nội vụ's Excel).
"""

from copy import copy
from functools import lru_cache
from urllib.parse import quote
from weakref import WeakKeyDictionary

from django.http import HttpResponse
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@")
FONT_NAME = "Times New Roman"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = "D9E2F3"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
        cell._style = copy(known[key])
        return cell
    if number_format:
        cell.number_format = number_format
    cell.font = font(bold, size)
    cell.alignment = alignment(align, wrap)
    if border:
        cell.border = BORDER
    if background:
        cell.fill = fill(background)
    known[key] = copy(cell._style)
    return cell


def put(ws: Worksheet, row: int, column: int, value, **style):
    """Write one styled cell in a normal worksheet."""
    return styled(keep_as_text(ws.cell(row=row, column=column, value=value), value), **style)


def cell(ws, value, **style) -> WriteOnlyCell:
    """One styled cell for a write-only worksheet (large exports: memory stays flat)."""
    return styled(keep_as_text(WriteOnlyCell(ws, value=value), value), **style)


def xlsx_response(content: bytes, fallback: str, filename: str | None = None) -> HttpResponse:
    """A workbook download: an ASCII name for old clients and, when given, the Vietnamese name (RFC 6266)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    disposition = f'attachment; filename="{fallback}"'
    if filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    response["Content-Disposition"] = disposition
    return response


def number_format(decimals: int) -> str:
    return "0" if decimals == 0 else "0." + "0" * decimals


def print_setup(ws, *, landscape: bool = False, title_rows: str | None = None) -> None:
    """A4, fitted to the page width, header rows repeated on every printed page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if landscape else Worksheet.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.5, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
