"""Remove an account's authenticator app, for someone who lost the phone: the next login asks to set up a new one
(an administrator must; anyone else may)."""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Gỡ ứng dụng xác thực hai bước của một tài khoản (khi mất điện thoại); lần đăng nhập sau thiết lập lại."

    def add_arguments(self, parser):
        parser.add_argument("username", help="Tên đăng nhập.")

    def handle(self, *args, username, **options):
        username = unicodedata.normalize("NFKC", username).strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không có tài khoản {username!r}.")
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        if removed:
            self.stdout.write(f"Đã gỡ ứng dụng xác thực của {username}; lần đăng nhập sau sẽ thiết lập lại.")
        else:
            self.stdout.write(f"{username} chưa có ứng dụng xác thực nào.")
