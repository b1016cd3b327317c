"""Delete uploaded workbooks whose import was never confirmed, and finished background jobs with their files
(run daily, e.g. from cron)."""

from datetime import timedelta

from django.core.files.storage import storages
from django.core.management.base import BaseCommand
from django.utils import timezone

from cchc_portal.storage import clear_stale_parts
from scoring.imports import pending_uploads
from scoring.ops import jobs


class Command(BaseCommand):
    help = (
        "Xóa các tệp Excel đã tải lên để xem trước nhưng không được xác nhận nhập, cũ hơn số giờ cho trước, "
        "các việc chạy nền đã xong từ quá số ngày cho trước cùng tệp kết quả của chúng, và tệp ghi dở (.part) mà một "
        "tiến trình bị dừng đột ngột để lại trong thư mục media."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="Chỉ xóa tệp cũ hơn số giờ này (mặc định 24).")
        parser.add_argument(
            "--job-days", type=int, default=7, help="Xóa việc chạy nền đã xong từ quá số ngày này (mặc định 7)."
        )

    def handle(self, *args, hours, job_days, **options):
        removed = pending_uploads().clear_stale(older_than=timedelta(hours=hours), now=timezone.now())
        self.stdout.write(f"Đã xóa {removed} tệp nhập chưa xác nhận cũ hơn {hours} giờ.")
        cleared = jobs.clear_finished(days=job_days)
        self.stdout.write(f"Đã xóa {cleared} việc chạy nền đã xong từ quá {job_days} ngày.")
        parts = clear_stale_parts(storages["default"], older_than_seconds=hours * 3600)
        if parts:
            self.stdout.write(f"Đã xóa {parts} tệp ghi dở (.part) cũ hơn {hours} giờ.")
