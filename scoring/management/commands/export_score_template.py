"""Write the Excel template of a period's score sheet."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.imports.score_sheets import kind_or_none, score_template, sheet_units
from scoring.models import Period
from units.models import Block


class Command(BaseCommand):
    help = "Xuất bảng mẫu nhập điểm (một dòng mỗi đơn vị, một cột mỗi tiêu chí) của một kỳ đánh giá ra tệp .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm đánh giá")
        parser.add_argument("--block", required=True, help="Mã hoặc tên khối")
        parser.add_argument("--kind", required=True, choices=["self", "appraised", "survey"], help="Loại điểm")
        parser.add_argument("-o", "--output", required=True, help="Tệp .xlsx sẽ ghi ra")

    def handle(self, *args, year, block, kind, output, **options):
        found = Block.objects.named(block)
        period = Period.objects.select_related("block").filter(year=year, block=found).first() if found else None
        if period is None or period.criteria_set_id is None:
            raise CommandError(f"Không có kỳ đánh giá năm {year}, khối “{block}” có bộ tiêu chí.")
        sheet = kind_or_none(kind)
        try:
            Path(output).write_bytes(score_template(period, sheet, None))
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp “{output}”: {exc.strerror}.") from None
        units = len(sheet_units(period, sheet, None))
        self.stdout.write(f"Đã xuất bảng mẫu {sheet.label} năm {year}, khối {block}: {units} đơn vị → {output}")
