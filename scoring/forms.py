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


def entry_changes(sheet: EntrySheet, data) -> list[Change]:
    """The changes the viewer may make, read from the POST: fields they may not edit are ignored."""
    changes = []
    for row in sheet.rows:
        if not row.is_leaf:
            continue
        pk = row.node.pk
        if sheet.can_edit_self and not row.is_survey:
            changes.append(Change("self_points", pk, data.get(field_name("self", pk), "")))
        if sheet.can_edit_self or sheet.can_explain:
            changes.append(Change("explanation", pk, data.get(field_name("expl", pk), "")))
        if (sheet.can_appraise and not row.is_survey) or (sheet.can_enter_survey and row.is_survey):
            changes.append(Change("appraised_points", pk, data.get(field_name("appr", pk), "")))
        if sheet.can_appraise:
            changes.append(Change("appraiser_comment", pk, data.get(field_name("cmt", pk), "")))
        if sheet.can_mark_na:
            changes.append(Change("not_applicable", pk, data.get(field_name("na", pk)) == "on"))
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
