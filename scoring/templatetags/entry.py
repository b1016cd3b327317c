"""Template helpers for the entry sheet: each leaf's input values and messages, area subtotals."""

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


@register.simple_tag
def area_total(sheet, area_code: str, kind: str) -> str:
    area = next(a for a in sheet.areas if a.code == area_code)
    return vn_number(area.self_total if kind == "self" else area.appraised_total, 3)


def _raw(value) -> str:
    return "" if value is None else format(value, "f")


@register.simple_tag
def leaf_fields(sheet, row, values, errors) -> dict:
    """What each input of a leaf shows: what was typed (after a refused save) or what is stored."""
    pk, score = row.node.pk, row.score
    stored_self = score.self_points if score else None
    stored_appr = score.appraised_points if score else None
    posted = bool(values)
    na = (values.get(f"na-{pk}") == "on") if posted and sheet.can_mark_na else bool(score and score.not_applicable)
    return {
        "self": values.get(f"self-{pk}", "") if posted else show(stored_self),
        "self_raw": _raw(stored_self),
        "self_shown": show(stored_self) or "—",
        "self_error": " ".join(errors.get(f"self_points_{pk}", [])),
        "appr": values.get(f"appr-{pk}", "") if posted else show(stored_appr),
        "appr_raw": _raw(stored_appr),
        "appr_shown": show(stored_appr) or "—",
        "appr_error": " ".join(errors.get(f"appraised_points_{pk}", [])),
        "expl": values.get(f"expl-{pk}", "") if posted else (score.explanation if score else ""),
        "expl_error": " ".join(errors.get(f"explanation_{pk}", [])),
        "cmt": values.get(f"cmt-{pk}", "") if posted else (score.appraiser_comment if score else ""),
        "na": na,
    }
