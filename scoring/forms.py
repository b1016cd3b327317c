"""Turning the entry page's POST into checked changes, and the small forms of the period actions."""

from django import forms
from django.core.exceptions import ValidationError

from cchc_portal.validators import multi_line, one_line
from scoring.models import LONG_TEXT_LIMIT
from scoring.queries import EntrySheet
from scoring.scores import Change

# Form field prefixes on the entry page: one input per leaf and field.
FIELDS = {
    "self": "self_points",
    "appr": "appraised_points",
    "expl": "explanation",
    "cmt": "appraiser_comment",
    "na": "not_applicable",
    "resp": "response",
}


def field_name(prefix: str, criterion_id: int) -> str:
    return f"{prefix}-{criterion_id}"


def seen_name(prefix: str, criterion_id: int) -> str:
    """The hidden input that carries what the user saw in a field when the page was drawn."""
    return f"seen-{prefix}-{criterion_id}"


def entry_changes(sheet: EntrySheet, data) -> list[Change]:
    """The changes the viewer may make, read from the POST with what they saw: fields they may not edit are
    ignored."""
    changes = []

    def read(prefix: str, field: str, pk: int, checkbox: bool = False) -> None:
        if field_name(prefix, pk) not in data and seen_name(prefix, pk) not in data:
            return  # a field the page did not show is left as it is
        value = data.get(field_name(prefix, pk)) == "on" if checkbox else data.get(field_name(prefix, pk), "")
        seen = data.get(seen_name(prefix, pk))
        if checkbox and seen is not None:
            seen = seen == "on"
        changes.append(Change(field, pk, value, seen))

    for row in sheet.rows:
        if not row.is_leaf:
            continue
        pk = row.node.pk
        if sheet.can_edit_self and not row.is_survey:
            read("self", "self_points", pk)
        if sheet.can_edit_self:
            read("expl", "explanation", pk)
        if sheet.can_explain and not row.is_survey:
            read("resp", "response", pk)
        if (sheet.can_appraise and not row.is_survey) or (sheet.can_enter_survey and row.is_survey):
            read("appr", "appraised_points", pk)
        if sheet.can_appraise:
            read("cmt", "appraiser_comment", pk)
        if sheet.can_mark_na:
            read("na", "not_applicable", pk, checkbox=True)
    return changes


class OpenForm(forms.Form):
    deadline = forms.DateTimeField(
        label="Hạn tự đánh giá",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"],
    )


class PublishForm(forms.Form):
    decision_number = forms.CharField(label="Số quyết định công bố", max_length=100, validators=[one_line])
    decision_date = forms.DateField(label="Ngày quyết định", widget=forms.DateInput(attrs={"type": "date"}))
    signer = forms.CharField(label="Người ký", max_length=200, required=False, validators=[one_line])


class ConfirmForm(forms.Form):
    confirm = forms.CharField(
        label="Xác nhận: gõ năm đánh giá (hoặc số quyết định)",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


E_EVIDENCE_BOTH = "Chọn một trong hai: tải một tệp lên, hoặc dán một đường dẫn (mỗi lần thêm một minh chứng)."


def _plausible_id(value) -> bool:
    """A row id the database can hold: at most nine digits (a longer one would overflow SQLite's integer)."""
    text = str(value).strip()
    return text.isdigit() and len(text) <= 9


class IdChoice(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not _plausible_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdChoices(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not _plausible_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class AssignForm(forms.Form):
    """Which appraiser, for which units of the period (none chosen: every unit)."""

    appraiser = IdChoice(label="Thẩm định viên", queryset=None, empty_label=None)
    units = IdChoices(
        label="Đơn vị (để trống: mọi đơn vị của kỳ)",
        help_text="Giữ phím Ctrl (⌘ trên máy Mac) để chọn nhiều đơn vị.",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, period, **kwargs):
        from django.contrib.auth import get_user_model

        from scoring.permissions import APPRAISER
        from units.models import Unit

        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(groups__name=APPRAISER, is_active=True).order_by("username")
        self.fields["appraiser"].queryset = users
        self.fields["appraiser"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.fields["units"].queryset = Unit.objects.filter(block_id=period.block_id).active_in(period.year)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Lý do",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=LONG_TEXT_LIMIT,
        validators=[multi_line],
    )


class EvidenceForm(forms.Form):
    upload = forms.FileField(label="Tệp (PDF, ảnh, Word, Excel; tối đa 10 MB)", required=False)
    link = forms.URLField(
        label="Hoặc đường dẫn",
        required=False,
        assume_scheme="https",
        # A text box: the browser's own URL check would refuse "cong.gov.vn/van-ban" in English; the server
        # reads it (as https://…) and explains in Vietnamese when it cannot.
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://…"}),
    )
    title = forms.CharField(label="Mô tả", max_length=255, required=False, validators=[one_line])

    def clean(self):
        data = super().clean()
        if data.get("upload") and data.get("link"):
            raise ValidationError(E_EVIDENCE_BOTH)
        return data
