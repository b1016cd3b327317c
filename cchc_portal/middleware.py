"""Requests the portal refuses before any view sees them."""

from django.http import HttpResponseBadRequest

E_NULL = "Địa chỉ có ký tự NUL (U+0000) trong tham số “{name}”; hãy bỏ ký tự này."


class RefuseNullCharacters:
    """A query string holding NUL is refused with 400: PostgreSQL cannot compare text with NUL, so a search
    or a filter holding one would otherwise end in a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                shown = name.replace("\x00", "\\0")
                return HttpResponseBadRequest(E_NULL.format(name=shown), content_type="text/plain; charset=utf-8")
        return self.get_response(request)
