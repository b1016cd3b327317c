"""Import a filled score sheet, with the same checks, permissions and audit as the web page."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scoring.imports.score_sheets import kind_or_none, run_check, scores_import
from scoring.models import Period


class Command(BaseCommand):
    help = (
        "Nhập bảng điểm Excel (theo bảng mẫu) cho một kỳ đánh giá. Kiểm tra toàn bộ tệp trước; có lỗi thì liệt kê "
        "mọi lỗi (trang, dòng, cột, giá trị) và không ghi gì. Thay đổi được ghi nhật ký dưới tên --user."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .xlsx")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--block", required=True)
        parser.add_argument("--kind", required=True, choices=["self", "appraised", "survey"])
        parser.add_argument("--user", required=True, help="Tài khoản thực hiện (quyền như trên trang web)")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra, không ghi.")

    def handle(self, *args, file, year, block, kind, user, dry_run, **options):
        period = Period.objects.select_related("block").filter(year=year, block__code=block).first()
        if period is None or period.criteria_set_id is None:
            raise CommandError(f"Không có kỳ đánh giá năm {year}, khối “{block}” có bộ tiêu chí.")
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"Không có tài khoản “{user}”.")
        try:
            with open(file, "rb") as handle:
                check = run_check(handle, file, period, kind_or_none(kind), account)
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp “{file}”: {exc.strerror}.") from None
        if not check.ok:
            lines = [f"Không nhập tệp “{file}”: {len(check.errors)} lỗi, không ghi gì."]
            raise CommandError("\n".join(lines + [f"- {e}" for e in check.lines]))
        counts = check.counts
        written = 0
        if not dry_run:
            try:
                with transaction.atomic():
                    written = scores_import(check=check, period=period, file_name=file, by=account)
            except (ValidationError, PermissionDenied) as exc:
                reason = " ".join(getattr(exc, "messages", [str(exc)]))
                raise CommandError(f"Không nhập tệp “{file}”: {reason}") from None
        verb = "Kiểm tra xong, chưa ghi gì" if dry_run else f"Đã ghi {written} giá trị"
        self.stdout.write(
            f"{verb}: {counts['units']} đơn vị, {counts['new']} mới, {counts['changed']} thay đổi, "
            f"{counts['unchanged']} giữ nguyên."
        )
