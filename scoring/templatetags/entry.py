"""Template helpers for the entry sheet: the number rule's messages for its script, points as it shows them."""

from decimal import Decimal

from django import template

from cchc_portal.lib.numbers import (
    ABOVE_MAX,
    NEGATIVE,
    NOT_A_NUMBER,
    POINT_LIMIT,
    TOO_LARGE,
    TOO_PRECISE,
    number_message,
    show,
    vn_number,
)

register = template.Library()


@register.simple_tag
def number_messages() -> dict:
    """The number rule's messages for the entry page's script, with {value} and {maximum} left to fill."""
    codes = (NOT_A_NUMBER, NEGATIVE, TOO_PRECISE, TOO_LARGE, ABOVE_MAX)
    limit = vn_number(POINT_LIMIT - Decimal("0.001"), 3)
    texts = {code: number_message(code, value="{value}", maximum="{maximum}", limit=limit) for code in codes}
    return {code.replace("-", "_"): text[:1].upper() + text[1:] for code, text in texts.items()}


@register.filter
def pts(value) -> str:
    """Points as the sheet shows them: 2,5 and 60 (no trailing zeros); empty for no points."""
    return show(value) if value is not None else ""


@register.filter
def raw(value) -> str:
    """A number for the page's script to add up: 2.5; empty for none."""
    return format(value, "f") if isinstance(value, Decimal) else ""


@register.filter
def field(form, name: str):
    """The form's field `name` (a BoundField), or None when the form has no such field (or there is no form)."""
    if form is None or name not in form.fields:
        return None
    return form[name]


@register.filter
def problem(form, name: str) -> str:
    """What the service said is wrong with field `name` of a leaf's form."""
    return form.problems.get(name, "") if form is not None else ""


@register.simple_tag
def leaf_row(row, sheet, attention):
    """A leaf's row of the entry sheet (`scoring.staff.entry_rows`)."""
    from scoring.staff.entry_rows import leaf_row as draw

    return draw(row, sheet, attention)


@register.simple_tag
def history_rows(entries):
    """The rows of the entry sheet's history (`scoring.staff.entry_rows`)."""
    from scoring.staff.entry_rows import history_rows as draw

    return draw(entries)


@register.simple_tag
def sheet_rows(sheet, attention, attention_groups):
    """Every row of the entry sheet's table (`scoring.staff.entry_rows`)."""
    from scoring.staff.entry_rows import sheet_rows as draw

    return draw(sheet, attention, attention_groups)
