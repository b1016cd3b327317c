"""Lift a login lockout from the server, for an administrator who cannot sign in to do it in the admin pages."""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cchc_portal.lockouts import current_locks, unlock


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M ngày %d/%m/%Y")


class Command(BaseCommand):
    help = (
        "Mở khóa đăng nhập của một tài khoản (mọi địa chỉ, hoặc một địa chỉ với --address). "
        "Không nêu tài khoản: liệt kê các khóa đang có và giờ tự mở."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="Tên đăng nhập cần mở khóa.")
        parser.add_argument("--address", help="Chỉ mở khóa từ địa chỉ mạng này.")

    def handle(self, *args, username, address, **options):
        if not username:
            locks = current_locks()
            if not locks:
                self.stdout.write("Không có tài khoản nào đang bị khóa đăng nhập.")
            for lock in locks:
                self.stdout.write(
                    f"{lock.username} từ {lock.address}: {lock.failures} lần sai, tự mở lúc {_local(lock.ends)}"
                )
            return
        # The login form reads names this way (NFKC, no surrounding spaces); so are the attempts recorded.
        username = unicodedata.normalize("NFKC", username).strip()
        locks = current_locks(username=username, address=address)
        removed = unlock(username, address)
        where = f" từ địa chỉ {address}" if address else ""
        if locks:
            addresses = ", ".join(lock.address for lock in locks)
            self.stdout.write(f"Đã mở khóa đăng nhập của {username}{where} (đang bị khóa từ: {addresses}).")
        elif removed:
            self.stdout.write(f"{username}{where} không bị khóa; đã xóa {removed} lần đăng nhập sai được ghi.")
        elif get_user_model().objects.filter(username=username).exists():
            self.stdout.write(f"{username}{where} không bị khóa đăng nhập.")
        else:
            raise CommandError(f"Không có tài khoản {username!r} và không có lần đăng nhập sai nào với tên này.")
