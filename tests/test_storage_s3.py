"""Uploads and evidence on S3-compatible object storage, against a local S3 server (moto) started for this
module: evidence uploaded on the page lands in the bucket and comes back byte for byte only to those who
may see the unit; pending imports are kept, read and discarded in the bucket; clear_imports ages them out
there; a missing object answers 404 in Vietnamese; backup and restore carry the bucket's files."""

import json
import os
import subprocess
import sys
import tarfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

from scoring.imports import pending_uploads
from scoring.models import Evidence
from scoring.scores import evidence_add
from tests import test_backup
from tests.conftest import clear_locked_data, restore_reference_data
from tests.scoring.imports.test_score_sheets import Sheet, as_file, bad_workbook, workbook

BUCKET, RESTORED_BUCKET = "cchc-minh-chung", "cchc-khoi-phuc"
PREFIX = "cong-cchc"  # STORAGE_S3_PREFIX: the portal's files sit under it in the bucket
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}
# Every byte value, over more than one read chunk: what comes back must be exactly what went in.
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4096 + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A local S3 server with two empty buckets, and the portal's default storage on the first (as
    settings.py makes it when STORAGE_S3_BUCKET is set); MEDIA_ROOT points at an empty folder that must
    stay empty."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        region_name=CREDENTIALS["region_name"],
    )
    for bucket in (BUCKET, RESTORED_BUCKET):
        client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        **CREDENTIALS,
        "location": PREFIX,
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "addressing_style": "path",
    }
    media = tmp_path_factory.mktemp("media")
    # Django's setting_changed handler drops the cached backends and default_storage (which the evidence
    # FileField holds), so everything below reads and writes the bucket.
    override = override_settings(
        STORAGES={**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}},
        MEDIA_ROOT=media,
    )
    override.enable()
    try:
        yield SimpleNamespace(endpoint=endpoint, client=client, media=media)
    finally:
        override.disable()
        server.stop()


@pytest.fixture(autouse=True)
def empty_buckets(s3):
    yield
    for bucket in (BUCKET, RESTORED_BUCKET):
        for key in keys(s3, bucket=bucket):
            s3.client.delete_object(Bucket=bucket, Key=key)


def keys(s3, prefix: str = "", bucket: str = BUCKET) -> list[str]:
    listed = s3.client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(entry["Key"] for entry in listed.get("Contents", ()))


def body(s3, key: str, bucket: str = BUCKET) -> bytes:
    return s3.client.get_object(Bucket=bucket, Key=key)["Body"].read()


def age(key: str, days: int) -> None:
    """Make an object look `days` older: S3 has no call to set an object's time, so the local server's
    record of it is changed."""
    stored = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[BUCKET].keys[key]
    stored.last_modified -= timedelta(days=days)


def login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def evidence_url(cast) -> str:
    return f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/minh-chung/{cast.leaf['2'].pk}/"


def download_url(item) -> str:
    return f"/cham-diem/minh-chung/{item.pk}/tai-ve/"


def upload(cast) -> Evidence:
    file = SimpleUploadedFile("bao-cao.pdf", PDF)
    return evidence_add(period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"], by=cast.staff_a, upload=file)


def test_the_evidence_field_and_the_pending_store_use_the_bucket(s3):
    assert Evidence._meta.get_field("file").storage is default_storage
    assert default_storage.bucket_name == storages["default"].bucket_name == BUCKET
    assert pending_uploads().storage is storages["default"]


def test_evidence_uploaded_on_the_page_lands_in_the_bucket_and_downloads_byte_for_byte(s3, cast):
    client = login(cast.staff_a)
    response = client.post(evidence_url(cast), {"upload": SimpleUploadedFile("bao-cao.pdf", PDF), "title": "Báo cáo"})
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert keys(s3) == [f"{PREFIX}/{item.file.name}"] and item.file.name.startswith("minh-chung/")
    assert body(s3, f"{PREFIX}/{item.file.name}") == PDF
    assert not any(s3.media.iterdir())  # nothing written to the local media folder
    download = client.get(download_url(item))
    assert download.status_code == 200 and download.streaming
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf" and download["Content-Length"] == str(len(PDF))
    assert download["Content-Disposition"] == 'attachment; filename="bao-cao.pdf"'


@pytest.mark.parametrize(
    "role, status", [("staff_b", 403), ("other_appraiser", 403), ("public", 302), ("appraiser", 200), ("admin", 200)]
)
def test_only_those_who_may_see_the_unit_get_its_evidence_from_the_bucket(s3, cast, role, status):
    item = upload(cast)
    response = login(getattr(cast, role)).get(download_url(item))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
    else:
        assert not response.streaming and PDF[:64] not in response.content
    if role == "public":  # anonymous: sent to the login page, file never read
        assert response["Location"].startswith("/dang-nhap/")


def test_the_admin_offers_evidence_through_the_portal_never_a_link_to_the_bucket(s3, cast):
    item = upload(cast)
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    page = login(cast.admin).get(f"/quan-tri/scoring/evidence/{item.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{download_url(item)}"' in html
    assert s3.endpoint not in html and "X-Amz-Signature" not in html and item.file.name not in html


def test_a_pending_upload_is_kept_read_and_discarded_in_the_bucket(s3, db):
    pending = pending_uploads()
    token = pending.store(ContentFile(b"bang tinh cho xac nhan"))
    assert keys(s3) == [f"{PREFIX}/imports/{token}"]
    with pending.open(token) as handle:
        assert handle.read() == b"bang tinh cho xac nhan"
    pending.keep(token, ".loi", ContentFile(b"ban danh dau loi"))
    pending.keep(token, ".loi", ContentFile(b"ban danh dau loi moi"))  # replaced, not renamed
    assert keys(s3) == [f"{PREFIX}/imports/{token}", f"{PREFIX}/imports/{token}.loi"]
    assert body(s3, f"{PREFIX}/imports/{token}.loi") == b"ban danh dau loi moi"
    pending.discard(token, suffixes=("",))
    assert pending.open(token) is None and pending.exists(token, ".loi")
    pending.discard(token)
    assert keys(s3) == [] and pending.open(token, ".loi") is None


def test_a_web_import_keeps_its_upload_in_the_bucket_until_it_is_confirmed(s3, so, scheme):
    sheet = Sheet(so, scheme)
    client = login(sheet.admin)
    url = f"/cham-diem/ky/{sheet.period.pk}/nhap-diem/tham-dinh/"
    file = as_file(workbook([("012", "Sở Tư pháp", 12.5), ("so-y-te", "Sở Y tế", 3)]))
    file.name = "bang-diem.xlsx"
    page = b"".join(client.post(url, {"file": file}).streaming_content).decode()
    assert "Xác nhận ghi 2 giá trị" in page
    token = client.session["score_import"]["token"]
    assert keys(s3, f"{PREFIX}/imports/") == [f"{PREFIX}/imports/{token}"]
    assert body(s3, f"{PREFIX}/imports/{token}") == file.getvalue()
    assert client.post(url, {"confirm": "1"}).status_code == 303
    assert keys(s3, f"{PREFIX}/imports/") == []


def test_clear_imports_removes_stale_uploads_from_the_bucket_and_keeps_fresh_ones_and_evidence(s3, cast, capsys):
    pending = pending_uploads()
    stale, fresh = pending.store(ContentFile(b"cu")), pending.store(ContentFile(b"moi"))
    evidence = upload(cast)
    for key in (f"{PREFIX}/imports/{stale}", f"{PREFIX}/{evidence.file.name}"):
        age(key, days=2)
    call_command("clear_imports")
    assert "Đã xóa 1 tệp" in capsys.readouterr().out
    assert keys(s3) == sorted([f"{PREFIX}/imports/{fresh}", f"{PREFIX}/{evidence.file.name}"])
    call_command("clear_imports", "--hours", "0")
    assert keys(s3) == [f"{PREFIX}/{evidence.file.name}"]  # evidence is never an unconfirmed import


def test_a_missing_evidence_object_answers_404_with_a_vietnamese_message(s3, cast):
    item = upload(cast)
    s3.client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{item.file.name}")
    response = login(cast.admin).get(download_url(item))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Tệp minh chứng “bao-cao.pdf” không còn trên máy chủ" in html and "bản sao lưu" in html
    assert Evidence.objects.filter(pk=item.pk, removed=False).exists()


def test_a_vanished_pending_upload_asks_for_the_file_again_and_its_marked_copy_answers_404(s3, so, scheme):
    sheet = Sheet(so, scheme)
    client = login(sheet.admin)
    url = f"/cham-diem/ky/{sheet.period.pk}/nhap-diem/tham-dinh/"
    bad = as_file(bad_workbook())
    bad.name = "sai.xlsx"
    b"".join(client.post(url, {"file": bad}).streaming_content)
    assert client.get(url + "loi.xlsx").status_code == 200
    good = as_file(workbook([("012", "Sở Tư pháp", 12.5)]))
    good.name = "bang-diem.xlsx"
    b"".join(client.post(url, {"file": good}).streaming_content)
    for key in keys(s3):  # e.g. cleared by clear_imports, or by hand, while the preview was on screen
        s3.client.delete_object(Bucket=BUCKET, Key=key)
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 400
    assert "Phiên nhập đã hết hạn hoặc tệp không còn; hãy tải tệp lên lại." in response.content.decode()
    missing = client.get(url + "loi.xlsx")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.content.decode()


@pytest.mark.django_db(transaction=True)
def test_backup_carries_the_buckets_files_and_restore_puts_them_into_an_empty_bucket(s3, tmp_path, empty_database_url):
    restore_reference_data()
    from scoring.models import GradeScheme
    from tests.scoring.workflow_cast import Cast
    from units.models import Block

    try:
        cast = Cast(Block.objects.get(code="so"), GradeScheme.objects.get(is_default=True))
        item = upload(cast)
        pending_uploads().store(ContentFile(b"chua xac nhan"))  # left out of the backup
        archive = tmp_path / "sao-luu.tar.gz"
        call_command("backup", "-o", str(archive))
        with tarfile.open(archive) as tar:
            assert json.loads(tar.extractfile("manifest.json").read())["media"] == [item.file.name]
            assert tar.extractfile(f"media/{item.file.name}").read() == PDF
            assert not [name for name in tar.getnames() if name.startswith("media/imports")]
        env = {
            **os.environ,
            "DATABASE_URL": empty_database_url,
            "CONN_MAX_AGE": "0",
            "MEDIA_ROOT": str(tmp_path / "khong-dung"),
            "STORAGE_S3_BUCKET": BUCKET,
            "STORAGE_S3_ENDPOINT_URL": s3.endpoint,
            "STORAGE_S3_REGION": CREDENTIALS["region_name"],
            "STORAGE_S3_ACCESS_KEY": CREDENTIALS["access_key"],
            "STORAGE_S3_SECRET_KEY": CREDENTIALS["secret_key"],
            "STORAGE_S3_PREFIX": PREFIX,
        }
        # The bucket in use is not empty: refused before anything is written, the database stays empty.
        refused = subprocess.run(
            [sys.executable, "manage.py", "restore", str(archive)],
            cwd=test_backup.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert refused.returncode != 0
        assert f"Nơi lưu tệp đích “s3://{BUCKET}/{PREFIX}” không trống" in refused.stderr
        env["STORAGE_S3_BUCKET"] = RESTORED_BUCKET
        assert "đã được đối chiếu" in test_backup.run(["manage.py", "restore", str(archive)], env).stdout
        assert keys(s3, bucket=RESTORED_BUCKET) == [f"{PREFIX}/{item.file.name}"]
        assert body(s3, f"{PREFIX}/{item.file.name}", bucket=RESTORED_BUCKET) == PDF
        counts = json.loads(test_backup.run(["-c", test_backup.CHECK], env).stdout.strip().splitlines()[-1])
        assert (counts["download"], counts["bytes"]) == (200, len(PDF))
        assert not Path(env["MEDIA_ROOT"]).exists()
    finally:
        clear_locked_data()
