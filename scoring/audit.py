"""Building audit entries: one row per changed value, with who, when, old → new and why."""

from decimal import Decimal

from scoring.models import AuditEntry


def show(value) -> str:
    """How a value is written into the log: Vietnamese decimals, yes/no, empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
        return text.replace(".", ",")
    return str(value)


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
