"""Create (or update) the PostgreSQL role the portal runs as: it may read and write rows, and nothing more."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from scoring.ops.roles import app_role_grant

E_NOT_POSTGRESQL = "Lệnh này chỉ dành cho PostgreSQL (cơ sở dữ liệu hiện tại: {vendor})."


class Command(BaseCommand):
    help = (
        "Tạo (hoặc cập nhật) vai trò PostgreSQL mà cổng dùng khi chạy: chỉ đọc, thêm, sửa, xóa dòng; không sở hữu "
        "bảng nào, nên không tắt được trigger khóa dữ liệu, không TRUNCATE, không đổi session_replication_role. "
        "Chạy bằng tài khoản sở hữu bảng (người chạy migrate), sau mỗi lần migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", default="cchc_app", help="Tên vai trò (mặc định cchc_app).")
        parser.add_argument("--password", required=True, help="Mật khẩu đăng nhập của vai trò.")

    def handle(self, *args, name, password, **options):
        if connection.vendor != "postgresql":
            raise CommandError(E_NOT_POSTGRESQL.format(vendor=connection.vendor))
        app_role_grant(connection, name=name, password=password)
        database = connection.settings_dict["NAME"]
        self.stdout.write(
            f"Vai trò “{name}” đọc và ghi được mọi bảng của “{database}”, không sở hữu bảng nào. "
            f"Cho cổng chạy bằng: DATABASE_URL=postgres://{name}:<mật khẩu>@<máy chủ>/{database}"
        )
