"""Write the detailed report of one period (all three sheets) to an xlsx file."""

from django.core.management.base import BaseCommand, CommandError

from scoring.exports.detailed import detailed_workbook
from scoring.models import Period

E_NO_PERIOD = "Không có kỳ đánh giá năm {year} của khối “{block}”."
E_NOT_WRITABLE = "Không ghi được tệp “{path}”: {reason}."


class Command(BaseCommand):
    help = "Xuất báo cáo chi tiết (điểm từng tiêu chí của mọi đơn vị) của một kỳ đánh giá ra tệp .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Năm đánh giá, ví dụ 2024.")
        parser.add_argument("--block", required=True, help="Mã khối: so, huyen hoặc xa.")
        parser.add_argument("-o", "--output", required=True, metavar="TỆP", help="Đường dẫn tệp .xlsx sẽ ghi.")

    def handle(self, *args, year, block, output, **options):
        period = Period.objects.filter(year=year, block__code=block).first()
        if period is None:
            raise CommandError(E_NO_PERIOD.format(year=year, block=block))
        content = detailed_workbook(period)
        try:
            with open(output, "wb") as file:
                file.write(content)
        except OSError as exc:
            raise CommandError(E_NOT_WRITABLE.format(path=output, reason=exc.strerror or exc)) from None
        self.stdout.write(f"Đã ghi báo cáo chi tiết {period} vào “{output}” ({len(content) // 1024 + 1} KB).")
