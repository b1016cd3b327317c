"""Prove that an archive restores: the daily check of last night's backup (docs/deploy.md, section 7)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from scoring.ops.backup import backup_latest, backup_verify

E_SCRATCH = (
    "Không tạo hoặc dùng được CSDL tạm để kiểm tra ({error}); vai trò chạy lệnh cần quyền CREATEDB "
    "(ALTER ROLE … CREATEDB)."
)


class Command(BaseCommand):
    help = (
        "Kiểm tra một bản sao lưu khôi phục được: đọc hết tệp, khôi phục CSDL vào một CSDL tạm (tệp SQLite tạm, "
        "hoặc CSDL PostgreSQL tạo ra rồi xóa), đối chiếu số dòng từng bảng và trigger khóa dữ liệu với manifest. "
        "Không chạm CSDL đang chạy. Cho một thư mục thì kiểm tra bản mới nhất (cchc-*.tar.gz) và báo lỗi nếu bản "
        "đó cũ hơn --max-age-hours."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Tệp .tar.gz của lệnh backup, hoặc thư mục chứa các bản sao lưu.")
        parser.add_argument(
            "--max-age-hours",
            type=float,
            default=26,
            help="Với một thư mục: bản mới nhất cũ hơn số giờ này là lỗi (mặc định 26).",
        )

    def handle(self, *args, path, max_age_hours, **options):
        path = Path(path)
        try:
            archive = backup_latest(path, max_age_hours=max_age_hours) if path.is_dir() else path
            manifest = backup_verify(archive)
        except (OSError, RuntimeError, ValueError) as exc:
            raise CommandError(f"Bản sao lưu KHÔNG dùng được: {exc}") from None
        except DatabaseError as exc:
            raise CommandError(E_SCRATCH.format(error=str(exc).strip())) from None
        if options["verbosity"]:
            rows = sum(manifest["tables"].values())
            self.stdout.write(
                f"Bản sao lưu “{archive}” ({manifest['created']}) khôi phục được: {rows} dòng khớp manifest, "
                f"{len(manifest['media'])} tệp minh chứng đọc được, trigger khóa dữ liệu đủ."
            )
