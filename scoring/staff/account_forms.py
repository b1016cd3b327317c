"""The form "Tạo tài khoản cán bộ đơn vị": what is typed; the service checks it (scoring.accounts.services)."""

from django import forms

from scoring.accounts.services import EMAIL_MAX, NAME_MAX, USERNAME_MAX


class UnitAccountForm(forms.Form):
    """A unit (chosen among the current units, grouped by block), a username, a name and an e-mail address."""

    unit = forms.ChoiceField(label="Đơn vị")
    username = forms.CharField(
        label="Tên đăng nhập",
        max_length=USERNAME_MAX,
        help_text="Chữ cái không dấu, chữ số và các dấu . _ - @ +, ví dụ canbo.tuphap.",
    )
    full_name = forms.CharField(label="Họ và tên (hoặc bộ phận)", max_length=NAME_MAX, required=False)
    email = forms.CharField(
        label="Thư điện tử",
        max_length=EMAIL_MAX,
        widget=forms.EmailInput,
        help_text="Đường dẫn đặt mật khẩu được gửi tới địa chỉ này; Sở Nội vụ không đặt và không biết mật khẩu.",
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(unit.pk): unit for unit in units}
        by_block: dict[str, list] = {}
        for unit in units:
            by_block.setdefault(unit.block.name, []).append((str(unit.pk), unit.name))
        self.fields["unit"].choices = [("", "— Chọn đơn vị —"), *by_block.items()]

    def clean_unit(self):
        return self.units[self.cleaned_data["unit"]]
