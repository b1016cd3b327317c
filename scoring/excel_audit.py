"""The audit log of a period as an xlsx file, streamed in write-only mode (memory stays flat)."""

from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

HEADERS = ("Thời điểm", "Người thực hiện", "Đơn vị", "Tiêu chí", "Nội dung", "Giá trị cũ", "Giá trị mới", "Lý do")
WIDTHS = (18, 22, 40, 10, 26, 24, 24, 40)
_FORMULA_START = ("=", "+", "-", "@")


def _text(ws, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"  # never a formula
    return cell


def audit_workbook(period, entries) -> bytes:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Nhật ký")
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A3"
    title = WriteOnlyCell(ws, value=f"Nhật ký thay đổi — {period}")
    title.font = Font(bold=True, size=13)
    ws.append([title])
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for e in entries:
        at = WriteOnlyCell(ws, value=timezone.localtime(e.at).replace(tzinfo=None))
        at.number_format = "dd/mm/yyyy hh:mm:ss"
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
