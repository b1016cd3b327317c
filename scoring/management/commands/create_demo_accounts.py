"""Create or reset one demonstration account per role; only when DEBUG is on."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scoring.demo import demo_accounts


class Command(BaseCommand):
    help = "Tạo tài khoản dùng thử cho từng vai trò trên kỳ đánh giá minh họa (chỉ khi DEBUG bật) và in ra."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Chỉ tạo tài khoản dùng thử khi DEBUG bật.")
        for role, username, password in demo_accounts():
            self.stdout.write(f"{role}: {username} / {password}")
        self.stdout.write("Đăng nhập tại http://127.0.0.1:8000/dang-nhap/ (quản trị dữ liệu: /quan-tri/).")
