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


def record(**kwargs) -> AuditEntry:
    item = entry(**kwargs)
    item.save()
    return item
