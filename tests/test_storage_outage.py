"""An object store that is stopped or frozen costs a request seconds and answers the Vietnamese 503 page, never a
hang or the bare 500 page. The store is a local S3 server (moto, as in tests/test_storage_s3.py) run as a process
of its own, so that it can really be frozen (SIGSTOP: connections are accepted by the kernel, nothing answers) and
really stopped (connections refused)."""

import os
import signal
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import boto3
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from cchc_portal.object_storage import s3_client_config
from scoring.models import Evidence
from scoring.scores import evidence_add

BUCKET = "cchc-minh-chung"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
# Short bounds, so that the test is quick; the same client settings as settings.py builds from STORAGE_S3_*.
CONNECT, READ, ATTEMPTS = 1, 1, 2
BOUND = ATTEMPTS * (CONNECT + READ) + 2  # seconds a request may take against a store that does not answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def store(tmp_path):
    """A local S3 server in a process of its own, with one bucket, and the portal's default storage on it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        region_name=CREDENTIALS["region_name"],
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        **CREDENTIALS,
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "client_config": s3_client_config(
            addressing_style="path", connect_timeout=CONNECT, read_timeout=READ, attempts=ATTEMPTS
        ),
    }
    override = override_settings(
        STORAGES={**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}},
        MEDIA_ROOT=tmp_path,
        DEBUG=False,
    )
    override.enable()
    try:
        yield SimpleNamespace(server=server, client=client)
    finally:
        override.disable()
        if server.poll() is None:
            os.kill(server.pid, signal.SIGCONT)
            server.kill()
        server.wait(timeout=10)


def freeze(store) -> None:
    os.kill(store.server.pid, signal.SIGSTOP)


def stop(store) -> None:
    store.server.kill()
    store.server.wait(timeout=10)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def signed_in(person) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(person)
    return client


def evidence_url(cast) -> str:
    return f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/minh-chung/{cast.leaf['2'].pk}/"


def uploaded(cast) -> Evidence:
    file = SimpleUploadedFile("bao-cao.pdf", PDF)
    return evidence_add(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"], by=cast.staff_a, upload=file)


def assert_outage_page(response) -> None:
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Tạm thời chưa phục vụ được" in page and "Kho lưu tệp đang không trả lời" in page
    assert "Đã có lỗi xảy ra" not in page and PDF[:16].decode() not in page


def test_settings_bound_every_call_to_the_bucket(monkeypatch):
    import importlib

    from cchc_portal import settings as portal_settings

    monkeypatch.setenv("STORAGE_S3_BUCKET", BUCKET)
    monkeypatch.setenv("STORAGE_S3_READ_TIMEOUT", "7")
    try:
        reloaded = importlib.reload(portal_settings)
        config = reloaded.STORAGES["default"]["OPTIONS"]["client_config"]
        assert (config.connect_timeout, config.read_timeout) == (3, 7)  # botocore's own: 60 s, 60 s
        assert config.retries == {"mode": "standard", "total_max_attempts": 2}  # botocore's own for S3: 5
        assert config.s3 == {"addressing_style": "path"}
    finally:
        monkeypatch.delenv("STORAGE_S3_BUCKET")
        monkeypatch.delenv("STORAGE_S3_READ_TIMEOUT")
        importlib.reload(portal_settings)


def test_evidence_downloads_while_the_store_answers(store, cast):
    item = uploaded(cast)
    response = signed_in(cast.admin).get(f"/cham-diem/minh-chung/{item.pk}/tai-ve/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_a_download_from_a_frozen_store_is_the_vietnamese_503_page_within_seconds(store, cast):
    item = uploaded(cast)
    freeze(store)
    response, seconds = timed(lambda: signed_in(cast.admin).get(f"/cham-diem/minh-chung/{item.pk}/tai-ve/"))
    assert_outage_page(response)
    assert seconds < BOUND  # before: more than 90 s


def test_a_download_from_a_stopped_store_is_the_vietnamese_503_page_not_the_bare_500(store, cast):
    item = uploaded(cast)
    stop(store)
    response, seconds = timed(lambda: signed_in(cast.admin).get(f"/cham-diem/minh-chung/{item.pk}/tai-ve/"))
    assert_outage_page(response)
    assert seconds < BOUND


@pytest.mark.parametrize("outage", [freeze, stop])
def test_an_upload_to_a_store_out_of_reach_is_refused_in_vietnamese_within_seconds_and_records_nothing(
    store, cast, outage
):
    outage(store)
    upload = SimpleUploadedFile("bao-cao.pdf", PDF)
    client = signed_in(cast.staff_a)
    response, seconds = timed(lambda: client.post(evidence_url(cast), {"upload": upload, "title": "Báo cáo"}))
    page = response.content.decode()
    if response.status_code == 503:  # the outage page
        assert_outage_page(response)
    else:  # or back to the evidence page, which names the failed upload (a write the storage refused)
        assert response.status_code == 302, response.status_code
        page = client.get(response["Location"]).content.decode()
        assert "không lưu được tệp “bao-cao.pdf”" in page
    assert "Đã có lỗi xảy ra" not in page
    assert seconds < BOUND + READ * ATTEMPTS  # an upload is a write and may be tried on both attempts
    assert not Evidence.objects.exists()
