"""Vietnamese number formatting: decimal comma, dot between thousands (90,450; 1.072)."""

from decimal import Decimal

from scoring.ranking import round_score


def vn_number(value: Decimal | int, decimals: int = 0) -> str:
    """Format a number the Vietnamese way, rounded half up to `decimals` places."""
    rounded = round_score(Decimal(value), decimals)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):.{decimals}f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def plain_number(value: Decimal, decimals: int) -> str:
    """The machine-readable form used in JSON and CSV: a dot, no grouping ("90.450")."""
    return f"{round_score(Decimal(value), decimals):.{decimals}f}"
