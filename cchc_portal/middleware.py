"""Requests the portal refuses before any view sees them."""

import logging
import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from cchc_portal.lib.filetypes import megabytes

logger = logging.getLogger(__name__)

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


class NumbersTooLargeAreNotFound:
    """A number too large for the database, reaching a query through a path the URL converters do not
    bound (the admin's object ids, a form's choice): the page does not exist, it is not a server error.
    SQLite raises OverflowError when it binds such a number."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError):
            logger.warning("number too large for the database in %s", request.path)
            return render(request, "404.html", {"message": E_NUMBER_TOO_LARGE}, status=404)
        return None


E_NUMBER_TOO_LARGE = "Không tìm thấy: địa chỉ hoặc biểu mẫu có một số quá lớn, không ứng với dữ liệu nào."
E_TOO_LARGE = "Yêu cầu quá lớn: {size} MB, vượt giới hạn {limit} MB của cổng (cả với tệp tải lên)."
SMALL_MULTIPART_BYTES = 64 * 1024
E_NO_UPLOADS = "Trang này không nhận tệp tải lên."
E_NOT_ALLOWED = "Bạn không có quyền tải tệp lên trang này."


def accepts_uploads(check):
    """Mark a view as one that takes uploaded files, and say who may send them there: `check(request,
    **url_kwargs)` runs before the body is read (so a refused upload is never spooled to disk)."""

    def mark(view):
        view.upload_check = check
        return view

    return mark


class UploadGate:
    """A body larger than any upload the portal takes is refused with 413 before it is read; a multipart
    body (a file) is read only by a view that takes uploads, from a user it allows — decided before the
    CSRF check would parse it. Put after AuthenticationMiddleware (it needs the user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self.refusal(request)
        return refused if refused is not None else self.get_response(request)

    def refusal(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest("Content-Length không hợp lệ.", content_type="text/plain; charset=utf-8")
        multipart = request.content_type == "multipart/form-data"
        limit = settings.MAX_UPLOAD_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            text = E_TOO_LARGE.format(size=megabytes(length), limit=megabytes(limit))
            return HttpResponse(text, status=413, content_type="text/plain; charset=utf-8")
        if not multipart or request.method != "POST":
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None  # a 404 follows, without reading the body
        check = getattr(match.func, "upload_check", None)
        if match.namespace != "admin" and check is None:
            # A page that takes no file: a small form sent as multipart is the page's own affair.
            if length <= SMALL_MULTIPART_BYTES:
                return None
            return HttpResponseBadRequest(E_NO_UPLOADS, content_type="text/plain; charset=utf-8")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if match.namespace == "admin":
            allowed = request.user.is_active and request.user.is_staff
        else:
            allowed = check(request, **match.kwargs)
        return None if allowed else HttpResponseForbidden(E_NOT_ALLOWED, content_type="text/plain; charset=utf-8")


PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in ("camera", "microphone", "geolocation", "payment", "usb"))


class SecurityHeaders:
    """Headers every answer carries: no browser feature the portal does not use (Permissions-Policy), and
    nothing a signed-in user receives — a staff page, an evidence file, a workbook — kept by any cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


API_PREFIX = "/api/"
# The public downloads of a published table (CSV and Excel) and of the years compared: open data as much as the API.
PUBLIC_DOWNLOAD = re.compile(r"^/xep-hang/[^/]+(/[^/]+)?\.(csv|xlsx)$")
CORS_METHODS = "GET, HEAD, OPTIONS"


class OpenDataCors:
    """The open data may be read from any web page (a newspaper's chart, a researcher's notebook): every answer
    under /api/, and every public download of a table (its CSV and Excel, the years compared), to GET, HEAD or
    OPTIONS says `Access-Control-Allow-Origin: *`. Never with credentials (no cookie or login goes with such a
    request, and these need none: they serve published data only), and on no other path — the staff pages, their
    reports, the admin and the public HTML pages keep the browser's same-origin rule.

    A browser asks first (OPTIONS) before a request carrying `If-None-Match`; that question is answered here,
    with 204, for any address under /api/."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not (path.startswith(API_PREFIX) or PUBLIC_DOWNLOAD.match(path)):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = CORS_METHODS
            response["Access-Control-Allow-Methods"] = CORS_METHODS
            response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            response["Access-Control-Allow-Origin"] = "*"
            # Scripts may read the validators, to ask again with If-None-Match (Last-Modified is readable anyway).
            response["Access-Control-Expose-Headers"] = "ETag"
        return response
