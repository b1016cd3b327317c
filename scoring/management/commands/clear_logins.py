"""Keep the login records small (run daily, e.g. from cron): attempts whose cool-off is over, and old records of
successful logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cchc_portal.lockouts import clear_expired


class Command(BaseCommand):
    help = "Xóa các lần đăng nhập sai đã hết thời gian khóa và nhật ký đăng nhập thành công cũ hơn số ngày cho trước."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.LOGIN_LOG_DAYS,
            help=f"Giữ nhật ký đăng nhập bao nhiêu ngày (mặc định LOGIN_LOG_DAYS, {settings.LOGIN_LOG_DAYS}).",
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days phải là số ngày từ 1 trở lên.")
        attempts, records = clear_expired(days)
        self.stdout.write(f"Đã xóa {attempts} bản ghi đăng nhập sai đã hết thời gian khóa.")
        self.stdout.write(f"Đã xóa {records} dòng nhật ký đăng nhập cũ hơn {days} ngày.")
