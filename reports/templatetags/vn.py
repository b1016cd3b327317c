"""Template filters for Vietnamese number formatting."""

from django import template

from cchc_portal.lib.numbers import vn_number

register = template.Library()


@register.filter
def vn(value, decimals=0):
    """{{ total|vn:3 }} → 90,450"""
    if value is None or value == "":
        return ""
    return vn_number(value, int(decimals))


@register.filter
def minutes(value) -> int:
    """A duration in whole minutes: {{ cooloff_timedelta|minutes }} → 15"""
    return int(value.total_seconds() // 60) if value else 0


@register.simple_tag
def diff(value, other, decimals=3) -> str:
    """A signed difference the Vietnamese way: +1,250 / −0,500 / ±0,000."""
    delta = value - other
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    return sign + vn_number(abs(delta), int(decimals))


@register.simple_tag
def lookup(mapping, key, default=""):
    """{% lookup counts code 0 %}: a dictionary's value in a template."""
    return mapping.get(key, default)


@register.filter
def absval(value):
    return abs(value) if value is not None else value
