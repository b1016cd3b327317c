"""The entry page's forms (one per leaf, built from `scoring.entry_fields`), and the small forms of the period
actions."""

import html
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe

from cchc_portal.lib.numbers import show
from cchc_portal.validators import multi_line, one_line
from scoring import entry_fields
from scoring.entry_fields import EntryField
from scoring.models import LONG_TEXT_LIMIT, Submission
from scoring.queries import EntrySheet, SheetRow
from scoring.scores import Change

# An appraiser's comment is read by the unit and explained against: a box of four lines that grows with the text.
TEXT_ROWS = {"appraiser_comment": 4}
TEXT_HINTS = {
    "explanation": "Giải trình (bắt buộc nếu có điểm mà chưa có minh chứng)",
    "response": "Giải thích, bổ sung căn cứ cho điểm đã tự đánh giá",
}


_SPECIAL = re.compile(r"[&<>\"']").search


def _escape(text: str) -> str:
    """html.escape, handing back as it is a text with nothing to escape (most texts of a sheet): half the time."""
    return html.escape(text) if _SPECIAL(text) else text


def escaped(value) -> str:
    """`conditional_escape` without its lazy-string wrapper (which cost more than the escaping, 2,000 times a page)."""
    return value.__html__() if hasattr(value, "__html__") else _escape(str(value))


def _attributes(attrs: dict) -> str:
    """Django's widgets/attrs.html: ` name="value"`, ` name` for True, nothing for False."""
    return "".join(
        f" {name}" if value is True else f' {name}="{_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class _Drawn:
    """A widget drawn in Python, as Django's own templates draw it (input.html, textarea.html, attrs.html): a sheet
    of 120 criteria has about 420 inputs, and a template per input was most of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        name, attributes = escaped(widget["name"]), _attributes(widget["attrs"])
        if self.input_type == "textarea":
            text = escaped(widget["value"]) if widget["value"] else ""
            return mark_safe(f'<textarea name="{name}"{attributes}>\n{text}</textarea>')  # noqa: S308 - escaped
        shown = "" if widget["value"] is None else f' value="{html.escape(str(widget["value"]))}"'
        return mark_safe(f'<input type="{widget["type"]}" name="{name}"{shown}{attributes}>')  # noqa: S308 - escaped


class DrawnTextInput(_Drawn, forms.TextInput):
    pass


class DrawnTextarea(_Drawn, forms.Textarea):
    input_type = "textarea"


class DrawnCheckbox(_Drawn, forms.CheckboxInput):
    pass


class DrawnHidden(_Drawn, forms.HiddenInput):
    pass


class SheetText(forms.CharField):
    """A text or points field of the sheet, with the value the person saw in a hidden input."""

    hidden_widget = DrawnHidden


class SheetFlag(forms.BooleanField):
    widget = DrawnCheckbox
    hidden_widget = DrawnHidden


class LeafForm(forms.Form):
    """One leaf's row of the entry sheet: exactly the fields the viewer may change (`scoring.entry_fields`), named
    "<leaf id>-<field>" (`entry_fields.key`), each carrying in a hidden input the value the viewer saw when the
    page was drawn (`show_hidden_initial`): `changed_data` is what the person changed, and the value they saw
    lets the service tell their change from a colleague's made meanwhile."""

    def __init__(self, *args, row: SheetRow, **kwargs):
        self.row = row
        self.problems: dict[str, str] = {}  # field -> what is wrong with it, from the service
        super().__init__(*args, prefix=str(row.node.pk), initial=_stored(row), **kwargs)
        for entry in row.fields:
            self.fields[entry.name] = _field(entry, row)

    def mark(self, name: str, text: str) -> None:
        """Show the service's message at the field (or on the row, for a field the form does not have)."""
        self.problems[name] = (self.problems.get(name, "") + " " + text).strip()
        if name in self.fields:
            self.fields[name].widget.attrs["aria-invalid"] = "true"

    def changes(self) -> list[Change]:
        """The fields the person changed, each with the value they saw."""
        found = []
        for name in self.changed_data:
            bound, field = self[name], self.fields[name]
            seen = self._widget_data_value(field.hidden_widget(), bound.html_initial_name)
            if isinstance(field, forms.BooleanField):
                seen = field.to_python(seen)
            found.append(Change(name, self.row.node.pk, bound.data, seen))
        return found


def _stored(row: SheetRow) -> dict:
    """What the row's fields hold now: the score's texts, and the points that count (corrections included)."""
    score, points = row.score, row.points
    return {
        "self_points": show(points.self_points),
        "appraised_points": show(points.appraised),
        "explanation": score.explanation if score else "",
        "appraiser_comment": score.appraiser_comment if score else "",
        "response": score.response if score else "",
        "not_applicable": points.not_applicable,
    }


def _field(entry: EntryField, row: SheetRow) -> forms.Field:
    attrs = _widget_attrs(entry, row)
    if entry.kind == entry_fields.FLAG:
        return SheetFlag(label=entry.label, required=False, show_hidden_initial=True)
    if entry.kind == entry_fields.TEXT:
        return SheetText(
            label=entry.label, required=False, strip=False, show_hidden_initial=True, widget=DrawnTextarea(attrs)
        )
    return SheetText(
        label=entry.label, required=False, strip=False, show_hidden_initial=True, widget=DrawnTextInput(attrs)
    )


def _widget_attrs(entry: EntryField, row: SheetRow) -> dict:
    """The attributes a field's widget is made with (a checkbox has none)."""
    code, name = row.node.code, entry_fields.key(row.node.pk, entry.name)
    described = {"aria-describedby": f"err-{name}"}
    if entry.kind == entry_fields.FLAG:
        return {}
    if entry.kind == entry_fields.TEXT:
        attrs = {
            "rows": TEXT_ROWS.get(entry.name, 2),
            "maxlength": LONG_TEXT_LIMIT,
            "aria-label": f"{entry.label} tiêu chí {code}",
            **described,
        }
        if entry.name in TEXT_HINTS:
            attrs["placeholder"] = TEXT_HINTS[entry.name]
        return attrs
    return {
        "class": "points",
        "inputmode": "decimal",
        "autocomplete": "off",
        "data-max": format(row.node.max_points, "f"),
        "data-kind": row.self_kind if entry.name == "self_points" else row.appraised_kind,
        "data-area": row.area_code,
        "aria-label": f"{entry.label} tiêu chí {code}",
        **described,
    }


class ShownLeaf:
    """A leaf's inputs as its unbound LeafForm draws them, without making the form: the GET of a sheet of 120
    criteria made some 105 forms, 210 fields with their widgets deep-copied and 420 bound fields, only to draw
    them — more time than the rest of the page. The same widgets draw the same HTML (tests/scoring/
    test_entry_drawing.py holds the two to each other); a POST is read by LeafForm."""

    is_bound = False

    def __init__(self, row: SheetRow):
        self.row = row
        self.problems: dict[str, str] = {}
        self.initial = _stored(row)
        self.fields = {entry.name: entry for entry in row.fields}
        self._invalid: set[str] = set()

    def mark(self, name: str, text: str) -> None:
        """As LeafForm.mark."""
        self.problems[name] = (self.problems.get(name, "") + " " + text).strip()
        if name in self.fields:
            self._invalid.add(name)

    def __getitem__(self, name: str) -> "ShownInput":
        return ShownInput(self, self.fields[name])


class ShownInput:
    """One field of a ShownLeaf: its input and the hidden input holding the value shown (`show_hidden_initial`)."""

    def __init__(self, leaf: ShownLeaf, entry: EntryField):
        self.leaf, self.entry = leaf, entry
        self.html_name = entry_fields.key(leaf.row.node.pk, entry.name)
        self.id_for_label = f"id_{self.html_name}"
        self.hidden_id = f"initial-{leaf.row.node.pk}-{self.id_for_label}"  # as Form.add_initial_prefix makes it

    def __str__(self) -> str:
        """As the Drawn widgets draw it (the checkbox's and the inputs' `format_value`), without their context:
        the attributes `_widget_attrs` gives, written out in their order (tests/scoring/test_entry_drawing.py holds
        the two to each other and to Django's templates)."""
        entry, name, kind, row = self.entry, self.html_name, self.entry.kind, self.leaf.row
        invalid = ' aria-invalid="true"' if entry.name in self.leaf._invalid else ""
        value = self.leaf.initial[entry.name]
        if kind == entry_fields.FLAG:
            checked = "" if value is False or value is None or value == "" else " checked"
            shown = f'<input type="checkbox" name="{name}"{invalid} id="{self.id_for_label}"{checked}>'
        else:
            label = _escape(f"{entry.label} tiêu chí {row.node.code}")
            if kind == entry_fields.TEXT:
                hint = TEXT_HINTS.get(entry.name)
                attributes = (
                    f' cols="40" rows="{TEXT_ROWS.get(entry.name, 2)}" maxlength="{LONG_TEXT_LIMIT}"'
                    f' aria-label="{label}" aria-describedby="err-{name}"'
                    + (f' placeholder="{_escape(hint)}"' if hint is not None else "")
                )
                text = _escape(str(value)) if value not in (None, "") else ""
                shown = f'<textarea name="{name}"{attributes}{invalid} id="{self.id_for_label}">\n{text}</textarea>'
            else:
                data_kind = row.self_kind if entry.name == "self_points" else row.appraised_kind
                shown = (
                    f'<input type="text" name="{name}"{_value(value)} class="points" inputmode="decimal"'
                    f' autocomplete="off" data-max="{_escape(format(row.node.max_points, "f"))}"'
                    f' data-kind="{_escape(data_kind)}" data-area="{_escape(row.area_code)}" aria-label="{label}"'
                    f' aria-describedby="err-{name}"{invalid} id="{self.id_for_label}">'
                )
        hidden = f'<input type="hidden" name="initial-{name}"{_value(value)} id="{self.hidden_id}">'
        return SafeString(shown + hidden)  # every value escaped; SafeString: mark_safe's lazy check, 210 times a page

    __html__ = __str__


def _value(value) -> str:
    """An input's value attribute as forms.Input.format_value has it: none for no value."""
    return "" if value is None or value == "" else f' value="{_escape(str(value))}"'


def leaf_forms(sheet: EntrySheet, data=None) -> dict[int, LeafForm]:
    """A form for each leaf the viewer may change something on, by leaf id."""
    return {row.node.pk: LeafForm(data, row=row) for row in sheet.rows if row.is_leaf and row.fields}


def shown_leaves(sheet: EntrySheet) -> dict[int, ShownLeaf]:
    """What `leaf_forms(sheet)` draws, for a page that only shows the sheet (a GET), by leaf id."""
    return {row.node.pk: ShownLeaf(row) for row in sheet.rows if row.is_leaf and row.fields}


def stale_fields(forms_by_leaf: dict[int, LeafForm], data) -> list[tuple[int, str, str]]:
    """(leaf id, field, value) of the fields the POST changed that the page as it is now has no input for: the
    person's page was drawn before the period or the file moved on. Their values are not saved."""
    stale = []
    for name in data:
        parsed = entry_fields.parse_key(name)
        if parsed is None:
            continue
        pk, field = parsed
        form = forms_by_leaf.get(pk)
        if form is not None and field in form.fields:
            continue
        seen, value = data.get(f"initial-{name}"), data.get(name)
        if seen is None or str(seen) != str(value):
            stale.append((pk, field, value))
    return stale


def shown_again(form: LeafForm, typed: dict[str, str]) -> LeafForm:
    """The form as stored now, with the values of `typed` (field name -> text) shown as the person typed them and
    the stored value as what they "saw" — after a conflict, saving again overwrites on purpose."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        stored = form.initial.get(name, "" if not isinstance(field, forms.BooleanField) else False)
        data[bound.html_initial_name] = stored
        value = typed.get(name, stored)
        if isinstance(field, forms.BooleanField):
            if value in (True, "on", "True"):
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = value
    return LeafForm(data, row=form.row)


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


class UnitCodes(forms.CharField):
    """Units named by their codes, one per line or separated by commas: a list to pick from is of no use for a
    block of thousands of communes (and drawing it took most of the period page's time)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, *args, queryset=None, **kwargs):
        self.queryset = queryset
        super().__init__(*args, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        codes = list(dict.fromkeys(code for code in re.split(r"[\s,;]+", text) if code))
        if not codes:
            return self.queryset.none()
        found = self.queryset.filter(code__in=codes)
        unknown = sorted(set(codes) - set(found.values_list("code", flat=True)))
        if unknown:
            raise ValidationError(
                "Không có đơn vị nào của kỳ có mã: " + ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
            )
        return found


# A block with more units than this names them by code when assigning an appraiser, instead of a list to pick from.
UNITS_IN_A_LIST = 300


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
        units = Unit.objects.filter(block_id=period.block_id).active_in(period.year)
        if units.count() > UNITS_IN_A_LIST:
            self.fields["units"] = UnitCodes(
                label="Mã các đơn vị (để trống: mọi đơn vị của kỳ)",
                help_text="Mỗi dòng một mã đơn vị, hoặc các mã cách nhau bằng dấu phẩy.",
                required=False,
                max_length=200_000,
                queryset=units,
            )
        else:
            self.fields["units"].queryset = units


class UnitFilterForm(forms.Form):
    """Which units the period page lists: a part of the name, a state, an appraiser's units (GET, never saved)."""

    q = forms.CharField(label="Tên đơn vị", required=False, max_length=100)
    tinh_trang = forms.ChoiceField(label="Tình trạng", required=False)
    tham_dinh = forms.ChoiceField(label="Thẩm định viên", required=False)

    def __init__(self, *args, appraisers: list[tuple[str, str]], finished: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tinh_trang"].choices = [("", "Mọi tình trạng"), *Submission.Status.choices]
        self.fields["tham_dinh"].choices = [("", "Mọi thẩm định viên"), *appraisers]
        if not appraisers:
            del self.fields["tham_dinh"]
        if finished:  # where each file stood in the workflow no longer matters once the results are out
            del self.fields["tinh_trang"]


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
