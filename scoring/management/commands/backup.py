"""Back up the database and the evidence files (from the media folder or the bucket) into one archive."""

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.backup import backup_write


class Command(BaseCommand):
    help = (
        "Sao lưu CSDL (pg_dump hoặc bản sao SQLite nhất quán) và tệp minh chứng (từ thư mục media hoặc bucket S3) "
        "vào một tệp .tar.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="Tệp sẽ ghi (mặc định backups/cchc-<ngày giờ>.tar.gz).")

    def handle(self, *args, output, **options):
        target = Path(output or f"backups/cchc-{datetime.now():%Y%m%d-%H%M%S}.tar.gz")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            manifest = backup_write(target)
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"Không sao lưu được: {exc}") from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"Đã sao lưu {rows} dòng và {len(manifest['media'])} tệp vào “{target}”.")
