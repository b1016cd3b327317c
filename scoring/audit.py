"""Building audit entries: one row per changed value, with who, when, old → new and why."""

from cchc_portal.lib.numbers import show
from scoring.models import AuditEntry


def entry(*, period, by, action, old="", new="", unit=None, criterion=None, reason="") -> AuditEntry:
    return AuditEntry(
        period=period,
        by=by if by and by.is_authenticated else None,
        unit=unit,
        criterion=criterion,
        action=action,
        old=show(old),
        new=show(new),
        reason=reason,
    )


# The columns of `row`, for inserting many entries at once (`scoring.bulk.insert_rows`).
COLUMNS = ("at", "by", "period", "unit", "criterion", "action", "old", "new", "reason")


def row(*, at, period, by, action, old="", new="", unit=None, criterion=None, reason="") -> tuple:
    """The entry `entry` builds, as a row of COLUMNS (ids for the related rows)."""
    return (
        at,
        by.pk if by and by.is_authenticated else None,
        period.pk,
        getattr(unit, "pk", None),
        getattr(criterion, "pk", None),
        action,
        show(old),
        show(new),
        reason,
    )


def record(**kwargs) -> AuditEntry:
    item = entry(**kwargs)
    item.save()
    return item
