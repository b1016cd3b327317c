"""Request bodies: too large is refused with 413 before it is read, and an upload is read only when its
sender is known to be allowed to upload there (so nobody can make the server spool a gigabyte to disk).

Each refused request carries a body that fails the test if anything reads it.
"""

import pytest
from django.test import Client

from scoring.permissions import UNIT_STAFF
from tests.scoring.workflow_cast import user

GIGABYTE = 1024**3
MULTIPART = "multipart/form-data; boundary=ranh-gioi"


class Untouchable:
    """A request body that must never be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post(client: Client, url: str, *, length: int, content_type: str = MULTIPART):
    body = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(length), "wsgi.input": Untouchable()}
    return client.generic("POST", url, **body)


def staff_client(cast) -> Client:
    client = Client()
    client.force_login(cast.staff_a)
    return client


@pytest.mark.parametrize("content_type", [MULTIPART, "application/x-www-form-urlencoded"])
def test_a_body_over_the_largest_upload_is_refused_with_413_unread(db, settings, content_type):
    response = post(Client(), "/dang-nhap/", length=GIGABYTE, content_type=content_type)
    assert response.status_code == 413
    assert "vượt giới hạn" in response.content.decode()


def test_an_anonymous_upload_is_sent_to_the_login_page_unread(cast):
    response = post(Client(), f"/cham-diem/ky/{cast.period.pk}/nhap-diem/tu-danh-gia/", length=5 * 1024 * 1024)
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


@pytest.mark.parametrize(
    "path",
    [
        "/cham-diem/ky/{period}/nhap-diem/dieu-tra/",  # survey points: Sở Nội vụ only
        "/cham-diem/ky/{period}/nhap-diem/tham-dinh/",  # appraisal: appraisers only
        "/cham-diem/bo-tieu-chi/nhap/",  # criteria sets: Sở Nội vụ only
        "/cham-diem/ky/{period}/don-vi/{other}/minh-chung/{leaf}/",  # another unit's evidence
        "/quan-tri/units/unit/import/",  # the admin: staff only
    ],
)
def test_unit_staff_cannot_make_the_server_read_an_upload_they_may_not_send(cast, path):
    url = path.format(period=cast.period.pk, other=cast.unit_b.code, leaf=cast.leaf["2"].pk)
    response = post(staff_client(cast), url, length=5 * 1024 * 1024)
    assert response.status_code in (403, 302), response.status_code
    if response.status_code == 302:  # the admin sends non-staff to its own login
        assert "dang-nhap" in response["Location"] or "login" in response["Location"]


def test_a_large_multipart_body_to_a_page_that_takes_no_file_is_refused_unread(cast):
    response = post(staff_client(cast), "/cham-diem/", length=2 * 1024 * 1024)
    assert response.status_code == 400 and "không nhận tệp" in response.content.decode()


def test_the_uploads_a_user_may_send_are_read(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = user("canbo.mot", UNIT_STAFF, cast.unit_a)
    client = Client()
    client.force_login(staff)
    response = client.post(
        f"/cham-diem/ky/{cast.period.pk}/don-vi/{cast.unit_a.code}/minh-chung/{cast.leaf['2'].pk}/",
        {"link": "https://sonoivu.example.gov.vn/bao-cao.pdf", "title": "Báo cáo"},
    )
    assert response.status_code == 302
