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
