"""File downloads the portal serves: one way to name a workbook in the browser."""

from urllib.parse import quote

from django.http import HttpResponse

from cchc_portal.lib.xlsx_write import XLSX_CONTENT_TYPE


def xlsx_response(content: bytes, fallback: str, filename: str | None = None) -> HttpResponse:
    """A workbook download: an ASCII name for old clients and, when given, the Vietnamese name (RFC 6266)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    disposition = f'attachment; filename="{fallback}"'
    if filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    response["Content-Disposition"] = disposition
    return response
