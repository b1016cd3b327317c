"""Create or reset the local administrator account; only when DEBUG is on."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "quantri"
PASSWORD = "quantri-cchc-demo"


class Command(BaseCommand):
    help = "Tạo tài khoản quản trị cho máy phát triển (chỉ khi DEBUG bật) và in thông tin đăng nhập."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Chỉ tạo tài khoản quản trị mẫu khi DEBUG bật.")
        user, _ = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write(f"Tài khoản quản trị (chỉ dùng thử): {USERNAME} / {PASSWORD} — /quan-tri/")
