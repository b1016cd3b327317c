"""Import published CCHC results (a .csv or .xlsx file) as published periods, or correct a published table."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lib.problems import Refused
from scoring.imports.results import read_result_rows, results_import
from scoring.models import GradeScheme
from scoring.permissions import is_administrator
from units.models import Block

E_USER = "--correction cần --user TÀI_KHOẢN: tài khoản Quản trị Sở Nội vụ chịu trách nhiệm lần đính chính."
E_NO_USER = 'Không có tài khoản Quản trị Sở Nội vụ "{name}".'
E_DATE = '--decision-date "{value}" không phải một ngày (viết ngày/tháng/năm, ví dụ 20/02/2025).'
E_BLOCK = 'Không có khối "{value}".'


def _date(value: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise CommandError(E_DATE.format(value=value))


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
        parser.add_argument("--decision-number", default="", help="Số quyết định đính chính (cần khi --correction).")
        parser.add_argument("--decision-date", default="", help="Ngày quyết định đính chính, ngày/tháng/năm.")
        parser.add_argument("--signer", default="", help="Người ký quyết định đính chính.")
        parser.add_argument("--user", default="", help="Tài khoản Quản trị Sở Nội vụ thực hiện (ghi vào nhật ký).")
        parser.add_argument(
            "--tie-rule",
            choices=["shown", "exact"],
            default="shown",
            help="Bảng mới: bằng điểm công bố thì cùng vị thứ (shown, mặc định), "
            "hay xếp theo điểm chưa làm tròn (exact).",
        )
        parser.add_argument(
            "--basis",
            choices=["points", "percent"],
            default=None,
            help="Bảng mới: ghi điểm đánh giá (points) hay tỷ lệ đạt kèm điểm tối đa, điểm đạt (percent; mặc định khi "
            "tệp có cột điểm tối đa).",
        )
        parser.add_argument("--scheme", default=None, help="Bảng mới: tên thang xếp loại (mặc định: thang mặc định).")
        parser.add_argument("--year", type=int, default=None, help="Năm của bảng, khi tệp không có cột năm.")
        parser.add_argument("--block", default=None, help="Mã hoặc tên khối, khi tệp không có cột khối.")
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
        by = self._user(options["user"], required=bool(correction.strip()))
        blocks = list(Block.objects.all())
        block = self._block(options["block"], blocks)
        try:
            rows = read_result_rows(file, blocks, year=options["year"], block=block)
            summary = results_import(
                rows=rows,
                partial=partial,
                decimals=decimals,
                correction=correction,
                skip_published=skip_published,
                dry_run=dry_run,
                by=by,
                decision_number=options["decision_number"],
                decision_date=_date(options["decision_date"]) if options["decision_date"] else None,
                signer=options["signer"],
                tie_rule=options["tie_rule"],
                basis=options["basis"],
                scheme=self._scheme(options["scheme"]),
            )
        except Refused as exc:
            raise CommandError(_errors_text(file, exc.errors, len(exc.problems))) from None
        except ValidationError as exc:
            raise CommandError(_errors_text(file, exc.messages, len(exc.messages))) from None
        for note in summary.matched:
            self.stdout.write(note)
        for warning in summary.warnings:
            self.stderr.write(self.style.WARNING(f"Cảnh báo: {warning}"))
        # Blocks by their names, which hold commas: tables apart by semicolons.
        tables = "; ".join(f"{block} năm {year}" for year, block in summary.tables)
        skipped = "; ".join(f"{block} năm {year}" for year, block in summary.skipped)
        verb = "Kiểm tra xong, chưa ghi gì" if dry_run else ("Đã đính chính" if correction else "Đã nhập")
        self.stdout.write(
            f"{verb}: {summary.results} kết quả, {len(summary.tables)} bảng ({tables or 'không có'}), "
            f"{summary.units_created} đơn vị mới, {len(summary.warnings)} cảnh báo"
            + (f"; bỏ qua bảng đã công bố: {skipped}." if skipped else ".")
        )


    def _user(self, name: str, *, required: bool):
        if not name:
            if required:
                raise CommandError(E_USER)
            return None
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None or not is_administrator(user):
            raise CommandError(E_NO_USER.format(name=name))
        return user

    def _scheme(self, name):
        if name is None:
            return None
        found = GradeScheme.objects.filter(name=name).first()
        if found is None:
            names = "; ".join(GradeScheme.objects.values_list("name", flat=True))
            raise CommandError(f'Không có thang xếp loại "{name}" (các thang: {names}).')
        return found

    def _block(self, value, blocks):
        if value is None:
            return None
        found = Block.objects.filter(pk__in=[b.pk for b in blocks]).named(value)
        if found is None:
            raise CommandError(E_BLOCK.format(value=value))
        return found


def _errors_text(file: str, errors: list[str], count: int) -> str:
    """The count is of problems (cells); a mistake repeated on several rows is one line naming them."""
    lines = [f'Không nhập tệp "{file}": {count} lỗi, không ghi gì vào cơ sở dữ liệu.']
    return "\n".join(lines + [f"- {error}" for error in errors])
