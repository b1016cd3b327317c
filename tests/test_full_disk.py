"""A full disk while a file is written leaves no partial file and no stuck work: the media folder's files appear
whole or not at all, an evidence upload says in Vietnamese that it was not stored, and a job whose result cannot be
stored is failed at once with a message instead of staying "running" until its timeout."""

import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cchc_portal import storage as media
from scoring import scores
from scoring.models import Evidence, Job
from scoring.ops import jobs
from tests.lib.test_filetypes import pdf_bytes
from tests.test_backup_trust import FullDisk

ROOM = 32_768


def files_in(folder) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def full_disk(monkeypatch, settings, tmp_path):
    """The media folder on a disk with ROOM bytes free; the folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(media, "_open_part", lambda fd: FullDisk(os.fdopen(fd, "wb"), ROOM))
    return tmp_path / "media"


def big_pdf() -> bytes:
    return pdf_bytes() + b"\n%" + os.urandom(5 * ROOM).hex().encode()


def test_a_file_that_does_not_fit_leaves_nothing_and_one_that_fits_is_whole(full_disk):
    store = media.MediaStorage(location=full_disk)
    with pytest.raises(OSError, match="No space left"):
        store.save("minh-chung/5/10/lon.pdf", ContentFile(big_pdf()))
    assert files_in(full_disk) == []
    name = store.save("minh-chung/5/10/nho.pdf", ContentFile(pdf_bytes()))
    assert files_in(full_disk) == ["minh-chung/5/10/nho.pdf"] and name == "minh-chung/5/10/nho.pdf"
    assert (full_disk / name).read_bytes() == pdf_bytes()
    assert oct((full_disk / name).stat().st_mode & 0o777) == oct(0o644)
    # The same name again gets a name of its own, as Django's storage gives.
    again = store.save("minh-chung/5/10/nho.pdf", ContentFile(b"%PDF-1.4 khac"))
    assert again != name and (full_disk / name).read_bytes() == pdf_bytes()


def test_an_evidence_upload_on_a_full_disk_says_so_and_leaves_no_file(cast, full_disk):
    client = Client()
    client.force_login(cast.staff_a)
    url = reverse("scoring:evidence", args=[cast.period.pk, cast.unit_a.code, cast.leaf["2"].pk])
    upload = {"upload": SimpleUploadedFile("bao-cao.pdf", big_pdf()), "title": "", "link": ""}
    response = client.post(url, upload, follow=True)
    # Back to the evidence page, which says why; not a bare 500.
    assert response.redirect_chain == [(url, 302)] and response.status_code == 200
    assert "không lưu được tệp “bao-cao.pdf”" in response.content.decode()
    assert not Evidence.objects.exists() and files_in(full_disk) == []


def test_an_evidence_row_that_cannot_be_saved_takes_its_file_with_it(cast, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path

    def broken(**kwargs):
        raise RuntimeError("audit")

    monkeypatch.setattr(scores.audit, "record", broken)
    upload = SimpleUploadedFile("bao-cao.pdf", pdf_bytes())
    with pytest.raises(RuntimeError):
        scores.evidence_add(
            period=cast.period, unit=cast.unit_a, criterion=cast.leaf["2"], by=cast.staff_a, upload=upload
        )
    assert files_in(tmp_path) == []


@pytest.fixture
def result_job(monkeypatch):
    monkeypatch.setitem(
        jobs.KINDS, "thu_tep", lambda params, progress: jobs.Outcome("xong", content=os.urandom(4 * ROOM))
    )


def test_a_job_whose_file_cannot_be_stored_fails_at_once_with_a_message(
    db, full_disk, settings, result_job, monkeypatch
):
    settings.JOBS_EAGER = True
    job = jobs.start("thu_tep", title="Báo cáo thử", params={}, key="thu")
    assert job.status == Job.Status.FAILED and job.message == jobs.E_STORAGE and job.finished_at is not None
    assert files_in(full_disk) == []
    # Once there is room, asking again does the work again instead of being sent back to a stuck job.
    monkeypatch.setattr(media, "_open_part", lambda fd: os.fdopen(fd, "wb"))
    again = jobs.start("thu_tep", title="Báo cáo thử", params={}, key="thu")
    assert again.pk != job.pk and again.status == Job.Status.DONE
    assert files_in(full_disk) == [f"viec/{again.pk}.xlsx"]


def test_clear_imports_removes_what_a_killed_write_left_and_keeps_a_write_under_way(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "minh-chung" / "5" / "10"
    folder.mkdir(parents=True)
    stale, fresh, evidence = folder / ".abc.part", folder / ".def.part", folder / "bao-cao.pdf"
    for path in (stale, fresh, evidence):
        path.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 86400
    for path in (stale, evidence):
        os.utime(path, (two_days_ago, two_days_ago))
    out = StringIO()
    call_command("clear_imports", stdout=out)
    assert "Đã xóa 1 tệp ghi dở" in out.getvalue()
    assert files_in(tmp_path) == ["minh-chung/5/10/.def.part", "minh-chung/5/10/bao-cao.pdf"]
