"""Password rules of the portal beyond Django's own."""

from django.core.exceptions import ValidationError

DEMO_PASSWORD = "cchc-dung-thu-2026"  # noqa: S105 - printed in the README for the demonstration accounts
E_DEMO = "Mật khẩu này là mật khẩu dùng thử công khai trong tài liệu; hãy chọn mật khẩu khác."


class DemoPasswordValidator:
    """Refuses the demonstration password for any account set through a form or a command."""

    def validate(self, password, user=None):
        if password == DEMO_PASSWORD:
            raise ValidationError(E_DEMO, code="demo_password")

    def get_help_text(self):
        return "Không dùng mật khẩu dùng thử ghi trong tài liệu."
