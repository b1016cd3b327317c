"""The audit log of a period as an xlsx file, streamed in write-only mode (memory stays flat)."""

from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from cchc_portal.lib.xlsx_write import cell, font

HEADERS = ("Thời điểm", "Người thực hiện", "Đơn vị", "Tiêu chí", "Nội dung", "Giá trị cũ", "Giá trị mới", "Lý do")
WIDTHS = (18, 22, 40, 10, 26, 24, 24, 40)


def _text(ws, value) -> WriteOnlyCell:
    return cell(ws, value, size=11)


def audit_workbook(period, entries) -> bytes:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Nhật ký")
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A3"
    ws.append([cell(ws, f"Nhật ký thay đổi — {period}", bold=True, size=13, border=False)])
    ws.append([cell(ws, text, bold=True, size=11) for text in HEADERS])
    for e in entries:
        at = WriteOnlyCell(ws, value=timezone.localtime(e.at).replace(tzinfo=None))
        at.number_format = "dd/mm/yyyy hh:mm:ss"
        at.font = font(False, 11)
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
