"""Restore an archive made by `backup` into an empty database and an empty storage (media folder or bucket),
then check it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.ops.backup import backup_restore


class Command(BaseCommand):
    help = (
        "Khôi phục bản sao lưu (tệp của lệnh backup) vào CSDL trống và nơi lưu tệp trống (thư mục media hoặc "
        "bucket S3), rồi đối chiếu số dòng từng bảng và trigger khóa dữ liệu. Tệp bị cắt cụt hoặc hỏng bị từ chối "
        "trước khi ghi bất cứ thứ gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .tar.gz của lệnh backup.")

    def handle(self, *args, file, **options):
        try:
            manifest = backup_restore(Path(file))
        except (OSError, RuntimeError, ValueError) as exc:
            raise CommandError(f"Không khôi phục được: {exc}") from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Đã khôi phục {rows} dòng và {len(manifest['media'])} tệp từ bản sao lưu {manifest['created']}; "
            "số dòng mọi bảng và trigger khóa dữ liệu đã được đối chiếu."
        )
