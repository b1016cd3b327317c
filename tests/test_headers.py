"""Headers: a Content-Security-Policy with nothing inline allowed (the streamed progress carries the nonce),
a Permissions-Policy, and no cache keeping what a signed-in user receives."""

import re
from io import BytesIO

import pytest
from django.test import Client
from openpyxl import Workbook

from tests.conftest import publish_table


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/", "/xep-hang/2022/so/", "/dang-nhap/", "/api/v1/results/2022/so/"])
def test_every_page_has_a_strict_policy_and_no_browser_features(so, url):
    publish_table(so, 2022, [("Sở A", "90")])
    response = Client().get(url)
    rules = policy(response)
    assert rules["default-src"] == "default-src 'self'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert rules["frame-ancestors"] == "frame-ancestors 'none'" and rules["object-src"] == "object-src 'none'"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_the_templates_hold_no_inline_script_or_style():
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[1] / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert " style=" not in text and "<style" not in text, path
        assert not re.search(r"\son[a-z]+=\"", text), path


def test_the_streamed_progress_carries_the_nonce_of_its_policy(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(cast.admin)
    wb = Workbook()
    wb.active.append(["Mã đơn vị", "Tên đơn vị", "2"])
    wb.active.append([cast.unit_a.code, "", 30])
    upload = BytesIO()
    wb.save(upload)
    upload.seek(0)
    upload.name = "diem.xlsx"
    response = client.post(f"/cham-diem/ky/{cast.period.pk}/nhap-diem/dieu-tra/", {"file": upload})
    page = b"".join(response.streaming_content).decode()
    nonce = re.search(r"'nonce-([^']+)'", policy(response)["script-src"]).group(1)
    calls = re.findall(r'<script nonce="([^"]+)">cchc', page)
    assert calls and set(calls) == {nonce}


def test_nothing_a_signed_in_user_receives_is_cached(cast, so):
    publish_table(so, 2022, [("Sở A", "90")])
    client = Client()
    client.force_login(cast.admin)
    for url in (
        f"/cham-diem/ky/{cast.period.pk}/",
        f"/cham-diem/ky/{cast.period.pk}/nhat-ky.xlsx",
        f"/cham-diem/ky/{cast.period.pk}/bao-cao-chi-tiet.xlsx",
        f"/cham-diem/ky/{cast.period.pk}/mau-nhap-tham-dinh.xlsx",
        "/xep-hang/2022/so/",
    ):
        cache = client.get(url)["Cache-Control"]
        assert "private" in cache and "no-store" in cache, url
    assert "no-store" not in Client().get("/xep-hang/2022/so/").get("Cache-Control", "")  # the public may cache
