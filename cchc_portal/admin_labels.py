"""Every input of the staff admin has a name a screen reader can say.

Django's admin leaves three kinds of inputs without a label: the date and the time boxes of a date-time field
(the field's <label> points at neither), the inputs of each row of a tabular inline, and the editable cells of a
list (the column header names them to the eye only). These mixins give each one an `aria-label` made of the
field's own label and, in a row, the row it belongs to ("Thứ tự — Sở, ban, ngành"). What the admin's scripts
draw (the filter boxes of a two-list picker, the search box of an autocomplete) is named by
static/js/admin-a11y.js.
"""

from django.contrib.admin.widgets import AdminSplitDateTime
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

DATE = _("ngày")
TIME = _("giờ")
DELETE = _("Xóa")
NEW_ROW = _("dòng mới")


def _innermost(widget):
    """The widget that renders the input: the admin wraps relations in a widget that adds the + and ✎ links
    (and a deep copy of that wrapper keeps the old widget's attrs, so attrs must be set on the inner one)."""
    while hasattr(widget, "widget"):
        widget = widget.widget
    return widget


def label_split_datetime(widget, label: str) -> None:
    widget = _innermost(widget)
    if isinstance(widget, AdminSplitDateTime):
        date, time = widget.widgets
        date.attrs["aria-label"] = f"{capfirst(label)}: {DATE}"
        time.attrs["aria-label"] = f"{capfirst(label)}: {TIME}"


def labelled_rows(formset_class):
    """The formset class, with each row's inputs named by their field and their row."""

    class LabelledRows(formset_class):
        def add_fields(self, form, index):
            super().add_fields(form, index)
            instance = getattr(form, "instance", None)
            row = str(instance) if instance is not None and instance.pk else str(NEW_ROW)
            for name, field in form.fields.items():
                widget = _innermost(field.widget)
                if widget.is_hidden:
                    continue
                label = DELETE if name == DELETION_FIELD_NAME else (field.label or name)
                if isinstance(widget, AdminSplitDateTime):
                    label_split_datetime(widget, f"{capfirst(label)} — {row}")
                else:
                    widget.attrs["aria-label"] = f"{capfirst(label)} — {row}"

    LabelledRows.__name__ = formset_class.__name__
    LabelledRows.__qualname__ = formset_class.__qualname__
    return LabelledRows


class LabelledFields:
    """For a ModelAdmin or an inline: the date and time boxes of every date-time field are named."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            label_split_datetime(formfield.widget, str(formfield.label or db_field.verbose_name))
        return formfield


class LabelledAdmin(LabelledFields):
    """For a ModelAdmin: date-time boxes named, and the editable cells of its list named by column and row."""

    def get_changelist_formset(self, request, **kwargs):
        return labelled_rows(super().get_changelist_formset(request, **kwargs))


class LabelledInline(LabelledFields):
    """For a tabular inline: each row's inputs named by column and row."""

    def get_formset(self, request, obj=None, **kwargs):
        return labelled_rows(super().get_formset(request, obj, **kwargs))
