"""Turning the entry page's POST into checked changes, and the small forms of the period actions."""

from django import forms

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
        if sheet.can_edit_self or sheet.can_explain:
            read("expl", "explanation", pk)
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
    link = forms.URLField(label="Hoặc đường dẫn", required=False, assume_scheme="https")
    title = forms.CharField(label="Mô tả", max_length=255, required=False, validators=[one_line])
