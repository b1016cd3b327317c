"""What a visitor sees when something outside the request is out of reach: the Vietnamese 503 page with
Retry-After, never the bare 500 page. The database's and the object store's cases are in tests/test_db_timeouts.py
and tests/test_storage_outage.py; this is Redis's, which the reset page reaches when it hands a mail to the queue."""

from django.core import mail
from django.test import Client

from scoring.permissions import UNIT_STAFF
from tests.conftest import restore_reference_data
from tests.scoring.workflow_cast import user


def test_a_job_queue_out_of_reach_is_the_vietnamese_503_page_not_the_bare_500(db, settings, monkeypatch):
    import django_rq
    from redis import Redis
    from rq import Queue

    person = user("canbo.quen", UNIT_STAFF)
    person.email = "canbo.quen@sonoivu.example.gov.vn"
    person.save()
    settings.JOBS_EAGER = False
    settings.JOBS_QUEUE = "redis"  # where a queue setting chooses between Redis and the database
    nowhere = Queue("cchc", connection=Redis(host="127.0.0.1", port=1, socket_connect_timeout=1))
    monkeypatch.setattr(django_rq, "get_queue", lambda name, **kwargs: nowhere)  # nothing listens on port 1
    response = Client(raise_request_exception=False).post(
        "/quen-mat-khau/", {"email": person.email}, REMOTE_ADDR="10.0.6.1"
    )
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Máy chủ hàng đợi và bộ nhớ đệm (Redis) đang không trả lời" in page and "Đã có lỗi xảy ra" not in page
    assert mail.outbox == []


def test_a_frozen_job_queue_is_the_503_page_within_its_timeout_not_a_request_held_for_good(transactional_db, settings):
    """Redis that accepts the connection and never answers (a frozen process): the web process gives up after
    REDIS_TIMEOUT_SECONDS instead of waiting for ever."""
    import socket
    import time

    from scoring.ops import jobs

    restore_reference_data()  # a transactional test before this one flushed the migrations' rows away
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts; nobody reads or writes
    person = user("canbo.dong", UNIT_STAFF)
    person.email = "canbo.dong@sonoivu.example.gov.vn"
    person.save()
    settings.JOBS_EAGER, settings.JOBS_QUEUE, settings.REDIS_TIMEOUT_SECONDS = False, "redis", 1
    settings.RQ_QUEUES = {"cchc": {**settings.RQ_QUEUES["cchc"], "URL": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"}}
    jobs._bounded_connection.cache_clear()
    try:
        started = time.monotonic()
        response = Client(raise_request_exception=False).post(
            "/quen-mat-khau/", {"email": person.email}, REMOTE_ADDR="10.0.6.2"
        )
        elapsed = time.monotonic() - started
    finally:
        listener.close()
        jobs._bounded_connection.cache_clear()
    assert response.status_code == 503, response.status_code
    assert "Máy chủ hàng đợi và bộ nhớ đệm (Redis) đang không trả lời" in response.content.decode()
    assert elapsed < 10, f"{elapsed:.1f} s"  # before: held until the client gave up
