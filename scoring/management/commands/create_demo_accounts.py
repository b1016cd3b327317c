"""Create or reset one demonstration account per role; only in development, on the demonstration database."""

import os

from django.core.management.base import BaseCommand, CommandError

from scoring.ops.demo import demo_accounts, demo_allowed


class Command(BaseCommand):
    help = (
        "Tạo tài khoản dùng thử cho từng vai trò trên kỳ đánh giá minh họa và in ra. Chỉ chạy khi DEBUG bật, trên "
        "CSDL SQLite mặc định, hoặc khi đặt DEMO=1 (không bao giờ trên CSDL thật)."
    )

    def handle(self, *args, **options):
        refusal = demo_allowed()
        if refusal:
            raise CommandError(refusal)
        for role, username, password in demo_accounts():
            self.stdout.write(f"{role}: {username} / {password}")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(f"Đăng nhập tại http://127.0.0.1:{port}/dang-nhap/ (quản trị dữ liệu: /quan-tri/).")
