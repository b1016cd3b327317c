"""Send the day's reminders and notices by e-mail, each at most once; run daily from cron."""

from django.core.management.base import BaseCommand

from scoring import notices


class Command(BaseCommand):
    help = (
        "Gửi thư nhắc việc (sắp đến hạn tự đánh giá, hồ sơ trả về giải trình, vòng thẩm định đã mở, mọi đơn vị "
        "đã nộp hoặc đã được thẩm định). Mỗi thông báo chỉ gửi một lần; chạy hằng ngày bằng cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", help="Địa chỉ cổng trong đường dẫn của thư (mặc định PORTAL_URL).")

    def handle(self, *args, base_url=None, **options):
        sent, failed = notices.send(base_url=base_url)
        self.stdout.write(f"Đã gửi {sent} thông báo mới.")
        if failed:
            self.stderr.write(f"{failed} thông báo chưa gửi được (lỗi máy chủ thư); sẽ thử lại ở lần chạy sau.")
