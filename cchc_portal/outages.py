"""The page shown when something outside the request does not answer in time: the database (a statement timeout,
a connection that failed or was closed by its deadline, cchc_portal/db_timeouts.py), the object store (a
connection refused, a read timed out, a 5xx answer) or Redis (the job queue, the shared cache). It answers 503
in Vietnamese, with Retry-After, instead of a hang or the bare 500 page; anything else still gets the 500 page.

Installed as handler500 (cchc_portal/urls.py): Django calls it for any exception a view or a middleware lets
through, within the `except` that caught it.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as default_server_error

DATABASE_DOWN = (
    "Cơ sở dữ liệu đang quá tải hoặc không trả lời kịp, nên cổng chưa hiện được trang này (đã chờ có giới hạn "
    "thay vì treo)."
)
STORAGE_DOWN = "Kho lưu tệp đang không trả lời, nên cổng chưa tải lên hoặc tải về được tệp."
QUEUE_DOWN = "Máy chủ hàng đợi và bộ nhớ đệm (Redis) đang không trả lời, nên cổng chưa làm được việc này."
RETRY_AFTER_SECONDS = 30


def outage_message(error: BaseException | None) -> str:
    """The Vietnamese reason when `error` means the database or the object store is out of reach; else ''."""
    if isinstance(error, OperationalError | InterfaceError):
        return DATABASE_DOWN
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis comes with django-rq
        pass
    else:
        if isinstance(error, RedisConnectionError | RedisTimeoutError):
            return QUEUE_DOWN
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - botocore comes with django-storages' S3 backend
        return ""
    if isinstance(error, BotoCoreError):  # refused, timed out, connection closed
        return STORAGE_DOWN
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return STORAGE_DOWN if status >= 500 else ""
    return ""


def outage_response(message: str) -> HttpResponse:
    # Rendered without the request: no context processor, so no session, user or query.
    response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, template_name="500.html"):
    message = outage_message(sys.exc_info()[1])
    if message:
        return outage_response(message)
    return default_server_error(request, template_name)
