"""Write the criteria workbook template (the example set and its guide), as the import page offers it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring.imports.criteria_template import criteria_template, example_counts


class Command(BaseCommand):
    help = (
        "Ghi tệp mẫu bộ tiêu chí (.xlsx): một bộ tiêu chí nhỏ làm ví dụ và trang “Hướng dẫn”, như trang nhập bộ "
        "tiêu chí cho tải về. Bản trong kho mã: fixtures/bo-tieu-chi-mau.xlsx."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="Tệp .xlsx sẽ ghi ra")

    def handle(self, *args, output, **options):
        try:
            Path(output).write_bytes(criteria_template())
        except OSError as exc:
            raise CommandError(f"Không ghi được tệp “{output}”: {exc.strerror}.") from None
        self.stdout.write(f"Đã ghi tệp mẫu bộ tiêu chí ({example_counts().sentence()}) → {output}")
