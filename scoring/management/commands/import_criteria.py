"""Import a criteria set (bộ tiêu chí) for one year and block from a .xlsx or .csv file."""

from argparse import ArgumentTypeError
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lib.numbers import NumberProblem, parse_number
from cchc_portal.lib.problems import Refused
from scoring.imports.criteria import (
    DEFAULT_TOTAL,
    criteria_import,
    read_criteria_rows,
    summary_text,
)
from units.models import Block


def _decimal(text: str) -> Decimal:
    try:
        total = parse_number(text, label="tổng điểm khai báo")
    except NumberProblem as problem:
        raise ArgumentTypeError(problem.sentence) from None
    if total is None:
        raise ArgumentTypeError("Tổng điểm khai báo để trống.")
    return total


class Command(BaseCommand):
    help = (
        "Nhập bộ tiêu chí của một năm và một khối từ tệp .xlsx (trang tính đầu tiên) hoặc .csv (UTF-8) có các cột "
        "code, title, max_points, method (hoặc mã, nội dung, điểm tối đa, cách chấm), rồi tạo kỳ đánh giá dự thảo. "
        "Mọi lỗi được báo cùng lúc và không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .xlsx hoặc .csv")
        parser.add_argument("--year", type=int, required=True, help="Năm đánh giá, ví dụ 2026.")
        parser.add_argument("--block", required=True, help="Mã hoặc tên khối (ví dụ so, huyen, xa).")
        parser.add_argument(
            "--total", type=_decimal, default=DEFAULT_TOTAL, help="Tổng điểm khai báo của bộ tiêu chí (mặc định 100)."
        )
        parser.add_argument("--name", default="", help="Tên bộ tiêu chí (mặc định: theo khối và năm).")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi vào cơ sở dữ liệu.")

    def handle(self, *args, file, year, block, total, name, dry_run, **options):
        code, block = block, Block.objects.named(block)
        if block is None:
            raise CommandError(f'Chưa có khối "{code}" (các khối: {Block.objects.codes()}); không ghi gì.')
        try:
            rows = read_criteria_rows(file, "", total=total)
            summary = criteria_import(rows=rows, year=year, block=block, total=total, name=name, dry_run=dry_run)
        except Refused as exc:
            raise CommandError(_errors_text(file, exc.errors, len(exc.problems))) from None
        except ValidationError as exc:
            raise CommandError(_errors_text(file, exc.messages, len(exc.messages))) from None
        self.stdout.write(summary_text(summary))


def _errors_text(file: str, errors: list[str], count: int) -> str:
    """The count is of problems (cells); a mistake repeated on several rows is one line naming them."""
    lines = [f'Không nhập tệp "{file}": {count} lỗi, không ghi gì vào cơ sở dữ liệu.']
    return "\n".join(lines + [f"- {error}" for error in errors])
