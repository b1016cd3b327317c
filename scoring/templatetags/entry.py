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


@register.filter
def pts(value) -> str:
    """Points as the sheet shows them: 2,5 and 60 (no trailing zeros); empty for no points."""
    return show(value) if value is not None else ""


@register.simple_tag
def area_total(sheet, area_code: str, kind: str) -> str:
    area = next(a for a in sheet.areas if a.code == area_code)
    if kind == "self":
        return vn_number(area.self_total, 3) if area.self_assessed else "—"
    return vn_number(area.appraised_total, 3)


def _raw(value) -> str:
    return "" if value is None else format(value, "f")


@register.simple_tag
def leaf_fields(sheet, row, values, errors, partial=False) -> dict:
    """What each input of a leaf shows, and what the user saw in it (carried in a hidden input, so a save can
    tell what the user changed from what someone else changed meanwhile).

    `values`: after a refused save, everything the user sent (the page shows it all again, and what they
    saw when they first loaded it); after a save with conflicts (`partial`), only the fields whose values
    were not saved (those show what the user typed; every other field, and what is "seen", is stored)."""
    pk, score = row.node.pk, row.score
    stored = {
        "self": show(score.self_points) if score else "",
        "appr": show(score.appraised_points) if score else "",
        "expl": score.explanation if score else "",
        "cmt": score.appraiser_comment if score else "",
        "resp": score.response if score else "",
        "na": "on" if score and score.not_applicable else "",
    }
    resent = bool(values) and not partial

    def shown(prefix: str) -> str:
        name = f"{prefix}-{pk}"
        if name in values:
            return values[name]
        return "" if resent else stored[prefix]

    def seen(prefix: str) -> str:
        return values.get(f"seen-{prefix}-{pk}", stored[prefix]) if resent else stored[prefix]

    if resent and sheet.can_mark_na:
        na = values.get(f"na-{pk}") == "on"
    elif partial and f"na-{pk}" in values:
        na = values[f"na-{pk}"] == "on"
    else:
        na = stored["na"] == "on"
    stored_self = score.self_points if score else None
    stored_appr = score.appraised_points if score else None
    return {
        "self": shown("self"),
        "self_raw": _raw(stored_self),
        "self_shown": show(stored_self) or "—",
        "self_error": " ".join(errors.get(f"self_points_{pk}", [])),
        "appr": shown("appr"),
        "appr_raw": _raw(stored_appr),
        "appr_shown": show(stored_appr) or "—",
        "appr_error": " ".join(errors.get(f"appraised_points_{pk}", [])),
        "expl": shown("expl"),
        "expl_error": " ".join(errors.get(f"explanation_{pk}", [])),
        "cmt": shown("cmt"),
        "cmt_error": " ".join(errors.get(f"appraiser_comment_{pk}", [])),
        "resp": shown("resp"),
        "resp_error": " ".join(errors.get(f"response_{pk}", [])),
        "na": na,
        "na_error": " ".join(errors.get(f"not_applicable_{pk}", [])),
        "seen": {prefix: seen(prefix) for prefix in stored},
    }
