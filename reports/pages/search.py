"""The search page: units with published results by any name they were published under."""

from dataclasses import dataclass

from reports import search as index
from scoring.models import Result
from units.models import Unit


@dataclass
class Found:
    unit: Unit
    matched: str  # the name that matched: today's, or one it was published under
    last: Result | None


def search(text: str, limit: int = 50) -> list[Found]:
    """Units with published results whose name, or a name they were published under, holds the words typed —
    each at the beginning of a word, without regard to diacritics or case ("thua thien", "QUANG DIEN") — best
    matches first (reports/search.py). Three queries, the first on an index."""
    found = index.find(text, limit)
    units = Unit.objects.select_related("block").in_bulk([unit for unit, _ in found])
    hits = [Found(units[unit], name, None) for unit, name in found]
    latest = {}
    for result in (
        Result.objects.published()
        .filter(unit__in=[h.unit for h in hits])
        .select_related("period")
        .only("unit_id", "total", "rank", "period__year", "period__published_decimals")
        .order_by("unit_id", "-period__year")
    ):
        latest.setdefault(result.unit_id, result)
    for hit in hits:
        hit.last = latest.get(hit.unit.pk)
    return hits
