"""What every public view shares: the JSON answer of the API, the API's read-only guard, the one mapping of
`NotPublished` to a 404 (a page, or JSON for the API), and the year range a comparison reads from its address."""

import re
from functools import wraps

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from reports.pages import NotPublished

NOT_FOUND = "Không tìm thấy: {what}."
NOT_ALLOWED = "API chỉ đọc: dùng GET (hoặc HEAD), không dùng {method}."
CONTENT_TYPE = "application/json; charset=utf-8"
E_BAD_YEAR = "Năm không hợp lệ: “{value}” (tham số “{name}” cần là năm gồm 4 chữ số, ví dụ 2022)."
E_BAD_RANGE = "Khoảng năm không hợp lệ: năm bắt đầu ({first}) lớn hơn năm kết thúc ({last})."
_YEAR = re.compile(r"\d{4}", re.ASCII)


def json_answer(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})


def read_only(view):
    """An API answer: GET and HEAD only, refused in JSON with 405 otherwise (no form, so no CSRF token: the API
    changes nothing)."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = json_answer({"error": NOT_ALLOWED.format(method=request.method)}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


def published_or_404(view=None, *, api: str | None = None):
    """`NotPublished` raised by a page's selector becomes the 404 page with its message; for an API view
    (`api="…{code}…"`, formatted with the view's arguments) a JSON 404 saying what was not found."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except NotPublished as exc:
                if api is None:
                    raise Http404(str(exc)) from exc
                return json_answer({"error": api.format(**kwargs)}, status=404)

        return wrapped

    return decorate(view) if view is not None else decorate


def year_range(params) -> tuple[int | None, int | None]:
    """?tu=2020&den=2022, either or both optional; ValueError with a Vietnamese message otherwise."""
    bounds = []
    for name in ("tu", "den"):
        value = params.get(name, "").strip()
        if value and not _YEAR.fullmatch(value):
            raise ValueError(E_BAD_YEAR.format(value=value[:20], name=name))
        bounds.append(int(value) if value else None)
    first, last = bounds
    if first is not None and last is not None and first > last:
        raise ValueError(E_BAD_RANGE.format(first=first, last=last))
    return first, last
