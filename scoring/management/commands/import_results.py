"""Import published CCHC results (a .csv or .xlsx file) as published periods."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lib.problems import Refused
from scoring.imports.results import read_result_rows, results_import
from units.models import Block


class Command(BaseCommand):
    help = (
        "Nhập kết quả CCHC đã công bố từ tệp .csv (UTF-8) hoặc .xlsx có các cột year, block, unit, score "
        "(tùy chọn grade, rank, source). Mọi lỗi được báo cùng lúc và không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .csv hoặc .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi vào cơ sở dữ liệu.")
        parser.add_argument(
            "--partial", action="store_true", help="Nguồn chỉ công bố một phần bảng kết quả (ví dụ chỉ top 5)."
        )
        parser.add_argument(
            "--correction",
            default="",
            metavar="LÝ_DO",
            help="Công bố bản đính chính cho năm và khối đã công bố, với lý do này (bản cũ vẫn được lưu).",
        )
        parser.add_argument(
            "--skip-published",
            action="store_true",
            help="Bỏ qua các năm và khối đã công bố thay vì báo lỗi (dùng khi nạp dữ liệu mẫu nhiều lần).",
        )
        parser.add_argument(
            "--decimals",
            type=int,
            choices=range(0, 7),
            default=None,
            help="Số chữ số thập phân công bố (mặc định: theo tệp).",
        )

    def handle(self, *args, file, dry_run, partial, decimals, correction, skip_published, **options):
        try:
            rows = read_result_rows(file, list(Block.objects.all()))
            summary = results_import(
                rows=rows,
                partial=partial,
                decimals=decimals,
                correction=correction,
                skip_published=skip_published,
                dry_run=dry_run,
            )
        except Refused as exc:
            raise CommandError(_errors_text(file, exc.errors, len(exc.problems))) from None
        except ValidationError as exc:
            raise CommandError(_errors_text(file, exc.messages, len(exc.messages))) from None
        for warning in summary.warnings:
            self.stderr.write(self.style.WARNING(f"Cảnh báo: {warning}"))
        tables = ", ".join(f"{year}/{block}" for year, block in summary.tables)
        skipped = ", ".join(f"{year}/{block}" for year, block in summary.skipped)
        verb = "Kiểm tra xong, chưa ghi gì" if dry_run else ("Đã đính chính" if correction else "Đã nhập")
        self.stdout.write(
            f"{verb}: {summary.results} kết quả, {len(summary.tables)} bảng ({tables or 'không có'}), "
            f"{summary.units_created} đơn vị mới, {len(summary.warnings)} cảnh báo"
            + (f"; bỏ qua bảng đã công bố: {skipped}." if skipped else ".")
        )


def _errors_text(file: str, errors: list[str], count: int) -> str:
    """The count is of problems (cells); a mistake repeated on several rows is one line naming them."""
    lines = [f'Không nhập tệp "{file}": {count} lỗi, không ghi gì vào cơ sở dữ liệu.']
    return "\n".join(lines + [f"- {error}" for error in errors])
