"""Delete uploaded workbooks whose import was never confirmed (run daily, e.g. from cron)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from scoring.imports import pending_uploads


class Command(BaseCommand):
    help = "Xóa các tệp Excel đã tải lên để xem trước nhưng không được xác nhận nhập, cũ hơn số giờ cho trước."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="Chỉ xóa tệp cũ hơn số giờ này (mặc định 24).")

    def handle(self, *args, hours, **options):
        removed = pending_uploads().clear_stale(older_than=timedelta(hours=hours), now=timezone.now())
        self.stdout.write(f"Đã xóa {removed} tệp nhập chưa xác nhận cũ hơn {hours} giờ.")
