"""Background jobs: a large detailed report, year comparison or score sheet is done out of the request, its page
shows progress and then offers the file; on a real Redis queue served by an RQ worker, and run at once when eager."""

import logging
import uuid
from datetime import timedelta
from io import BytesIO
from urllib.parse import unquote

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from cchc_portal.public_cache import _renew
from scoring.exports.detailed import detailed_workbook
from scoring.models import Job, Period, Score
from scoring.ops import jobs
from scoring.permissions import APPRAISER
from tests.conftest import publish_table, work
from tests.reports.test_detailed_report import SCORES, build_period
from tests.scoring.imports.test_score_sheets import Sheet, as_file, workbook
from tests.scoring.workflow_cast import user


@pytest.fixture
def period_for_jobs(so, scheme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_ABOVE_CELLS = 0  # every detailed report is a job
    return build_period(so, scheme, SCORES)


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def sheets(content: bytes) -> list[str]:
    return load_workbook(BytesIO(content), read_only=True).sheetnames


def test_an_eager_job_runs_in_the_request_and_its_page_offers_the_file(period_for_jobs, administrator):
    client = signed_in(administrator)
    response = client.get(f"/cham-diem/ky/{period_for_jobs.pk}/bao-cao-chi-tiet.xlsx")
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/viec/{job.pk}/"
    assert (job.kind, job.status, job.owner) == ("detailed_report", Job.Status.DONE, administrator)
    assert job.done == job.total == 2 * 3  # two sheets with one row per unit
    page = client.get(response["Location"]).content.decode()
    assert "Đã xong" in page and f"/viec/{job.pk}/tai-ve/" in page and 'value="100"' in page
    download = client.get(f"/viec/{job.pk}/tai-ve/")
    content = b"".join(download.streaming_content)
    name = unquote(download["Content-Disposition"].split("filename*=utf-8''", 1)[1])
    assert name == f"Báo cáo chi tiết CCHC Sở, ban, ngành cấp tỉnh năm {period_for_jobs.year}.xlsx"  # the block's name
    assert sheets(content) == sheets(detailed_workbook(period_for_jobs))
    state = client.get(f"/viec/{job.pk}/tinh-trang/").json()
    assert state["status"] == "done" and state["percent"] == 100 and state["download"].endswith("/tai-ve/")


def test_a_small_report_is_still_answered_at_once(period_for_jobs, administrator, settings):
    settings.JOBS_ABOVE_CELLS = 10_000
    response = signed_in(administrator).get(f"/cham-diem/ky/{period_for_jobs.pk}/bao-cao-chi-tiet.xlsx")
    assert response.status_code == 200 and sheets(response.content) and not Job.objects.exists()


def test_nobody_but_its_owner_sees_a_staff_job(period_for_jobs, administrator):
    signed_in(administrator).get(f"/cham-diem/ky/{period_for_jobs.pk}/bao-cao-chi-tiet.xlsx")
    job = Job.objects.get()
    other = signed_in(user("thamdinh", APPRAISER))
    for url in (f"/viec/{job.pk}/", f"/viec/{job.pk}/tinh-trang/", f"/viec/{job.pk}/tai-ve/"):
        assert other.get(url).status_code == 404
        assert Client().get(url).status_code == 404
    assert Client().get(f"/viec/{uuid.uuid4()}/").status_code == 404
    assert Client().get("/viec/khong-phai-ma/").status_code == 404


def test_a_queued_job_waits_for_a_worker_which_reports_progress_then_the_file(
    period_for_jobs, administrator, queue, monkeypatch, django_capture_on_commit_callbacks
):
    client = signed_in(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/cham-diem/ky/{period_for_jobs.pk}/bao-cao-chi-tiet.xlsx")
    job = Job.objects.get()
    assert response["Location"] == f"/viec/{job.pk}/" and job.status == Job.Status.QUEUED
    assert queue.count == 1
    page = client.get(f"/viec/{job.pk}/").content.decode()
    assert "Đang chờ đến lượt" in page and "/tai-ve/" not in page
    # Asked again while it waits: the same job, not a second one.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.get(f"/cham-diem/ky/{period_for_jobs.pk}/bao-cao-chi-tiet.xlsx")
    assert again["Location"] == response["Location"] and queue.count == 1

    seen = []
    written = jobs.Progress.__call__

    def record(self, done, total, message=""):
        written(self, done, total, message)
        row = Job.objects.get(pk=self.job.pk)
        seen.append((row.status, row.done, row.total))

    monkeypatch.setattr(jobs.Progress, "INTERVAL", 0)
    monkeypatch.setattr(jobs.Progress, "__call__", record)
    work(queue)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.started_at and job.finished_at >= job.started_at
    steps = [(done, total) for status, done, total in seen if status == Job.Status.RUNNING and total == 6]
    assert steps == [(n, 6) for n in range(1, 7)]  # every row, in order, while running
    state = client.get(f"/viec/{job.pk}/tinh-trang/").json()
    assert state["finished"] and state["percent"] == 100
    assert sheets(b"".join(client.get(state["download"]).streaming_content)) == sheets(
        detailed_workbook(period_for_jobs)
    )


def test_a_failing_job_says_so_in_vietnamese_and_is_logged(period_for_jobs, administrator, queue, caplog, monkeypatch):
    job = jobs.start("detailed_report", title="Báo cáo", params={"period": period_for_jobs.pk}, owner=administrator)

    def broken(period_for_jobs, file, progress=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr("scoring.exports.jobs.write_detailed_workbook", broken)
    with caplog.at_level(logging.ERROR, logger="scoring.ops.jobs"):
        jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == jobs.E_FAILED
    assert "disk full" in caplog.text
    page = signed_in(administrator).get(f"/viec/{job.pk}/").content.decode()
    assert "Không thực hiện được" in page and 'role="alert"' in page


def test_a_job_on_a_period_that_is_gone_is_refused_with_its_reason(administrator, db):
    job = jobs.start("detailed_report", title="Báo cáo", params={"period": 999_999}, owner=administrator)
    assert job.status == Job.Status.FAILED and job.message == "Kỳ đánh giá này không còn."


def test_a_job_its_worker_lost_is_shown_failed_after_the_timeout_and_not_waited_for(
    period_for_jobs, administrator, queue
):
    job = jobs.start(
        "detailed_report", title="Báo cáo", params={"period": period_for_jobs.pk}, owner=administrator, key="k"
    )
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - jobs.timeout() - timedelta(minutes=1))
    assert (
        jobs.start(
            "detailed_report", title="Báo cáo", params={"period": period_for_jobs.pk}, owner=administrator, key="k"
        )
        != job
    )
    page = signed_in(administrator).get(f"/viec/{job.pk}/").content.decode()
    assert "đã chạy quá 30 phút" in page
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


def test_finished_jobs_are_cleared_with_their_files(period_for_jobs, administrator, settings):
    from django.core.files.storage import storages

    job = jobs.start("detailed_report", title="Báo cáo", params={"period": period_for_jobs.pk}, owner=administrator)
    assert storages["default"].exists(job.file)
    assert jobs.clear_finished(days=1) == 0
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=2))
    assert jobs.clear_finished(days=1) == 1
    assert not Job.objects.exists() and not storages["default"].exists(job.file)


# --- The public year comparison: one job per table and generation, its file served to everyone after -------------


@pytest.fixture
def two_years(so, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_ABOVE_ROWS = 0
    publish_table(so, 2021, [("Sở Tư pháp", "90.1"), ("Sở Y tế", "85.2")])
    publish_table(so, 2022, [("Sở Y tế", "91.3"), ("Sở Tư pháp", "88.4")])
    # Not published: never in the comparison.
    publish_table(so, 2023, [("Sở Y tế", "77.7")], status=Period.Status.APPRAISAL)


def test_the_public_comparison_is_one_job_whose_file_every_visitor_then_gets(two_years):
    url = "/xep-hang/so-sanh/so.xlsx?tu=2021&den=2023"
    first = Client().get(url)
    job = Job.objects.get()
    # Run at once here (eager): straight to the file; with a worker the visitor lands on the job's page.
    assert first.status_code == 302 and first["Location"] == f"/viec/{job.pk}/tai-ve/"
    assert job.owner is None and job.status == Job.Status.DONE and job.params["years"] == [2021, 2022]
    page = Client().get(f"/viec/{job.pk}/").content.decode()
    assert "So sánh kết quả CCHC" in page and f"/viec/{job.pk}/tai-ve/" in page
    second = Client().get(url)
    assert second["Location"] == f"/viec/{job.pk}/tai-ve/" and Job.objects.count() == 1
    content = b"".join(Client().get(second["Location"]).streaming_content)
    values = [c for row in load_workbook(BytesIO(content)).active.iter_rows(values_only=True) for c in row if c]
    assert 91.3 in values and 77.7 not in values
    _renew()  # a correction or publication: a new table, a new job
    assert Client().get(url)["Location"] != first["Location"] and Job.objects.count() == 2


# --- A large score sheet: checked in the page, written by a job ---------------------------------------------------


def test_a_large_score_sheet_is_written_by_a_job_after_the_preview(so, scheme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_ABOVE_VALUES = 0
    sheet = Sheet(so, scheme)
    client = signed_in(sheet.admin)
    url = f"/cham-diem/ky/{sheet.period.pk}/nhap-diem/tham-dinh/"
    upload = as_file(workbook([("012", "Sở Tư pháp", 12.5), ("so-y-te", "Sở Y tế", 3)]))
    upload.name = "bang-diem-tham-dinh.xlsx"
    b"".join(client.post(url, {"file": upload}).streaming_content)
    response = client.post(url, {"confirm": "1"})
    job = Job.objects.get()
    assert response.status_code == 303 and response["Location"] == f"/viec/{job.pk}/"
    assert job.status == Job.Status.DONE and job.kind == "score_import"
    assert job.message == "Đã nhập 2 giá trị từ tệp “bang-diem-tham-dinh.xlsx” cho 2 đơn vị."
    assert job.next_url == f"/cham-diem/ky/{sheet.period.pk}/"
    assert Score.objects.filter(appraised_points__isnull=False).count() == 2
    assert client.post(url, {"confirm": "1"}).status_code == 400  # the stored file was used once


def test_a_score_sheet_job_refuses_a_period_published_meanwhile(so, scheme, settings, tmp_path, queue):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_ABOVE_VALUES = 0
    sheet = Sheet(so, scheme)
    client = signed_in(sheet.admin)
    url = f"/cham-diem/ky/{sheet.period.pk}/nhap-diem/tham-dinh/"
    upload = as_file(workbook([("012", "Sở Tư pháp", 12.5)]))
    upload.name = "bang-diem.xlsx"
    b"".join(client.post(url, {"file": upload}).streaming_content)
    client.post(url, {"confirm": "1"})
    job = Job.objects.get()
    Period.objects.filter(pk=sheet.period.pk).update(status=Period.Status.LOCKED)
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "không nhập điểm được nữa" in job.message
    assert not Score.objects.exists()


def test_the_daily_clear_imports_also_clears_old_jobs(period_for_jobs, administrator, capsys):
    from django.core.management import call_command

    job = jobs.start("detailed_report", title="Báo cáo", params={"period": period_for_jobs.pk}, owner=administrator)
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=8))
    call_command("clear_imports")
    assert "Đã xóa 1 việc chạy nền" in capsys.readouterr().out and not Job.objects.exists()


def test_a_job_in_a_worker_that_outgrows_its_memory_cap_is_stopped_with_its_reason(
    administrator, settings, monkeypatch
):
    import resource

    settings.JOBS_EAGER, settings.JOB_MAX_MEMORY_MB = False, 64

    def greedy(params, progress):
        return jobs.Outcome(message=str(len(bytearray(512 * 1024 * 1024))))

    monkeypatch.setitem(jobs.KINDS, "greedy", greedy)
    job = Job.objects.create(kind="greedy", title="Việc tham bộ nhớ", params={}, owner=administrator)
    before = resource.getrlimit(resource.RLIMIT_AS)
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message == jobs.E_MEMORY.format(megabytes=64) and "64 MB bộ nhớ" in job.message
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # the worker's own limit is back
    assert len(bytearray(512 * 1024 * 1024)) == 512 * 1024 * 1024


def test_a_job_still_running_near_the_queues_timeout_stops_itself_with_its_reason(administrator, db):
    job = Job.objects.create(kind="score_import", title="Nhập", params={}, owner=administrator)
    progress = jobs.Progress(job)
    progress(1, 10)
    progress.started -= jobs.timeout().total_seconds()
    with pytest.raises(jobs.JobRefused) as refused:
        progress(2, 10)
    assert str(refused.value) == jobs.E_TIMED_OUT.format(minutes=30)


def test_without_redis_a_job_waits_in_the_database_for_run_jobs_not_in_the_request(
    period_for_jobs, administrator, settings, capsys
):
    """No Redis: the request only queues the report; `manage.py run_jobs` (which `make run` starts) makes it."""
    from django.core.management import call_command

    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "database"
    client = signed_in(administrator)
    answer = client.get(f"/cham-diem/ky/{period_for_jobs.pk}/bao-cao-chi-tiet.xlsx")
    job = Job.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/viec/{job.pk}/"
    assert job.status == Job.Status.QUEUED  # nothing was done inside the request
    assert jobs.next_queued() == str(job.pk)
    call_command("run_jobs", "--once")
    assert "Đã làm 1 việc." in capsys.readouterr().out
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and jobs.next_queued() is None
    download = client.get(f"/viec/{job.pk}/tai-ve/")
    book = load_workbook(BytesIO(b"".join(download.streaming_content)))
    assert book.sheetnames == load_workbook(BytesIO(detailed_workbook(period_for_jobs))).sheetnames


def test_a_job_given_up_is_not_taken_and_run_jobs_refuses_to_serve_a_redis_queue(administrator, settings):
    from django.core.management import CommandError, call_command

    settings.JOBS_EAGER, settings.JOBS_QUEUE = False, "database"
    old = Job.objects.create(kind="detailed_report", title="Cũ", params={}, owner=administrator)
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - jobs.timeout() - timedelta(minutes=1))
    assert jobs.next_queued() is None
    settings.JOBS_QUEUE = "redis"
    with pytest.raises(CommandError, match="rqworker cchc"):
        call_command("run_jobs", "--once")
