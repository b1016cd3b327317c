"""Back up the database and the evidence files (from the media folder or the bucket) into one archive."""

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from scoring.ops.backup import backup_write


class Command(BaseCommand):
    help = (
        "Sao lưu CSDL (pg_dump hoặc bản sao SQLite, cùng một thời điểm với số dòng ghi trong manifest) và tệp minh "
        "chứng (từ thư mục media hoặc bucket S3) vào một tệp .tar.gz (quyền 0600). Tệp được ghi dưới tên tạm, "
        "đọc lại để kiểm tra rồi mới đổi sang tên đích; lỗi giữa chừng không để lại tệp dưới tên đích. Không chứa "
        "phiên đăng nhập."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="Tệp sẽ ghi (mặc định backups/cchc-<ngày giờ>.tar.gz).")

    def handle(self, *args, output, **options):
        target = Path(output or f"backups/cchc-{datetime.now():%Y%m%d-%H%M%S}.tar.gz")
        try:
            manifest = backup_write(target)
        except (OSError, RuntimeError, ValueError, DatabaseError) as exc:
            raise CommandError(f"Không sao lưu được, không có tệp nào được ghi dưới tên “{target}”: {exc}") from None
        if options["verbosity"]:
            rows = sum(manifest["tables"].values())
            self.stdout.write(f"Đã sao lưu {rows} dòng và {len(manifest['media'])} tệp vào “{target}”.")
