"""The audit log of a period as an xlsx file, streamed in write-only mode (memory stays flat)."""

from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from cchc_portal.lib.xlsx_write import BORDER, HEADER_FILL, cell, font, print_setup

HEADERS = ("Thời điểm", "Người thực hiện", "Đơn vị", "Tiêu chí", "Nội dung", "Giá trị cũ", "Giá trị mới", "Lý do")
WIDTHS = (18, 16, 30, 9, 22, 22, 22, 34)


def _text(ws, value) -> WriteOnlyCell:
    return cell(ws, value, size=11, wrap=True)


def audit_workbook(period, entries) -> bytes:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Nhật ký")
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A3"
    print_setup(ws, landscape=True, title_rows="2:2")  # A4 across, the header on every page
    ws.append([cell(ws, f"Nhật ký thay đổi — {period}", bold=True, size=13, border=False)])
    ws.append([cell(ws, text, bold=True, size=11, background=HEADER_FILL, wrap=True) for text in HEADERS])
    for e in entries:
        at = WriteOnlyCell(ws, value=timezone.localtime(e.at).replace(tzinfo=None))
        at.number_format = "dd/mm/yyyy hh:mm:ss"
        at.font = font(False, 11)
        at.border = BORDER
        ws.append(
            [
                at,
                _text(ws, e.by.get_username() if e.by else "hệ thống"),
                _text(ws, e.unit.name if e.unit else ""),
                _text(ws, e.criterion.code if e.criterion else ""),
                _text(ws, e.get_action_display()),
                _text(ws, e.old),
                _text(ws, e.new),
                _text(ws, e.reason),
            ]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
